# Power cuts and kills: the vault after a crash at any moment.
holdfast_test(vault_kill_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/vault_kill_test.cc LIBS holdfast_storage)
holdfast_test(capture_kill_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/capture_kill_test.cc LIBS holdfast_storage)
add_dependencies(capture_kill_test holdfast-handset-gen holdfast)
holdfast_test(export_restore_kill_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/export_restore_kill_test.cc)
add_dependencies(export_restore_kill_test holdfast-handset-gen holdfast)
# The kill -9 campaign (HOLDFAST_KILLS=N for the long run: tools/reliability/kills.sh).
holdfast_test(kill_campaign_test crash SOURCES ${CMAKE_CURRENT_LIST_DIR}/kill_campaign_test.cc LIBS holdfast_storage)
add_dependencies(kill_campaign_test holdfast-handset-gen holdfast holdfast-server)
