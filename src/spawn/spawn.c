/* Starting the process: pipes, clone, the parent's half of the handshake.
 * clone3() creates the child directly in its cgroup (CLONE_INTO_CGROUP)
 * and returns a pidfd without a pid-reuse race (CLONE_PIDFD); on kernels
 * or sandboxes without it the child is forked and joins the cgroup itself
 * before anything else.  See clone(2), "CLONE_INTO_CGROUP".
 *
 * A child that needs no handshake with the parent (no namespaces) shares
 * corral's memory until it execs (CLONE_VM | CLONE_VFORK, as posix_spawn
 * does): a fork would copy corral's page tables only for exec to throw
 * them away, a cost that grows with every service corral holds.  It shares
 * corral's fd table as well (CLONE_FILES), for the same reason: see
 * "Slots" below. */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#include "ns.h"
#include "spawn-internal.h"
#include "sys.h"
#include "util.h"

bool spawn_force_fork_fallback = false;
bool spawn_last_shared_vm = false;
bool spawn_last_shared_files = false;

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

/* clone3() is missing (ENOSYS), cannot take what is asked (E2BIG: a field
 * it does not know, as CLONE_INTO_CGROUP before Linux 5.7), or a seccomp
 * policy refuses it (EPERM: older container runtimes' default, see
 * moby/moby#42680).  clone(2) is tried then; a genuine refusal (a namespace
 * corral may not create) comes back from it again and is reported. */
static bool clone3_refused(long r) {
        return r == -ENOSYS || r == -E2BIG || r == -EPERM;
}

/* What one thread that starts children keeps between starts: the stack its
 * children run on until exec, and its slots (see below).  corral's main
 * thread has one; spawn_start_many() gives each of its helpers another. */
#define SPAWN_SLOTS 4 /* stdio, and one fd passed at 3 */

struct spawn_ctx {
        void *stack;
        bool vm_unavailable;
        int slot_state; /* 0: not set up yet, 1: ready, -1: unavailable */
        int slot[SPAWN_SLOTS];
        int slot_end;   /* one above the highest slot */
        bool record;    /* set spawn_last_shared_vm / _files (main thread only) */
};

static struct spawn_ctx main_ctx = { .record = true };

/* Where a child sharing its parent's memory reports a failed setup.  Per
 * thread: the child runs on its parent thread's TLS while that thread
 * waits in vfork. */
__thread struct spawn_error *spawn_child_report;

#if defined(__x86_64__)
static int slot_hold = -1; /* the placeholder of every slot, an O_PATH fd of "/" */

/* Slots.  A child given a copy of corral's fd table copies a reference to
 * every fd corral holds (a pidfd and a capture pipe per running service)
 * and then closes each one again before exec: start-up time that grew with
 * the square of the number of services.  Instead the child shares the
 * table (CLONE_FILES, while its parent waits in vfork) and its first act
 * is close_range(end, ~0U, CLOSE_RANGE_UNSHARE), which gives it a private
 * copy of only the fds below end.  The fds it needs are placed there
 * first, in slots: low fds reserved early (spawn_reserve_slots()) that
 * hold a placeholder between starts, so that no pipe end outlives its
 * start in one.  Kernels before 5.9 lack the flag: then the table is copied. */
static bool slots_ready(struct spawn_ctx *c) {
        if (c->slot_state)
                return c->slot_state > 0;
        c->slot_state = -1;
        /* A range above every fd closes nothing: this only asks whether the
         * kernel knows the flag.  Asked once, by the first call, which
         * spawn_reserve_slots() makes while corral has one thread: with
         * helpers the table is shared, and this would unshare it. */
        static bool asked;
        if (!asked) {
                asked = true;
                if (sys_unshare_fds_below(INT_MAX) == 0)
                        slot_hold = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        }
        if (slot_hold < 0)
                return false;
        int n = 0;
        for (; n < SPAWN_SLOTS; n++) {
                if ((c->slot[n] = fcntl(slot_hold, F_DUPFD_CLOEXEC, 3)) < 0)
                        break;
                if (c->slot[n] >= c->slot_end)
                        c->slot_end = c->slot[n] + 1;
        }
        if (n < SPAWN_SLOTS) {
                while (n-- > 0)
                        close(c->slot[n]);
                return false;
        }
        c->slot_state = 1;
        return true;
}

/* Put src into slot i (the placeholder's reference is dropped). */
static int slot_fill(struct spawn_ctx *c, int i, int src) {
        return dup3(src, c->slot[i], O_CLOEXEC) < 0 ? -errno : c->slot[i];
}

