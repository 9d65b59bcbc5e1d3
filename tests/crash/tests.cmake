# Power cuts and kills: the vault after a crash at any moment.
holdfast_test(vault_kill_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/vault_kill_test.cc LIBS holdfast_storage)
holdfast_test(capture_kill_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/capture_kill_test.cc LIBS holdfast_storage)
add_dependencies(capture_kill_test holdfast-handset-gen holdfast)
holdfast_test(export_restore_kill_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/export_restore_kill_test.cc)
add_dependencies(export_restore_kill_test holdfast-handset-gen holdfast)
# Power cuts at every I/O event, through a VFS that models the device (power_cut_vfs.h).
holdfast_test(power_cut_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/power_cut_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/power_cut_harness.cc ${CMAKE_CURRENT_LIST_DIR}/power_cut_vfs.cc
  LIBS holdfast_agent PkgConfig::SQLITE3)
add_dependencies(power_cut_test holdfast-server)
