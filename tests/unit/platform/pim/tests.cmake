# Tests of platform/pim: the content-line layer, the vCard and iCalendar readers, the iCalendar merge.
foreach(t content_line_test vcard_reader_test icalendar_reader_test icalendar_merge_test)
  holdfast_test(${t} unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/${t}.cc LIBS holdfast_platform)
endforeach()
