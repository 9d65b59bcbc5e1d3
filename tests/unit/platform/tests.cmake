# Tests of unit/platform
include(${CMAKE_CURRENT_LIST_DIR}/readers.cmake)
holdfast_test(files_test unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/files_test.cc LIBS holdfast_platform)
