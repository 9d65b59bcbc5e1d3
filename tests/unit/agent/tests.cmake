# Tests of the agent's logic, against real folders and vault files.
holdfast_test(config_test unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/config_test.cc LIBS holdfast_agent)
holdfast_test(capture_test unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/device/capture_test.cc LIBS holdfast_agent)
holdfast_test(replies_test unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/sync/replies_test.cc LIBS holdfast_agent)
holdfast_test(sync_engine_test unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/sync/sync_engine_test.cc LIBS holdfast_agent)
holdfast_test(backoff_test unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/backoff_test.cc LIBS holdfast_agent)
holdfast_test(eds_source_test unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/device/eds_source_test.cc LIBS holdfast_agent)
holdfast_test(snapshot_test unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/archive/snapshot_test.cc LIBS holdfast_agent)
