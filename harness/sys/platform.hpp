// Which of the operating system's calls harness/sys uses, decided here once from the compiler's own macros.
#pragma once

// IPCBENCH_PORTABLE_FALLBACKS (CMake option, default OFF) takes the portable path on Linux too,
// for the pieces that have one, so that it is compiled and tested on the one system at hand.
#ifndef IPCBENCH_PORTABLE_FALLBACKS
#define IPCBENCH_PORTABLE_FALLBACKS 0
#endif

// pipe2(), accept4() and SOCK_CLOEXEC/SOCK_NONBLOCK in socket()'s type: Linux and FreeBSD.
// Elsewhere (macOS) pipe()/accept()/socket() and then fcntl(): the descriptor is briefly
// inheritable, which matters only to a thread that execs meanwhile, and ipcbench has none.
#if (defined(__linux__) || defined(__FreeBSD__)) && !IPCBENCH_PORTABLE_FALLBACKS
#define IPCBENCH_SYS_ATOMIC_CLOEXEC 1
#else
#define IPCBENCH_SYS_ATOMIC_CLOEXEC 0
#endif

// pidfd_open(): Linux 5.3 and later. Without it a supervisor finds an ended child by polling
// waitpid() at its check interval.
#if defined(__linux__) && !IPCBENCH_PORTABLE_FALLBACKS
#define IPCBENCH_SYS_PIDFD 1
#else
#define IPCBENCH_SYS_PIDFD 0
#endif

// How a child dies with its parent (harness/sys/child.cpp): prctl(PR_SET_PDEATHSIG) on Linux,
// procctl(PROC_PDEATHSIG_CTL) on FreeBSD, a pipe watched by a thread of the child elsewhere.
#if defined(__linux__) && !IPCBENCH_PORTABLE_FALLBACKS
#define IPCBENCH_SYS_PDEATHSIG_PRCTL 1
#else
#define IPCBENCH_SYS_PDEATHSIG_PRCTL 0
#endif
#if defined(__FreeBSD__) && !IPCBENCH_PORTABLE_FALLBACKS
#define IPCBENCH_SYS_PDEATHSIG_PROCCTL 1
#else
#define IPCBENCH_SYS_PDEATHSIG_PROCCTL 0
#endif
#if !IPCBENCH_SYS_PDEATHSIG_PRCTL && !IPCBENCH_SYS_PDEATHSIG_PROCCTL
#define IPCBENCH_SYS_LIFE_LINE 1
#else
#define IPCBENCH_SYS_LIFE_LINE 0
#endif
