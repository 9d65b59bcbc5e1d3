# Power cuts and kills: the vault after a crash at any moment.
holdfast_test(vault_kill_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/vault_kill_test.cc LIBS holdfast_storage)
holdfast_test(capture_kill_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/capture_kill_test.cc LIBS holdfast_storage)
add_dependencies(capture_kill_test holdfast-handset-gen holdfast)
holdfast_test(export_restore_kill_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/export_restore_kill_test.cc)
add_dependencies(export_restore_kill_test holdfast-handset-gen holdfast)
# Power cuts at every I/O event, through a VFS that models the device (power_cut_vfs.h).
# One ctest entry per workload, so that they spread over the cores.
add_executable(power_cut_test ${CMAKE_CURRENT_LIST_DIR}/power_cut_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/power_cut_harness.cc ${CMAKE_CURRENT_LIST_DIR}/power_cut_vfs.cc
  ${CMAKE_CURRENT_LIST_DIR}/crash_handset.cc)
target_link_libraries(power_cut_test PRIVATE holdfast_test_main holdfast_agent PkgConfig::SQLITE3)
add_dependencies(power_cut_test holdfast-server)
foreach(part "vault_api=*acknowledged revision*" "capture=capture survives*" "push=push survives*"
             "recovery=a recovery survives*" "import=an archive import*" "migrations=every migration*"
             "negative_control=negative control*" "io_errors=an I/O error*")
  string(REPLACE "=" ";" pair "${part}")
  list(GET pair 0 name)
  list(GET pair 1 filter)
  add_test(NAME power_cut_${name} COMMAND power_cut_test "-tc=${filter}")
  set_tests_properties(power_cut_${name} PROPERTIES LABELS crash
    ENVIRONMENT "HOLDFAST_SERVER_BIN=$<TARGET_FILE:holdfast-server>")
endforeach()
# Power cuts in the atomic writes of files outside SQLite: the executable
# interposes the file system calls (file_cut_shim.h), so it stands alone.
# Not in the sanitizer build: ASan replaces the same C library calls with its
# own interceptors, and the two cannot be stacked (it crashes at start-up).
if(NOT HOLDFAST_SANITIZE)
  holdfast_test(file_cut_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/file_cut_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/file_cut_shim.cc ${CMAKE_CURRENT_LIST_DIR}/crash_handset.cc
    LIBS holdfast_agent ${CMAKE_DL_LIBS})
endif()
# The kill -9 campaign (HOLDFAST_KILLS=N for the long run: tools/reliability/kills.sh).
holdfast_test(kill_campaign_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/kill_campaign_test.cc LIBS holdfast_storage)
add_dependencies(kill_campaign_test holdfast-handset-gen holdfast holdfast-server)
# Server faults at every request boundary of a push and a recovery (HOLDFAST_FAULT_SWEEP=full for all indexes).
holdfast_test(server_fault_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/server_fault_test.cc)
add_dependencies(server_fault_test holdfast-handset-gen holdfast holdfast-server)
# A real ENOSPC (a small tmpfs) during capture, import, export and restore-device (HOLDFAST_DISK_FULL_LEVELS=N).
holdfast_test(disk_full_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/disk_full_test.cc)
add_dependencies(disk_full_test holdfast-handset-gen holdfast)
# The agent (holdfast run) killed with SIGKILL in a loop while the phone changes
# (HOLDFAST_AGENT_KILLS=N for the long run), and under lasting faults: a full
# disk, a server down for days, a wall clock that jumps (libfaketime).
holdfast_test(agent_kill_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/agent_kill_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/agent_harness.cc LIBS holdfast_storage)
add_dependencies(agent_kill_test holdfast-handset-gen holdfast holdfast-server)
holdfast_test(agent_fault_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/agent_fault_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/agent_harness.cc LIBS holdfast_storage)
add_dependencies(agent_fault_test holdfast-handset-gen holdfast holdfast-server)
# libfaketime (LD_PRELOAD) cannot go before the sanitizers' runtime: the clock case skips there.
if(HOLDFAST_SANITIZE)
  target_compile_definitions(agent_fault_test PRIVATE HOLDFAST_SANITIZED_BUILD=1)
endif()
# Issue 16: restore-device into a private EDS session killed while it writes.
if(HOLDFAST_HAVE_EDS)
  holdfast_test(eds_restore_kill_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/eds_restore_kill_test.cc)
  add_dependencies(eds_restore_kill_test holdfast holdfast-eds-tool)
endif()
# The reference server killed with SIGKILL mid-push, restarted on its data
# (HOLDFAST_SERVER_KILLS=N for a longer run, HOLDFAST_SERVER_KILL_SEED).
holdfast_test(server_kill_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/server_kill_test.cc LIBS holdfast_storage)
add_dependencies(server_kill_test holdfast-handset-gen holdfast holdfast-server)
