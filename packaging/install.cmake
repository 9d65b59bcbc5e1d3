# Install rules and the two Debian packages (CPack, DEB generator), included
# from the top CMakeLists.txt. Two components:
#   agent   -> package holdfast:        bin/holdfast (and its EDS module), the systemd user unit, holdfast(1), the docs
#   server  -> package holdfast-server: bin/holdfast-server, the system unit, its sysusers.d entry,
#              holdfast-server(8), the maintainer scripts of packaging/debian/server
# Test tools and holdfast-handset-gen (a developer's tool) are not installed.
# `tools/dev.sh package` builds the .deb files; docs/install.md says what goes where.
include(GNUInstallDirs)

set(HOLDFAST_PACKAGING_DIR ${CMAKE_CURRENT_LIST_DIR})

install(TARGETS holdfast RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT agent)
install(TARGETS holdfast-server RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT server)
if(HOLDFAST_HAVE_EDS)
  # The EDS module, which holdfast finds from its own folder (platform/eds/eds.cmake).
  install(TARGETS holdfast_eds LIBRARY DESTINATION ${HOLDFAST_EDS_MODULE_DESTINATION} COMPONENT agent)
endif()

# A unit names the binary by its installed path, which is known only when the
# install runs (cpack installs under CPACK_PACKAGING_INSTALL_PREFIX, /usr, a
# plain `cmake --install` under CMAKE_INSTALL_PREFIX or --prefix): the unit is
# written from its template then, @HOLDFAST_BINDIR@ filled in.
function(holdfast_install_unit template destination component)
  get_filename_component(name ${template} NAME_WLE)
  install(CODE "
    set(HOLDFAST_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
    set(unit \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${destination}/${name}\")
    message(STATUS \"Installing: \${unit}\")
    configure_file(\"${HOLDFAST_PACKAGING_DIR}/${template}\" \"\${unit}\" @ONLY)
    list(APPEND CMAKE_INSTALL_MANIFEST_FILES \"\${CMAKE_INSTALL_PREFIX}/${destination}/${name}\")
  " COMPONENT ${component})
endfunction()
holdfast_install_unit(systemd/holdfast.service.in lib/systemd/user agent)
holdfast_install_unit(systemd/holdfast-server.service.in lib/systemd/system server)
install(FILES ${HOLDFAST_PACKAGING_DIR}/sysusers/holdfast-server.conf DESTINATION lib/sysusers.d COMPONENT server)

# Man pages, compressed as Debian wants them (gzip -n: no name or time stamp,
# so the same page gives the same bytes).
set(HOLDFAST_MAN_PAGES man/holdfast.1 man/holdfast-server.8)
set(man_outputs)
foreach(page ${HOLDFAST_MAN_PAGES})
  get_filename_component(page_name ${page} NAME)
  set(gz ${CMAKE_BINARY_DIR}/man/${page_name}.gz)
  add_custom_command(OUTPUT ${gz}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
    COMMAND gzip -9n -c ${HOLDFAST_PACKAGING_DIR}/${page} > ${gz}
    DEPENDS ${HOLDFAST_PACKAGING_DIR}/${page}
    COMMENT "Compressing the man page ${page_name}")
  list(APPEND man_outputs ${gz})
endforeach()
add_custom_target(holdfast_man_pages ALL DEPENDS ${man_outputs})
install(FILES ${CMAKE_BINARY_DIR}/man/holdfast.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT agent)
install(FILES ${CMAKE_BINARY_DIR}/man/holdfast-server.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 COMPONENT server)

# The docs with the agent's package; the server's package gets the protocol it serves.
file(GLOB HOLDFAST_DOCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${HOLDFAST_DOCS} DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/holdfast
        COMPONENT agent)
install(FILES ${CMAKE_SOURCE_DIR}/docs/protocol.md DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/holdfast-server
        COMPONENT server)

# ---- CPack: one .deb per component
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME holdfast)
set(CPACK_PACKAGE_VENDOR "Holdfast")
set(CPACK_PACKAGE_CONTACT "Holdfast maintainers <maintainers@users.noreply.r-seed-f751a7ae.example>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL agent server)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# dpkg-shlibdeps reads the binaries' libraries and writes Depends: (libsqlite3-0 (>= ...), libcurl4, ...).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_AGENT_PACKAGE_NAME holdfast)
set(CPACK_COMPONENT_AGENT_DESCRIPTION
  "device-side recovery agent for contacts, calendars, tasks, notes and photos
Holdfast keeps a handset's PIM data and photos in a durable local SQLite
vault, refuses to treat a loss on the device or on the server as the user's
wish, and puts the data back where it was lost. Includes a systemd user
service (holdfast.service) that runs the agent in the background.")

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME holdfast-server)
set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION net)
set(CPACK_COMPONENT_SERVER_DESCRIPTION
  "reference server of Holdfast's sync protocol
holdfast-server stores what Holdfast agents push, per account, in one SQLite
file, and serves it back for checks and recovery. Includes a systemd system
service that runs it as the holdfast-server user with its data in
/var/lib/holdfast-server, listening on 127.0.0.1:8443.")
# Creates the system user; never deletes /var/lib/holdfast-server, not even on purge.
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
  ${HOLDFAST_PACKAGING_DIR}/debian/server/postinst
  ${HOLDFAST_PACKAGING_DIR}/debian/server/prerm
  ${HOLDFAST_PACKAGING_DIR}/debian/server/postrm)

include(CPack)
