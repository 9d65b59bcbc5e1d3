# The EDS store: the real one over libebook/libecal when they were found, else
# the one that explains how to get it (eds_store.h).
target_sources(holdfast_platform PRIVATE ${CMAKE_CURRENT_LIST_DIR}/eds_kind.cc)
if(HOLDFAST_HAVE_EDS)
  target_sources(holdfast_platform PRIVATE ${CMAKE_CURRENT_LIST_DIR}/eds_store.cc)
  target_link_libraries(holdfast_platform PRIVATE PkgConfig::EDS)
else()
  target_sources(holdfast_platform PRIVATE ${CMAKE_CURRENT_LIST_DIR}/eds_store_unavailable.cc)
endif()
