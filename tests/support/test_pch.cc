// Compiled only to build tests/support/test_pch.h once (tests/CMakeLists.txt).
