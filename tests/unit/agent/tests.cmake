# Tests of the agent's logic, against real folders and vault files.
foreach(t capture_test config_test replies_test)
  holdfast_test(${t} unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/${t}.cc LIBS holdfast_agent)
endforeach()
