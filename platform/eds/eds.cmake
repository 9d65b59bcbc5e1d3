# The EDS store: the real one over libebook/libecal when they were found, else
# the one that explains how to get it (eds_store.h).
#
# The real one is a module of its own, holdfast-eds.so, which the agent loads
# the first time an eds source is used (eds_module.cc says why and where it is
# looked for): libebook and libecal are never linked into holdfast itself.
target_sources(holdfast_platform PRIVATE ${CMAKE_CURRENT_LIST_DIR}/eds_kind.cc)
if(HOLDFAST_HAVE_EDS)
  include(GNUInstallDirs)
  # Installed under the library folder, found from the program's own folder
  # (bin/..), so that any install prefix works: /usr/bin/holdfast loads
  # /usr/lib/holdfast/modules/holdfast-eds.so (with CMAKE_INSTALL_LIBDIR=lib).
  # Two folders below lib/: CPack gives a package ldconfig scripts for a
  # shared object in lib/ or one folder below it, which a private module does
  # not need (and they would leave the package half-installed after a remove).
  set(HOLDFAST_EDS_MODULE_DESTINATION ${CMAKE_INSTALL_LIBDIR}/holdfast/modules PARENT_SCOPE)
  target_sources(holdfast_platform PRIVATE ${CMAKE_CURRENT_LIST_DIR}/eds_module.cc)
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/eds_module.cc PROPERTIES COMPILE_DEFINITIONS
    "HOLDFAST_EDS_MODULE_RELATIVE=\"../${CMAKE_INSTALL_LIBDIR}/holdfast/modules/holdfast-eds.so\"")
  target_link_libraries(holdfast_platform PRIVATE ${CMAKE_DL_LIBS})

  # The module holds its own copy of the few platform sources it uses, and
  # shows only its entry point (hidden symbols, bound within the module).
  add_library(holdfast_eds MODULE ${CMAKE_CURRENT_LIST_DIR}/eds_store.cc ${CMAKE_CURRENT_LIST_DIR}/eds_kind.cc
              ${CMAKE_CURRENT_LIST_DIR}/../status.cc ${CMAKE_CURRENT_LIST_DIR}/../unique_fd.cc)
  target_include_directories(holdfast_eds PRIVATE ${HOLDFAST_INCLUDE_ROOT} ${CMAKE_BINARY_DIR}/generated)
  target_link_libraries(holdfast_eds PRIVATE PkgConfig::EDS)
  target_link_options(holdfast_eds PRIVATE -Wl,-Bsymbolic)
  if(NOT HOLDFAST_SANITIZE AND NOT HOLDFAST_FUZZ)
    # Every symbol resolved within the module or its libraries (a sanitizer's
    # runtime is not linked into a module by clang: left out there).
    target_link_options(holdfast_eds PRIVATE -Wl,--no-undefined)
  endif()
  set_target_properties(holdfast_eds PROPERTIES
    OUTPUT_NAME holdfast-eds PREFIX ""
    CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
    # Beside agent/holdfast in a build tree, where the agent looks first.
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/agent)
else()
  target_sources(holdfast_platform PRIVATE ${CMAKE_CURRENT_LIST_DIR}/eds_store_unavailable.cc)
endif()
