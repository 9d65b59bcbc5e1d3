# Tests of integration
holdfast_test(blob_memory_test integration SOURCES ${CMAKE_CURRENT_LIST_DIR}/blob_memory_test.cc)
