# The Debian package of what cmake/Install.cmake installs: `cpack -G DEB` in the build directory.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ipcbench)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "ipcbench developers <ipcbench@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "IPC round-trip latency and messages/sec benchmark")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_PACKAGE_DESCRIPTION "One harness times round trips over pipes, Unix, TCP and UDP sockets, eventfd
and shared memory, in thread and process mode and between hosts, with full
histograms; `ipcbench load` drives TCP servers of eight architectures open loop.
The Python tools (ipcbench-compare, ipcbench-plot, ...) gate and plot its CSV.")
# dpkg-shlibdeps finds the libraries' packages (libevent, fmt, libstdc++, ...); the tools need
# python3, and only the plots need matplotlib.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS python3)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS python3-matplotlib)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS sockperf)

# Python writes byte code beside the modules when root runs a tool; dpkg does not own it, so
# without this a purge would leave /usr/share/ipcbench behind.
file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/debian/prerm CONTENT [[#!/bin/sh
set -e
rm -rf @CPACK_PACKAGING_INSTALL_PREFIX@/@ipcbench_python_dir@/__pycache__
]] @ONLY)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/debian/prerm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
