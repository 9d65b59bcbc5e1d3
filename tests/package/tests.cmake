# Issue 15: the .deb packages written by cpack from this build, installed with
# apt-get, run, their units verified by systemd-analyze, removed and purged
# (package_test.sh says what it checks). Root only: skipped (77) otherwise.
# RUN_SERIAL: it installs into / and holds dpkg's lock. Not in the sanitizer
# build: the packages ship the normal build.
if(NOT HOLDFAST_SANITIZE AND NOT HOLDFAST_FUZZ)
  add_test(NAME package_test COMMAND ${CMAKE_CURRENT_LIST_DIR}/package_test.sh ${CMAKE_BINARY_DIR} ${PROJECT_VERSION})
  set_tests_properties(package_test PROPERTIES LABELS package RUN_SERIAL TRUE SKIP_RETURN_CODE 77 TIMEOUT 600)
endif()
