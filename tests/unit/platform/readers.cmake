# Reader tests: the content-line layer, the vCard reader, the iCalendar reader.
foreach(t content_line_test vcard_reader_test icalendar_reader_test)
  holdfast_test(${t} unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/${t}.cc LIBS holdfast_platform)
endforeach()
