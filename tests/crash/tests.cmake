# Power cuts and kills: the vault after a crash at any moment.
holdfast_test(vault_kill_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/vault_kill_test.cc LIBS holdfast_storage)
holdfast_test(capture_kill_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/capture_kill_test.cc LIBS holdfast_storage)
add_dependencies(capture_kill_test holdfast-handset-gen holdfast)
holdfast_test(export_restore_kill_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/export_restore_kill_test.cc)
add_dependencies(export_restore_kill_test holdfast-handset-gen holdfast)
# Server faults at every request boundary of a push and a recovery (HOLDFAST_FAULT_SWEEP=full for all indexes).
holdfast_test(server_fault_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/server_fault_test.cc)
add_dependencies(server_fault_test holdfast-handset-gen holdfast holdfast-server)
# A real ENOSPC (a small tmpfs) during capture, import, export and restore-device (HOLDFAST_DISK_FULL_LEVELS=N).
holdfast_test(disk_full_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/disk_full_test.cc)
add_dependencies(disk_full_test holdfast-handset-gen holdfast)