/* Back to placeholders: a pipe end left in a slot would hide its EOF. */
static void slots_release(struct spawn_ctx *c, int used) {
        for (int i = 0; i < used; i++)
                (void)dup3(slot_hold, c->slot[i], O_CLOEXEC);
}

/* A copy of the plan whose fds sit in slots: stdio and pass_fds.  Returns
 * the number of slots filled (perhaps none: a child that keeps corral's
 * stdio), or -errno; a->unshare_fds_below is left 0 when the child's fds
 * do not fit or the kernel cannot unshare a part of the table. */
static int slots_place(struct spawn_ctx *c, const struct spawn_plan *p, struct spawn_plan *shadow,
                       int *shadow_pass, struct spawn_child_args *a) {
        int npass = 0;
        while (p->pass_fds && p->pass_fds[npass] >= 0)
                if (++npass + 3 > SPAWN_SLOTS)
                        return 0;
        if (!slots_ready(c))
                return 0;
        *shadow = *p;
        int used = 0, r;
        for (int i = 0; i < 3; i++)
                if (p->stdio[i] >= 0 && (shadow->stdio[i] = r = slot_fill(c, used++, p->stdio[i])) < 0)
                        goto fail;
        for (int i = 0; i < npass; i++)
                if ((shadow_pass[i] = r = slot_fill(c, used++, p->pass_fds[i])) < 0)
                        goto fail;
        shadow_pass[npass] = -1;
        if (p->pass_fds)
                shadow->pass_fds = shadow_pass;
        a->plan = shadow;
        a->unshare_fds_below = c->slot_end;
        return used;
fail:
        slots_release(c, used);
        return r;
}

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

/* One stack serves every child of a thread: CLONE_VFORK suspends the
 * thread until the child has exec'd or exited, so no two of its children
 * ever use it at once.  A guard page below catches an overflow. */
static void *vm_stack(struct spawn_ctx *c) {
        if (c->stack)
                return c->stack;
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        char *m = mmap(NULL, SPAWN_VM_STACK_SIZE + page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (m == MAP_FAILED)
                return NULL;
        if (mprotect(m, page, PROT_NONE) < 0) {
                munmap(m, SPAWN_VM_STACK_SIZE + page);
                return NULL;
        }
        c->stack = m + page;
        return c->stack;
}

/* The child shares corral's memory until exec and reports a failed setup
 * in *report, not through a pipe; 0 when this path cannot be used (the
 * caller forks instead), else the pid or -errno. */
static long clone_vm(struct spawn_ctx *c, const struct spawn_plan *p, int *pidfd, struct spawn_error *report) {
        void *stack = c->vm_unavailable ? NULL : vm_stack(c);
        if (!stack)
                return 0;
        struct spawn_plan shadow;
        int shadow_pass[SPAWN_SLOTS];
        struct spawn_child_args a = {
                .plan = p,
                .errfd = SPAWN_ERRFD_SHARED,
                .syncfd = -1,
                .close_fds = { -1, -1 },
                .reset_signals = non_default_signals(),
        };
        int used = slots_place(c, p, &shadow, shadow_pass, &a);
        if (used < 0)
                return used;
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
        if (a.unshare_fds_below > 0)
                ca.flags |= CLONE_FILES;
        *report = (struct spawn_error){ .stage = STAGE_NONE, .arg = -1 };
        spawn_child_report = report;
        long r = clone3_call(&ca, spawn_child, &a);
        spawn_child_report = NULL;
        if (c->record)
                spawn_last_shared_files = r > 0 && a.unshare_fds_below > 0;
        slots_release(c, used);
        if (clone3_refused(r)) {
                c->vm_unavailable = true;
                return 0;
        }
        return r;
}
#else
static long clone_vm(struct spawn_ctx *c, const struct spawn_plan *p, int *pidfd, struct spawn_error *report) {
        (void)c, (void)p, (void)pidfd, (void)report;
        return 0;
}
#endif

/* Returns the child's pid in the parent (never returns in the child).
 * *ret_fork tells whether the fallback ran (then no pidfd, and the cgroup
 * is joined afterwards). */
static long clone_child(const struct spawn_plan *p, uint64_t nsflags, struct spawn_child_args *a, int *ret_pidfd,
                        bool *ret_fork) {
        long r;
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
                if (!clone3_refused(r) && r != -EINVAL)
                        return r;
        }
        /* With a sync pipe the parent joins the pid instead: a child in a
         * new user namespace has no mapped uid yet to write cgroup.procs. */
        a->join_cgroup = p->cgroup_fd >= 0 && a->syncfd < 0;
        r = sys_clone(nsflags);
        if (r < 0)
                return r;
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

/* Records until EOF, which comes once every writer is gone: the exec
 * happened (the pipe is CLOEXEC).  A record with a stage: the child failed
 * (the first one counts).  One with STAGE_NONE: an exec child made the
 * command in the service's PID namespace, this is its pid (*ret_cmd).
 * Returns 0, or -ECHILD with *ret_err. */
static int read_child_error(int err_r, pid_t *ret_cmd, struct spawn_error *ret_err) {
        bool failed = false;
        for (;;) {
                struct spawn_error e;
                size_t got = 0;
                while (got < sizeof e) {
                        ssize_t n = read(err_r, (char *)&e + got, sizeof e - got);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0) {
                                e = (struct spawn_error){ STAGE_CLONE, errno, -1 };
                                got = sizeof e + 1;
                                break;
                        }
                        if (n == 0)
                                break;
                        got += (size_t)n;
                }
                if (got == 0)
                        break;
                if (got == sizeof e && e.stage == STAGE_NONE && e.arg > 0) {
                        *ret_cmd = (pid_t)e.arg;
                        continue;
                }
                if (got < sizeof e || e.stage <= STAGE_NONE || e.stage >= _STAGE_MAX)
                        e = (struct spawn_error){ STAGE_CLONE, EIO, -1 };
                if (!failed)
                        *ret_err = e;
                failed = true;
                if (got != sizeof e)
                        break;
        }
        return failed ? -ECHILD : 0;
}

