# Debian ships libevent with pkg-config files only; this wraps them as Libevent::core.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PC_LIBEVENT_CORE QUIET IMPORTED_TARGET libevent_core)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Libevent
  REQUIRED_VARS PC_LIBEVENT_CORE_FOUND
  VERSION_VAR PC_LIBEVENT_CORE_VERSION)

if(Libevent_FOUND AND NOT TARGET Libevent::core)
  add_library(Libevent::core INTERFACE IMPORTED)
  target_link_libraries(Libevent::core INTERFACE PkgConfig::PC_LIBEVENT_CORE)
endif()
