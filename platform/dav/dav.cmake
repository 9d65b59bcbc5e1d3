# WebDAV / CardDAV / CalDAV building blocks (platform/dav/README.md):
# target_sources(holdfast_platform PRIVATE ...). libexpat is owned here.
pkg_check_modules(EXPAT REQUIRED IMPORTED_TARGET expat)
target_sources(holdfast_platform PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/multistatus.cc
  ${CMAKE_CURRENT_LIST_DIR}/request_body.cc
  ${CMAKE_CURRENT_LIST_DIR}/href.cc
  ${CMAKE_CURRENT_LIST_DIR}/etag.cc
  ${CMAKE_CURRENT_LIST_DIR}/content_compare.cc
)
target_link_libraries(holdfast_platform PRIVATE PkgConfig::EXPAT)
