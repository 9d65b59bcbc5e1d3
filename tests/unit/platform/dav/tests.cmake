# Tests of platform/dav: multistatus reading, request bodies, hrefs, ETags.
foreach(t multistatus_test request_body_test href_test etag_test content_compare_test)
  holdfast_test(dav_${t} unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/${t}.cc LIBS holdfast_platform)
endforeach()
