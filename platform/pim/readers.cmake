# vCard / iCalendar reader sources: target_sources(holdfast_platform PRIVATE ...)
target_sources(holdfast_platform PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/content_line.cc
  ${CMAKE_CURRENT_LIST_DIR}/vcard_reader.cc
  ${CMAKE_CURRENT_LIST_DIR}/icalendar_reader.cc
  ${CMAKE_CURRENT_LIST_DIR}/icalendar_merge.cc
)
