# Tests of unit/platform
include(${CMAKE_CURRENT_LIST_DIR}/readers.cmake)
