# Tests of the programs around the agent that run without a server.
holdfast_test(storm_model_test unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/storm_model_test.cc LIBS holdfast_storm_sim)
