# What this system offers, checked once: the transports, the server half and harness/sys read
# the answers as IPCBENCH_HAVE_* (0 or 1) from the ipcbench::platform target, never the OS name.
# docs/architecture.md ("Portability") lists what each answer switches.
include(CheckCXXSymbolExists)
include(CheckIncludeFileCXX)

set(IPCBENCH_LINUX OFF)
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  set(IPCBENCH_LINUX ON)
endif()

check_cxx_symbol_exists(epoll_create1 "sys/epoll.h" IPCBENCH_HAVE_EPOLL)
# FreeBSD 13 has a Linux-compatible eventfd too; the eventfd transport is kept to Linux until
# the FreeBSD workflow has run it (then this condition is all that changes).
if(IPCBENCH_LINUX)
  check_cxx_symbol_exists(eventfd "sys/eventfd.h" IPCBENCH_HAVE_EVENTFD)
endif()
check_cxx_symbol_exists(SYS_futex "sys/syscall.h" IPCBENCH_HAVE_FUTEX)
# kqueue(2) and kevent(2): macOS and the BSDs. Linux has no <sys/event.h> (libkqueue's lives
# under /usr/include/kqueue and is not looked for): no kqueue rows there.
check_include_file_cxx("sys/event.h" IPCBENCH_HAVE_SYS_EVENT_H)
if(IPCBENCH_HAVE_SYS_EVENT_H)
  check_cxx_symbol_exists(kqueue "sys/types.h;sys/event.h;sys/time.h" IPCBENCH_HAVE_KQUEUE)
endif()
# POSIX message queues as posix-mq uses them: Linux only. macOS has none; FreeBSD has them
# (mqueuefs), but its mqd_t is not a descriptor and its limits are not Linux's sysctl and
# RLIMIT_MSGQUEUE, which transports/posix_mq.cpp is written against.
if(IPCBENCH_LINUX)
  check_cxx_symbol_exists(mq_open "mqueue.h" IPCBENCH_HAVE_POSIX_MQ)
endif()
# Abstract Unix socket names (a leading NUL, no file) exist on Linux only: zeromq-ipc uses one.
set(IPCBENCH_HAVE_ABSTRACT_UNIX ${IPCBENCH_LINUX})

# liburing is required on Linux, as it always was, and does not exist elsewhere.
if(IPCBENCH_LINUX)
  pkg_check_modules(LIBURING REQUIRED IMPORTED_TARGET GLOBAL liburing)
  set(IPCBENCH_HAVE_IO_URING ON)
else()
  set(IPCBENCH_HAVE_IO_URING OFF)
endif()

# The servers-under-load half (servers/, load/'s generator, `ipcbench load`, `serve --arch`)
# is written over epoll, eventfd and io_uring: it is built where all three exist.
if(IPCBENCH_HAVE_EPOLL AND IPCBENCH_HAVE_EVENTFD AND IPCBENCH_HAVE_IO_URING)
  set(IPCBENCH_WITH_SERVERS ON)
else()
  set(IPCBENCH_WITH_SERVERS OFF)
endif()

add_library(ipcbench_platform INTERFACE)
add_library(ipcbench::platform ALIAS ipcbench_platform)
foreach(fact EPOLL EVENTFD FUTEX KQUEUE POSIX_MQ ABSTRACT_UNIX IO_URING)
  if(IPCBENCH_HAVE_${fact})
    target_compile_definitions(ipcbench_platform INTERFACE IPCBENCH_HAVE_${fact}=1)
  else()
    target_compile_definitions(ipcbench_platform INTERFACE IPCBENCH_HAVE_${fact}=0)
  endif()
endforeach()
if(IPCBENCH_WITH_SERVERS)
  target_compile_definitions(ipcbench_platform INTERFACE IPCBENCH_WITH_SERVERS=1)
else()
  target_compile_definitions(ipcbench_platform INTERFACE IPCBENCH_WITH_SERVERS=0)
endif()
if(IPCBENCH_PORTABLE_FALLBACKS)
  target_compile_definitions(ipcbench_platform INTERFACE IPCBENCH_PORTABLE_FALLBACKS=1)
else()
  target_compile_definitions(ipcbench_platform INTERFACE IPCBENCH_PORTABLE_FALLBACKS=0)
endif()

message(STATUS "ipcbench platform: epoll=${IPCBENCH_HAVE_EPOLL} kqueue=${IPCBENCH_HAVE_KQUEUE} "
               "eventfd=${IPCBENCH_HAVE_EVENTFD} futex=${IPCBENCH_HAVE_FUTEX} posix-mq=${IPCBENCH_HAVE_POSIX_MQ} "
               "io_uring=${IPCBENCH_HAVE_IO_URING} servers=${IPCBENCH_WITH_SERVERS} "
               "portable-fallbacks=${IPCBENCH_PORTABLE_FALLBACKS}")