/* A child that needs no handshake (no namespaces) shares corral's memory:
 * no pipe, no copy.  1 when it ran (then *ret_r holds the result). */
static int start_shared(struct spawn_ctx *c, const struct spawn_plan *p, pid_t *ret_pid, int *ret_pidfd,
                        struct spawn_error *ret_err, int *ret_r) {
        /* Joining a user namespace needs a memory of one's own (setns(2)). */
        if (spawn_force_fork_fallback || p->ns || p->enter)
                return 0;
        int pidfd = -1;
        struct spawn_error report;
        /* Blocked across clone so that none of corral's handlers runs in the
         * child before it resets them; the child unblocks after the reset. */
        sigset_t all, saved;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &saved);
        long pid = clone_vm(c, p, &pidfd, &report);
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
        if (pid == 0 || pid == -EINVAL)
                return 0;
        if (pid < 0) {
                *ret_r = (int)pid;
                return 1;
        }
        if (c->record)
                spawn_last_shared_vm = true;
        *ret_pid = (pid_t)pid;
        if (report.stage != STAGE_NONE) {
                /* The child exits 127 and is reaped like any other. */
                safe_close(pidfd);
                *ret_err = report;
                *ret_pidfd = -1;
                *ret_r = -ECHILD;
                return 1;
        }
        *ret_pidfd = pidfd;
        *ret_r = 0;
        return 1;
}

/* A pidfd for pid, a child not reaped yet, in place of old (closed); -1
 * without pidfds (before Linux 5.3): the child is then tracked by its pid
 * alone, which stays its own until the supervisor reaps it. */
static int pidfd_of(pid_t pid, int old) {
        safe_close(old);
        int fd = sys_pidfd_open(pid);
        return fd >= 0 ? fd : -1;
}

/* After clone: the parent's half of the handshake (sync_w, closed here;
 * -1 for none), then the child's report.  An exec child that made the
 * command in the service's PID namespace is collected and the command
 * takes its place in *pid and *pidfd.  0, or -ECHILD with *e. */
