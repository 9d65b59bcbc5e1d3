# Tests of unit/platform
include(${CMAKE_CURRENT_LIST_DIR}/pim/tests.cmake)
holdfast_test(files_test unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/files_test.cc LIBS holdfast_platform)
holdfast_test(staged_files_test unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/staged_files_test.cc LIBS holdfast_platform)
holdfast_test(tar_archive_test unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/tar_archive_test.cc LIBS holdfast_platform)
holdfast_test(wire_text_test unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/wire_text_test.cc LIBS holdfast_platform)
holdfast_test(clock_test unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/clock_test.cc LIBS holdfast_platform)
holdfast_test(terminal_text_test unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/terminal_text_test.cc LIBS holdfast_platform)
holdfast_test(http_client_test unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/http_client_test.cc LIBS holdfast_platform)
