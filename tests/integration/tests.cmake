# Tests of integration
holdfast_test(blob_memory_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/blob_memory_test.cc)
holdfast_test(handset_gen_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/handset_gen_test.cc LIBS JPEG::JPEG)
add_dependencies(handset_gen_test holdfast-handset-gen)
holdfast_test(capture_cli_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/capture_cli_test.cc LIBS holdfast_storage nlohmann_json::nlohmann_json)
add_dependencies(capture_cli_test holdfast-handset-gen holdfast)
holdfast_test(cli_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli_test.cc LIBS nlohmann_json::nlohmann_json)
add_dependencies(cli_test holdfast)
holdfast_test(export_import_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/export_import_test.cc LIBS holdfast_platform nlohmann_json::nlohmann_json)
add_dependencies(export_import_test holdfast-handset-gen holdfast)
holdfast_test(restore_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/restore_test.cc LIBS holdfast_platform nlohmann_json::nlohmann_json)
add_dependencies(restore_test holdfast-handset-gen holdfast)
holdfast_test(real_clients_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/real_clients_test.cc LIBS nlohmann_json::nlohmann_json)
add_dependencies(real_clients_test holdfast-handset-gen holdfast)
holdfast_test(push_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/push_test.cc LIBS holdfast_agent nlohmann_json::nlohmann_json)
add_dependencies(push_test holdfast-handset-gen holdfast holdfast-server)
holdfast_test(server_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/server_test.cc LIBS holdfast_platform nlohmann_json::nlohmann_json)
add_dependencies(server_test holdfast-server)
holdfast_test(recover_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/recover_test.cc LIBS holdfast_agent PkgConfig::SQLITE3 nlohmann_json::nlohmann_json)
add_dependencies(recover_test holdfast-handset-gen holdfast holdfast-server)
holdfast_test(special_files_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/special_files_test.cc LIBS nlohmann_json::nlohmann_json)
add_dependencies(special_files_test holdfast)
holdfast_test(file_names_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/file_names_test.cc LIBS holdfast_platform PkgConfig::SQLITE3 nlohmann_json::nlohmann_json)
add_dependencies(file_names_test holdfast holdfast-server)
holdfast_test(import_refusal_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/import_refusal_test.cc LIBS holdfast_agent nlohmann_json::nlohmann_json)
add_dependencies(import_refusal_test holdfast)
# A hostile HTTP server in the test process (cpp-httplib, as the reference server uses).
pkg_check_modules(TEST_HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
find_package(Threads REQUIRED)
holdfast_test(progress_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/progress_test.cc LIBS PkgConfig::TEST_HTTPLIB Threads::Threads nlohmann_json::nlohmann_json)
add_dependencies(progress_test holdfast holdfast-server)
holdfast_test(size_limits_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/size_limits_test.cc LIBS holdfast_platform nlohmann_json::nlohmann_json)
add_dependencies(size_limits_test holdfast holdfast-server)
holdfast_test(device_campaign_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/device_campaign_test.cc
              ${CMAKE_CURRENT_LIST_DIR}/campaign_tree.cc LIBS holdfast_platform)
add_dependencies(device_campaign_test holdfast holdfast-server)
holdfast_test(count_limits_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/count_limits_test.cc LIBS holdfast_platform)
add_dependencies(count_limits_test holdfast holdfast-server)
# Issue 12: restore-device and export never write through links, planted or swapped in while they run.
holdfast_test(symlink_safety_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/symlink_safety_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/../crash/crash_handset.cc LIBS holdfast_agent Threads::Threads)
holdfast_test(terminal_output_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/terminal_output_test.cc)
add_dependencies(terminal_output_test holdfast holdfast-handset-gen)
holdfast_test(encrypted_export_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/encrypted_export_test.cc LIBS holdfast_platform)
add_dependencies(encrypted_export_test holdfast holdfast-handset-gen)
holdfast_test(server_security_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/server_security_test.cc
              LIBS holdfast_platform nlohmann_json::nlohmann_json Threads::Threads)
add_dependencies(server_security_test holdfast holdfast-server holdfast-handset-gen)
# Issue 14: the real CalDAV/CardDAV/WebDAV servers the DAV backend is tested against, and what they answer after a wipe (docs/dav.md).
holdfast_test(dav_servers_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/dav_servers_test.cc)
# Issue 14: the story (capture, push, check, wipe, lost, recover, verified; unreachable is unknown) against real Radicale and Xandikos.
holdfast_test(dav_story_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/dav_story_test.cc LIBS holdfast_platform)
add_dependencies(dav_story_test holdfast)
# Issue 14: photos in a WebDAV folder tree on Apache mod_dav and nginx dav (no ETag on PUT, nginx ignores preconditions).
holdfast_test(dav_photo_story_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/dav_photo_story_test.cc LIBS holdfast_platform)
add_dependencies(dav_photo_story_test holdfast)
# Issue 14: wipes as they happen (deleted while running, an older copy while running or stopped), change markers
# (no inventory while the sync token and CTag are as recorded), another client's edit, against Radicale and Xandikos.
holdfast_test(dav_wipes_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/dav_wipes_test.cc LIBS holdfast_platform)
add_dependencies(dav_wipes_test holdfast)
# Issue 14: collections at URLs the user maps (events and tasks in one calendar), and items a server refuses.
holdfast_test(dav_collections_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/dav_collections_test.cc LIBS holdfast_platform nlohmann_json::nlohmann_json)
add_dependencies(dav_collections_test holdfast)
# Issue 15: `holdfast run`, the background agent, as a user runs it: changes captured and pushed, SIGKILL, SIGTERM
# mid-transfer, SIGHUP, sources that go away, commands beside it, alerts to a command and to dunst, a wiped server.
holdfast_test(agent_run_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/agent_run_test.cc LIBS holdfast_agent nlohmann_json::nlohmann_json)
add_dependencies(agent_run_test holdfast-handset-gen holdfast holdfast-server)
# Issue 16: the EDS reference tool in a private EDS session.
if(HOLDFAST_HAVE_EDS)
  holdfast_test(eds_tool_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/eds_tool_test.cc)
  add_dependencies(eds_tool_test holdfast-eds-tool)
  # Issue 16: the EDS source kind's story (reset, restore-device, --overwrite, changes, hostile photo links, no bus).
  holdfast_test(eds_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/eds_test.cc LIBS holdfast_platform nlohmann_json::nlohmann_json)
  add_dependencies(eds_test holdfast holdfast-eds-tool)
  # Issue 16: Holdfast never holds EDS up (a direct reader of contacts.db does, the negative control).
  holdfast_test(eds_blocking_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/eds_blocking_test.cc)
  add_dependencies(eds_blocking_test holdfast holdfast-eds-tool)
  # Issue 16: an eds source's items pushed, checked and recovered (reference server, Radicale), restored into EDS.
  holdfast_test(eds_sync_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/eds_sync_test.cc LIBS holdfast_platform nlohmann_json::nlohmann_json)
  add_dependencies(eds_sync_test holdfast-eds-tool holdfast holdfast-server)
endif()
# The conformance suite against the reference server, and its negative control (a fault that breaks one rule).
holdfast_test(conformance_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/conformance_test.cc)
add_dependencies(conformance_test holdfast-server holdfast-conformance)
set_property(TEST conformance_test APPEND PROPERTY ENVIRONMENT "HOLDFAST_CONFORMANCE_BIN=$<TARGET_FILE:holdfast-conformance>")

# Many devices at once (tools/bench/load_gen.cc, scaled down): capacity by 429, nothing lost, all converge.
holdfast_test(load_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/load_test.cc LIBS nlohmann_json::nlohmann_json)
add_dependencies(load_test holdfast-server holdfast-load-gen)
set_property(TEST load_test APPEND PROPERTY ENVIRONMENT "HOLDFAST_LOAD_GEN_BIN=$<TARGET_FILE:holdfast-load-gen>")
