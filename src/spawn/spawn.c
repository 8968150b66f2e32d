/* Starting the process: pipes, clone, the parent's half of the handshake.
 * clone3() creates the child directly in its cgroup (CLONE_INTO_CGROUP)
 * and returns a pidfd without a pid-reuse race (CLONE_PIDFD); on kernels
 * or sandboxes without it the child is forked and joins the cgroup itself
 * before anything else.  See clone(2), "CLONE_INTO_CGROUP".
 *
 * A child that needs no handshake with the parent (no namespaces) shares
 * corral's memory until it execs (CLONE_VM | CLONE_VFORK, as posix_spawn
 * does): a fork would copy corral's page tables only for exec to throw
 * them away, a cost that grows with every service corral holds. */
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#include "ns.h"
#include "spawn-internal.h"
#include "sys.h"
#include "util.h"

bool spawn_force_fork_fallback = false;
bool spawn_last_shared_vm = false;

/* Signals whose disposition is not SIG_DFL, computed in the parent when
 * first needed (see spawn_signals_changed()): the child resets only these. */
static sigset_t non_default;
static bool non_default_valid;

void spawn_signals_changed(void) {
        non_default_valid = false;
}

static const sigset_t *non_default_signals(void) {
        if (non_default_valid)
                return &non_default;
        sigemptyset(&non_default);
        for (int sig = 1; sig < NSIG; sig++) {
                struct sigaction sa;
                if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa) < 0)
                        continue;
                if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL)
                        continue;
                sigaddset(&non_default, sig);
        }
        non_default_valid = true;
        return &non_default;
}

/* Pipe ends kept at 3 or above, so that the child's stdio shuffle never
 * has to step around them (corral may have been started with 0..2 closed). */
static int pipe_cloexec(int fds[2]) {
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        for (int i = 0; i < 2; i++) {
                if (fds[i] >= 3)
                        continue;
                int high = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
                if (high < 0) {
                        int r = -errno;
                        close(fds[0]);
                        close(fds[1]);
                        return r;
                }
                close(fds[i]);
                fds[i] = high;
        }
        return 0;
}

static long clone_legacy(uint64_t flags) {
#if defined(__s390__) || defined(__CRIS__)
        return syscall(SYS_clone, 0, flags | SIGCHLD, NULL, NULL, 0);
#else
        return syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
#endif
}

#if defined(__x86_64__)
#define SPAWN_VM_STACK_SIZE (64 * 1024)

/* clone3() whose child runs fn(arg) on the stack given in ca and never
 * returns into this function: with CLONE_VM it must not touch the frame
 * the parent is still using.  Returns the child's pid or -errno. */
static long clone3_call(struct clone_args *ca, void (*fn)(const struct spawn_child_args *),
                        const struct spawn_child_args *arg) {
        register long rax __asm__("rax") = SYS_clone3;
        register struct clone_args *rdi __asm__("rdi") = ca;
        register size_t rsi __asm__("rsi") = sizeof *ca;
        register void *r12 __asm__("r12") = (void *)fn;
        register const void *r13 __asm__("r13") = arg;
        __asm__ volatile("syscall\n\t"
                         "test %%rax, %%rax\n\t"
                         "jnz 1f\n\t"
                         "xor %%ebp, %%ebp\n\t"
                         "mov %%r13, %%rdi\n\t"
                         "call *%%r12\n\t"
                         "hlt\n"
                         "1:"
                         : "+r"(rax)
                         : "r"(rdi), "r"(rsi), "r"(r12), "r"(r13)
                         : "rcx", "r11", "memory", "cc");
        return rax;
}

/* One stack serves every child: CLONE_VFORK suspends corral until the
 * child has exec'd or exited, so no two children ever use it at once.
 * A guard page below catches an overflow. */
