# Tests of the vault (storage/), each against real SQLite files in a temp folder.
foreach(t vault_test blob_store_test vault_open_test vault_verify_test ledger_test)
  holdfast_test(${t} unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/${t}.cc LIBS holdfast_storage PkgConfig::SQLITE3)
endforeach()
holdfast_test(sqlite_handle_test unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/sqlite_handle_test.cc LIBS holdfast_storage PkgConfig::SQLITE3)
