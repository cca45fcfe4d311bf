# Installing vtrace as a dom0 service, and its Debian package (tools/package
# runs CPack's DEB generator). Configure with -DCMAKE_INSTALL_PREFIX=/usr for
# the package: the binary in /usr/bin, the models in /usr/share/vtrace/models
# (where an installed vtrace looks for them beside its own folder:
# default_model_path in src/detector/verdicts.h), the configuration in
# /etc/vtrace (a conffile), the unit in /lib/systemd/system, the Prometheus
# rules and example configuration in /usr/share/vtrace/prometheus, the man
# page. docs/operations.md says how to install and run it.

set(VTRACE_UNITDIR /lib/systemd/system CACHE PATH "Where the systemd unit is installed")
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/vtrace.service DESTINATION ${VTRACE_UNITDIR})
install(FILES ${PROJECT_SOURCE_DIR}/deploy/vtrace.toml DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/vtrace)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/prometheus/vtrace-rules.yml
              ${PROJECT_SOURCE_DIR}/deploy/prometheus/vtrace-rules.test.yml
              ${PROJECT_SOURCE_DIR}/deploy/prometheus/prometheus.yml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/vtrace/prometheus)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/operations.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The man page, vtrace.1, made by help2man from `vtrace --help-all` (every
# command's flags), gzip'd as Debian keeps man pages.
option(VTRACE_MANPAGE "Generate and install the man page (needs help2man)" OFF)
if(VTRACE_MANPAGE)
  find_program(VTRACE_HELP2MAN help2man REQUIRED)
  set(man ${PROJECT_BINARY_DIR}/vtrace.1)
  add_custom_command(
    OUTPUT ${man}.gz
    COMMAND ${VTRACE_HELP2MAN} --no-info --no-discard-stderr --section=1 --version-string=${PROJECT_VERSION}
            --help-option=--help-all "--name=which Xen guests have failed, from the hypervisor's trace buffers"
            --output=${man} $<TARGET_FILE:vtrace>
    COMMAND gzip -9nf ${man}
    DEPENDS vtrace
    COMMENT "vtrace.1 from vtrace --help-all (help2man)"
    VERBATIM)
  add_custom_target(vtrace_manpage ALL DEPENDS ${man}.gz)
  install(FILES ${man}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

# The Debian package. Its runtime dependencies come from the libraries the
# binary links (dpkg-shlibdeps: libxen*, libtomlplusplus3, compression
# libraries...). The maintainer scripts make /var/log/vtrace and leave the
# unit disabled: on a host without Xen it would only fail.
file(WRITE ${PROJECT_BINARY_DIR}/debian/conffiles "${CMAKE_INSTALL_FULL_SYSCONFDIR}/vtrace/vtrace.toml\n")
foreach(script postinst prerm postrm)
  configure_file(${PROJECT_SOURCE_DIR}/deploy/debian/${script} ${PROJECT_BINARY_DIR}/debian/${script} COPYONLY)
endforeach()
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vtrace)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "vtrace developers <root@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "which Xen guests have failed, from the hypervisor's trace buffers")
# The long description, one string (a CMake list would join its lines
# with semicolons); CPack puts the summary above it.
string(CONCAT CPACK_DEBIAN_PACKAGE_DESCRIPTION
       "vtrace reads Xen's trace buffers from dom0, without any agent in the guests,\n"
       "and judges each guest every second with a classifier trained on real Xen\n"
       "traces: a guest kernel that spins still answers pings, but not its trace.\n"
       "It runs as a systemd service (vtrace.service, disabled until enabled),\n"
       "writes verdicts to /var/log/vtrace and serves Prometheus metrics.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # vtrace_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "prometheus")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_BINARY_DIR}/debian/conffiles ${PROJECT_BINARY_DIR}/debian/postinst
    ${PROJECT_BINARY_DIR}/debian/prerm ${PROJECT_BINARY_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
include(CPack)
