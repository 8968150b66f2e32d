/* Each raw syscall corral uses is wrapped once here: EINTR handling,
 * O_CLOEXEC, and ENOSYS fallbacks for kernels or libcs that lack them. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>

struct clone_args;

/* Numbers of the newer syscalls, for a libc that does not know them yet
 * (the same on every architecture since Linux 5.0's unified table). */
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* clone(2) with flags | SIGCHLD and no new stack: returns twice, as fork
 * does when flags is 0 (0 in the child); -errno on failure. */
long sys_clone(uint64_t flags);
/* clone3(2); -errno on failure (-ENOSYS where the kernel lacks it). */
long sys_clone3(struct clone_args *args, size_t size);
/* pidfd_open(2) with no flags; -errno. */
int sys_pidfd_open(pid_t pid);
/* pidfd_send_signal(2); -errno. */
int sys_pidfd_send_signal(int pidfd, int sig);
/* close_range(first, ~0U, 0) with a /proc/self/fd walk as fallback; must be
 * async-signal-safe enough to run in a freshly forked child (no malloc). */
int sys_close_from(int first);
/* close_range(first, ~0U, CLOSE_RANGE_UNSHARE): a process whose fd table is
 * shared (CLONE_FILES) gets a private copy of only the fds below first.
 * -errno (-EINVAL before Linux 5.9).  No fallback: the caller decides. */
int sys_unshare_fds_below(int first);
/* Put /dev/null on each of fds 0, 1 and 2 that is closed (an end of a
 * dead pipe where /dev/null cannot be opened), without CLOEXEC: they are
 * corral's stdio, passed to services that inherit it.  Call before
 * anything else opens an fd, so that none of corral's own lands there and
 * reaches a service as its stdio (SPEC 10).  0 or -errno. */
int sys_stdio_fill(void);
/* open(path, flags) of an absolute path without following a symlink in
 * any of its components, the last one included: openat2(2) with
 * RESOLVE_NO_SYMLINKS, before Linux 5.6 a walk with O_NOFOLLOW.  O_CLOEXEC
 * is added.  -ELOOP when a symlink is on the way, else as open(2). */
int sys_open_nofollow(const char *path, int flags);
/* The namespace name ("net", "mnt", "pid", ...) of process pid, opened
 * O_CLOEXEC into *ret_fd when it is another than the caller's; *ret_fd is
 * -1 when it is the caller's own or this kernel lacks the kind.  0 or
 * -errno.  The kernel lets a process reach another's namespace files only
 * under the ptrace read rule: the same uid and gid, or CAP_SYS_PTRACE,
 * which the root of a container usually lacks (Docker's default set).  So
 * the file is opened with the fs uid and gid of pid's owner, which that
 * rule compares; they are per thread and set back before this returns, so
 * call it in a child or in a single-threaded process. */
int sys_ns_open(pid_t pid, const char *name, int *ret_fd);
/* pivot_root(2); -errno. */
int sys_pivot_root(const char *new_root, const char *put_old);
struct __user_cap_header_struct;
struct __user_cap_data_struct;
/* capget(2) and capset(2) (no libc wrapper without libcap); -errno. */
int sys_capget(struct __user_cap_header_struct *hdr, struct __user_cap_data_struct *data);
int sys_capset(struct __user_cap_header_struct *hdr, const struct __user_cap_data_struct *data);
/* Capabilities probed once at start: what this kernel offers. */
struct kernel_features {
        bool clone3;
        bool clone_into_cgroup;
        bool pidfd;
        bool close_range;
};