static void *vm_stack(void) {
        static void *stack;
        if (stack)
                return stack;
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        char *m = mmap(NULL, SPAWN_VM_STACK_SIZE + page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (m == MAP_FAILED)
                return NULL;
        if (mprotect(m, page, PROT_NONE) < 0) {
                munmap(m, SPAWN_VM_STACK_SIZE + page);
                return NULL;
        }
        stack = m + page;
        return stack;
}

/* The child shares corral's memory until exec; 0 when this path cannot be
 * used (the caller forks instead), else the pid or -errno. */
static long clone_vm(const struct spawn_plan *p, struct spawn_child_args *a, int *pidfd) {
        static bool unavailable;
        void *stack = unavailable ? NULL : vm_stack();
        if (!stack)
                return 0;
#if defined(__SANITIZE_ADDRESS__)
        /* The last child never returned from its frames: clear their
         * redzones, or this child trips over them. */
        ASAN_UNPOISON_MEMORY_REGION(stack, SPAWN_VM_STACK_SIZE);
#endif
        struct clone_args ca = {
                .flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD,
                .pidfd = (uint64_t)(uintptr_t)pidfd,
                .exit_signal = SIGCHLD,
                .stack = (uint64_t)(uintptr_t)stack,
                .stack_size = SPAWN_VM_STACK_SIZE,
        };
        if (p->cgroup_fd >= 0) {
                ca.flags |= CLONE_INTO_CGROUP;
                ca.cgroup = (uint64_t)p->cgroup_fd;
        }
        a->join_cgroup = false;
        long r = clone3_call(&ca, spawn_child, a);
        if (r == -ENOSYS || r == -E2BIG) {
                unavailable = true;
                return 0;
        }
        return r;
}
#else
static long clone_vm(const struct spawn_plan *p, struct spawn_child_args *a, int *pidfd) {
        (void)p, (void)a, (void)pidfd;
        return 0;
}
#endif

/* Returns the child's pid in the parent (never returns in the child).
 * *ret_fork tells whether the fallback ran (then no pidfd, and the cgroup
 * is joined afterwards). */
static long clone_child(const struct spawn_plan *p, uint64_t nsflags, struct spawn_child_args *a, int *ret_pidfd,
                        bool *ret_fork) {
        long r;
        spawn_last_shared_vm = false;
        if (!spawn_force_fork_fallback && !p->ns) {
                int pidfd = -1;
                r = clone_vm(p, a, &pidfd);
                if (r > 0) {
                        spawn_last_shared_vm = true;
                        *ret_pidfd = pidfd;
                        *ret_fork = false;
                        return r;
                }
                if (r < 0 && r != -EINVAL)
                        return r;
        }
        if (!spawn_force_fork_fallback) {
                int pidfd = -1;
                struct clone_args ca = {
                        .flags = CLONE_PIDFD | nsflags,
                        .pidfd = (uint64_t)(uintptr_t)&pidfd,
                        .exit_signal = SIGCHLD,
                };
                if (p->cgroup_fd >= 0) {
                        ca.flags |= CLONE_INTO_CGROUP;
                        ca.cgroup = (uint64_t)p->cgroup_fd;
                }
                a->join_cgroup = false;
                r = sys_clone3(&ca, sizeof ca);
                if (r == 0)
                        spawn_child(a);
                if (r > 0) {
                        *ret_pidfd = pidfd;
                        *ret_fork = false;
                        return r;
                }
                if (r != -ENOSYS && r != -E2BIG && r != -EINVAL)
                        return r;
        }
        /* With a sync pipe the parent joins the pid instead: a child in a
         * new user namespace has no mapped uid yet to write cgroup.procs. */
        a->join_cgroup = p->cgroup_fd >= 0 && a->syncfd < 0;
        r = clone_legacy(nsflags);
        if (r < 0)
                return -errno;
        if (r == 0)
                spawn_child(a);
        *ret_pidfd = -1;
        *ret_fork = true;
        return r;
}

static int cgroup_join_pid(int cgroup_fd, pid_t pid) {
        char buf[32];
        snprintf(buf, sizeof buf, "%d", (int)pid);
        return write_file_at(cgroup_fd, "cgroup.procs", buf);
}

/* Parent side of the handshake for children that wait: cgroup (fork
 * path), id maps, then the go byte.  On failure the caller kills the child. */
static int release_child(const struct spawn_plan *p, pid_t pid, bool forked, int sync_w,
                         struct spawn_error *ret_err) {
        int r = 0;
        if (forked && p->cgroup_fd >= 0 && (r = cgroup_join_pid(p->cgroup_fd, pid)) < 0) {
                *ret_err = (struct spawn_error){ STAGE_CGROUP, -r, -1 };
                return r;
        }
        if (p->ns && (r = ns_parent_setup(p->ns, pid)) < 0) {
                *ret_err = (struct spawn_error){ STAGE_NAMESPACE, -r, ns_parent_failure() };
                return r;
        }
        if (write_all(sync_w, "1", 1) < 0) {
                *ret_err = (struct spawn_error){ STAGE_CLONE, EPIPE, -1 };
                return -EPIPE;
        }
        return 0;
}

/* EOF: the exec happened (the pipe was CLOEXEC).  A record: the child
 * failed.  Returns 0, or -ECHILD with *ret_err. */
static int read_child_error(int err_r, struct spawn_error *ret_err) {
        struct spawn_error e;
        size_t got = 0;
        while (got < sizeof e) {
                ssize_t n = read(err_r, (char *)&e + got, sizeof e - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        *ret_err = (struct spawn_error){ STAGE_CLONE, errno, -1 };
                        return -ECHILD;
                }
                if (n == 0)
                        break;
                got += (size_t)n;
        }
        if (got == 0)
                return 0;
        if (got != sizeof e || e.stage <= STAGE_NONE || e.stage >= _STAGE_MAX)
                e = (struct spawn_error){ STAGE_CLONE, EIO, -1 };
        *ret_err = e;
        return -ECHILD;
}

int spawn_start(const struct spawn_plan *p, pid_t *ret_pid, int *ret_pidfd, struct spawn_error *ret_err) {
        int errp[2], syncp[2] = { -1, -1 };
        int r = pipe_cloexec(errp);
        if (r < 0)
                return r;
        _cleanup_close_ int err_r = errp[0], err_w = errp[1];
        if (p->ns && (r = pipe_cloexec(syncp)) < 0)
                return r;
        _cleanup_close_ int sync_r = syncp[0], sync_w = syncp[1];

        struct spawn_child_args a = {
                .plan = p,
                .errfd = err_w,
                .syncfd = sync_r,
                .close_fds = { err_r, sync_w },
                .reset_signals = non_default_signals(),
        };
        uint64_t nsflags = p->ns ? (uint64_t)(unsigned)ns_plan_clone_flags(p->ns) : 0;
        int pidfd_raw = -1;
        bool forked = false;

        /* Blocked across clone so that none of corral's handlers runs in the
         * child before it resets them; the child unblocks after the reset. */
        sigset_t all, saved;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, &saved);
        long pid = clone_child(p, nsflags, &a, &pidfd_raw, &forked);
        sigprocmask(SIG_SETMASK, &saved, NULL);
        if (pid < 0)
                return (int)pid;

        _cleanup_close_ int pidfd = pidfd_raw;
        err_w = safe_close(err_w);
        sync_r = safe_close(sync_r);
        if (forked) {
                r = sys_pidfd_open((pid_t)pid);
                pidfd = r >= 0 ? r : -1;
        }

        struct spawn_error e;
        if (sync_w >= 0) {
                r = release_child(p, (pid_t)pid, forked, sync_w, &e);
                sync_w = safe_close(sync_w);
                if (r < 0) {
                        if (pidfd < 0 || sys_pidfd_send_signal(pidfd, SIGKILL) < 0)
                                kill((pid_t)pid, SIGKILL);
                        r = -ECHILD;
                }
        }
        if (r >= 0)
                r = read_child_error(err_r, &e);
        *ret_pid = (pid_t)pid;
        if (r < 0) {
                /* The child exits (127 or killed) and is reaped like any other. */
                *ret_err = e;
                *ret_pidfd = -1;
                return r;
        }
        *ret_pidfd = TAKE_FD(pidfd);
        return 0;
}