static int settle(const struct spawn_plan *p, long *pid, bool forked, int *pidfd, int sync_w, int err_r,
                  struct spawn_error *e) {
        if (sync_w >= 0) {
                int r = release_child(p, (pid_t)*pid, forked, sync_w, e);
                safe_close(sync_w);
                if (r < 0) {
                        if (*pidfd < 0 || sys_pidfd_send_signal(*pidfd, SIGKILL) < 0)
                                kill((pid_t)*pid, SIGKILL);
                        return -ECHILD;
                }
        }
        pid_t cmd = 0;
        int r = read_child_error(err_r, &cmd, e);
        if (cmd > 0) {
                while (waitpid((pid_t)*pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                *pid = cmd;
                *pidfd = pidfd_of(cmd, *pidfd);
        }
        return r;
}

static int start_in(struct spawn_ctx *c, const struct spawn_plan *p, pid_t *ret_pid, int *ret_pidfd,
                    struct spawn_error *ret_err) {
        if (c->record)
                spawn_last_shared_vm = spawn_last_shared_files = false;
        int r;
        if (start_shared(c, p, ret_pid, ret_pidfd, ret_err, &r))
                return r;

        int errp[2], syncp[2] = { -1, -1 };
        r = pipe_cloexec(errp);
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

        sigset_t all, saved;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &saved);
        long pid = clone_child(p, nsflags, &a, &pidfd_raw, &forked);
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
        if (pid < 0)
                return (int)pid;

        _cleanup_close_ int pidfd = pidfd_raw;
        err_w = safe_close(err_w);
        sync_r = safe_close(sync_r);
        if (forked)
                pidfd = pidfd_of((pid_t)pid, pidfd);

        struct spawn_error e = { .stage = STAGE_NONE, .arg = -1 };
        r = settle(p, &pid, forked, &pidfd, sync_w, err_r, &e);
        sync_w = -1; /* closed by settle() */
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

int spawn_start(const struct spawn_plan *p, pid_t *ret_pid, int *ret_pidfd, struct spawn_error *ret_err) {
        return start_in(&main_ctx, p, ret_pid, ret_pidfd, ret_err);
}

/* Many starts at once.  Most of a start is waiting: corral sits in vfork
 * while the kernel makes the child, moves it into its fresh cgroup and
 * runs its setup up to exec (or, with namespaces, waits for the child's
 * namespaces, mounts and pivot_root), much of it on another CPU or in
 * wakeups.  Helper threads, each waiting for a child of its own, overlap
 * those waits.  Nothing a start does in corral is shared between threads
 * but what is read only (the plans, the signal set). */
#define SPAWN_HELPERS_MAX 3
#define SPAWN_MANY_MIN 8 /* fewer starts are not worth a thread */

static struct spawn_ctx helper_ctx[SPAWN_HELPERS_MAX];

struct many {
        struct spawn_job *jobs;
        size_t n;
        atomic_size_t next;
};

static void run_jobs(struct spawn_ctx *c, struct many *m) {
        for (;;) {
                size_t i = atomic_fetch_add(&m->next, 1);
                if (i >= m->n)
                        return;
                struct spawn_job *j = &m->jobs[i];
                j->r = start_in(c, j->plan, &j->pid, &j->pidfd, &j->err);
        }
}

struct helper {
        struct spawn_ctx *c;
        struct many *m;
};

static void *helper_main(void *arg) {
        struct helper *h = arg;
        run_jobs(h->c, h->m);
        return NULL;
}

static size_t helpers_wanted(size_t n) {
        cpu_set_t set;
        long cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
        if (n < SPAWN_MANY_MIN || cpus < 2 || spawn_force_fork_fallback)
                return 0;
        return (size_t)(cpus - 1 < SPAWN_HELPERS_MAX ? cpus - 1 : SPAWN_HELPERS_MAX);
}

void spawn_reserve_slots(void) {
#if defined(__x86_64__)
        (void)slots_ready(&main_ctx);
        for (size_t i = 0; i < helpers_wanted(SIZE_MAX); i++)
                (void)slots_ready(&helper_ctx[i]);
#endif
}

void spawn_start_many(struct spawn_job *jobs, size_t n) {
        for (size_t i = 0; i < n; i++) {
                jobs[i].r = -ECANCELED;
                jobs[i].pid = 0;
                jobs[i].pidfd = -1;
        }
        /* Computed here, read by every child. */
        (void)non_default_signals();
        struct many m = { .jobs = jobs, .n = n };
        size_t want = helpers_wanted(n), started = 0;
        spawn_reserve_slots();
        pthread_t tid[SPAWN_HELPERS_MAX];
        struct helper h[SPAWN_HELPERS_MAX];
        if (want) {
                pthread_attr_t attr;
                sigset_t all, saved;
                sigfillset(&all);
                /* Helpers never take a signal: corral's handlers are the
                 * main thread's business. */
                pthread_sigmask(SIG_SETMASK, &all, &saved);
                if (pthread_attr_init(&attr) == 0) {
                        (void)pthread_attr_setstacksize(&attr, 256 * 1024);
                        for (; started < want; started++) {
                                h[started] = (struct helper){ &helper_ctx[started], &m };
                                if (pthread_create(&tid[started], &attr, helper_main, &h[started]) != 0)
                                        break;
                        }
                        pthread_attr_destroy(&attr);
                }
                pthread_sigmask(SIG_SETMASK, &saved, NULL);
        }
        run_jobs(&main_ctx, &m);
        for (size_t i = 0; i < started; i++)
                pthread_join(tid[i], NULL);
}
