# Fuzz targets (tests/fuzz/*_fuzz.cc, each defining LLVMFuzzerTestOneInput).
#
# Normal build: each target is linked with replay_main.cc and ctest replays
# its corpus, tests/fuzz/corpus/<target>/ (label fuzz): no clang needed.
# HOLDFAST_FUZZ=ON (clang++): each target is a libFuzzer binary
# <target> instead, built by the `fuzz_targets` target and run by
# tools/reliability/fuzz.sh.
add_library(holdfast_fuzz_support STATIC ${CMAKE_CURRENT_LIST_DIR}/fuzz_support.cc)
target_include_directories(holdfast_fuzz_support PUBLIC ${HOLDFAST_INCLUDE_ROOT})

set(HOLDFAST_FUZZ_CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus)
if(HOLDFAST_FUZZ)
  add_custom_target(fuzz_targets)
endif()

# holdfast_fuzz_target(NAME LIBS...)
function(holdfast_fuzz_target name)
  set(source ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/${name}.cc)
  if(HOLDFAST_FUZZ)
    add_executable(${name} ${source})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    add_dependencies(fuzz_targets ${name})
  else()
    add_executable(${name} ${source} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/replay_main.cc)
    if(HOLDFAST_SANITIZE)
      add_test(NAME ${name}_replay COMMAND ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../support/sanitized_run.sh
               ${CMAKE_BINARY_DIR}/sanitizer-logs/${name}_replay $<TARGET_FILE:${name}> ${HOLDFAST_FUZZ_CORPUS}/${name})
    else()
      add_test(NAME ${name}_replay COMMAND ${name} ${HOLDFAST_FUZZ_CORPUS}/${name})
    endif()
    set_tests_properties(${name}_replay PROPERTIES LABELS fuzz)
  endif()
  target_link_libraries(${name} PRIVATE holdfast_fuzz_support ${ARGN})
endfunction()

holdfast_fuzz_target(vcard_fuzz holdfast_platform)
holdfast_fuzz_target(icalendar_fuzz holdfast_platform)
holdfast_fuzz_target(json_reply_fuzz holdfast_agent)
holdfast_fuzz_target(config_fuzz holdfast_agent)
holdfast_fuzz_target(archive_import_fuzz holdfast_agent)
holdfast_fuzz_target(vault_open_fuzz holdfast_storage)
holdfast_fuzz_target(server_request_fuzz holdfast_server)
holdfast_fuzz_target(multistatus_fuzz holdfast_platform)
