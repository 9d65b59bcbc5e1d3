# Cross-build for arm64 (aarch64) phones with Debian's cross toolchain and
# multiarch :arm64 libraries (tools/dev.sh arm64 installs both):
#   cmake -S . -B build-arm64 -G Ninja --toolchain cmake/toolchain-arm64.cmake
#
# Libraries and their pkg-config files are the :arm64 packages' own, under
# /usr/lib/aarch64-linux-gnu; headers are shared with the build machine's
# under /usr/include (architecture-specific ones in /usr/include/aarch64-linux-gnu,
# which the cross compiler searches by itself).
#
# ctest runs each test executable through qemu-aarch64 (CMAKE_CROSSCOMPILING_EMULATOR).
# The programs a test starts itself (holdfast, holdfast-server, vault_tool,
# holdfast-handset-gen) are arm64 too: they run through the kernel's binfmt_misc
# entry for aarch64 that qemu-user-static provides (tools/dev.sh arm64 registers it).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# Programs (code generators, pkg-config) are the build machine's; libraries,
# headers and CMake package files are looked up in the arm64 places only.
# The multiarch layout keeps both architectures under /usr, so the root is /
# and CMAKE_LIBRARY_ARCHITECTURE picks lib/aarch64-linux-gnu.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config reads the arm64 .pc files and the architecture-independent ones
# (cpp-httplib is header-only), never the build machine's x86_64 ones.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

find_program(HOLDFAST_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64 REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR ${HOLDFAST_QEMU_AARCH64})

# The .deb packages built from this tree (cpack -G DEB) are arm64 ones.
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
