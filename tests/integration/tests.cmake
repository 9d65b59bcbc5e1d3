# Tests of integration
holdfast_test(blob_memory_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/blob_memory_test.cc)
holdfast_test(handset_gen_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/handset_gen_test.cc LIBS JPEG::JPEG)
add_dependencies(handset_gen_test holdfast-handset-gen)
holdfast_test(capture_cli_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/capture_cli_test.cc LIBS holdfast_storage nlohmann_json::nlohmann_json)
add_dependencies(capture_cli_test holdfast-handset-gen holdfast)
holdfast_test(cli_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli_test.cc LIBS nlohmann_json::nlohmann_json)
add_dependencies(cli_test holdfast)
