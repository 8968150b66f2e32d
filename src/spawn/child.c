/* The new process between clone and exec.  Everything it uses was computed
 * by the parent (STYLE 9): no malloc, no stdio, no locks; the first failure
 * is sent as a struct spawn_error over the CLOEXEC pipe and the process
 * exits 127.  Order matters: privileged steps (cgroup, namespaces, rlimits,
 * bounding set) come before the ids are dropped; the workdir is entered and
 * the command looked up as the service's user, no_new_privs and exec last.
 * A service's own process and an exec into it take the same identity steps
 * (child_identity()); only how they reach the namespaces differs. */
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ns.h"
#include "spawn-internal.h"
#include "sys.h"
#include "util.h"

/* Most fds passed at 3, 4, ... that the child can shuffle without malloc. */
#define SPAWN_MAX_PASS_FDS 64

SPAWN_CHILD_NO_ASAN _Noreturn void spawn_child_fail(int errfd, enum spawn_stage stage, int err, int arg) {
        struct spawn_error e = { .stage = stage, .err = err, .arg = arg };
        if (errfd == SPAWN_ERRFD_SHARED) {
                *spawn_child_report = e;
                _exit(127);
        }
        ssize_t n;
        /* One write of 12 bytes: atomic on a pipe (< PIPE_BUF). */
        do
                n = write(errfd, &e, sizeof e);
        while (n < 0 && errno == EINTR);
        _exit(127);
}

SPAWN_CHILD_NO_ASAN static void child_join_cgroup(int cgroup_fd, int errfd) {
        int fd = openat(cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                spawn_child_fail(errfd, STAGE_CGROUP, errno, -1);
        if (write(fd, "0", 1) != 1)
                spawn_child_fail(errfd, STAGE_CGROUP, errno, -1);
        close(fd);
}

/* Wait until the parent wrote the id maps (and joined us to the cgroup).
 * Anything but the go byte means the parent gave up: it kills us and
 * reports the failure itself. */
SPAWN_CHILD_NO_ASAN static void child_wait_parent(int syncfd) {
        char c;
        ssize_t n;
        do
                n = read(syncfd, &c, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1)
                _exit(127);
        close(syncfd);
}

/* Place stdio at 0..2 and pass_fds at 3.., keep the error pipe just above
 * them and close everything else.  Every source is first duplicated above
 * all targets, so sources that already sit on 0..2 (a corral started with
 * closed stdio, swapped fds) cannot be clobbered by an earlier dup2. */
static int child_fds(const struct spawn_plan *p, int *errfd) {
        int npass = 0;
        while (p->pass_fds && p->pass_fds[npass] >= 0)
                if (++npass > SPAWN_MAX_PASS_FDS)
                        return -EMFILE;
        int base = 3 + npass + 1;
        int tmp[3 + SPAWN_MAX_PASS_FDS];
        for (int i = 0; i < 3 + npass; i++) {
                int src = i < 3 ? p->stdio[i] : p->pass_fds[i - 3];
                tmp[i] = -1;
                if (src >= 0 && (tmp[i] = fcntl(src, F_DUPFD_CLOEXEC, base)) < 0)
                        return -errno;
        }
        int e = *errfd;
        if (e != SPAWN_ERRFD_SHARED) {
                if ((e = fcntl(*errfd, F_DUPFD_CLOEXEC, base)) < 0)
                        return -errno;
                *errfd = e;
        }
        /* Where stdio[i] is -1 the child keeps corral's own fd i as it is:
         * an fd corral inherited has no CLOEXEC and passes; one corral
         * opened itself has CLOEXEC and closes at exec.  Clearing the flag
         * would hand the service whatever corral keeps there (SPEC 10). */
        for (int i = 0; i < 3 + npass; i++)
                if (tmp[i] >= 0 && dup2(tmp[i], i) < 0)
                        return -errno;
        int final = 3 + npass;
        if (e == SPAWN_ERRFD_SHARED)
                return sys_close_from(final);
        if (dup3(e, final, O_CLOEXEC) < 0)
                return -errno;
        *errfd = final;
        return sys_close_from(final + 1);
}

/* tini's isolate_child(): a process group of its own, and the terminal's
 * foreground group when fd 0 is corral's controlling terminal.  SIGTTOU is
 * still blocked here, so tcsetpgrp() from the new background group works. */
static int child_foreground(void) {
        if (setpgid(0, 0) < 0)
                return -errno;
        if (tcsetpgrp(0, getpgrp()) < 0 && errno != ENOTTY && errno != ENXIO && errno != EBADF)
                return -errno;
        return 0;
}

/* Handlers do not survive exec, SIG_IGN does: the signals to reset are
 * those corral changed (computed once in the parent, not 64 syscalls in
 * every child).  Handlers are reset too: with a shared address space, one
 * running here before exec would run on corral's memory. */
static int child_signals(const sigset_t *reset) {
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigemptyset(&sa.sa_mask);
        for (int sig = 1; reset && sig < NSIG; sig++) {
                if (!sigismember(reset, sig))
                        continue;
                /* EINVAL: a signal the libc reserves for itself. */
                if (sigaction(sig, &sa, NULL) < 0 && errno != EINVAL)
                        return -errno;
        }
        sigset_t none;
        sigemptyset(&none);
        return sigprocmask(SIG_SETMASK, &none, NULL) < 0 ? -errno : 0;
}

SPAWN_CHILD_NO_ASAN static void child_rlimits(const struct spawn_plan *p, int errfd) {
        for (size_t i = 0; i < p->n_rlimits; i++) {
                const struct rlimit_decl *d = &p->rlimits[i];
                struct rlimit rl = { .rlim_cur = d->soft, .rlim_max = d->hard };
                if (setrlimit(d->resource, &rl) < 0)
                        spawn_child_fail(errfd, STAGE_RLIMIT, errno, d->resource);
        }
}

/* In the service's own user namespace its ids are that namespace's: first
 * become its root (0:0 where the maps have it, groups cleared), as the
 * service's process did before its mounts.  Raw syscalls: libc's set*id
 * wrappers would synchronize threads this child does not have. */
SPAWN_CHILD_NO_ASAN static void child_userns_root(int errfd) {
        if (syscall(SYS_setresgid, 0, 0, 0) < 0 && errno != EINVAL)
                spawn_child_fail(errfd, STAGE_GID, errno, -1);
        if (syscall(SYS_setgroups, 0, NULL) < 0 && errno != EPERM)
                spawn_child_fail(errfd, STAGE_GROUPS, errno, -1);
        if (syscall(SYS_setresuid, 0, 0, 0) < 0 && errno != EINVAL)
                spawn_child_fail(errfd, STAGE_UID, errno, -1);
}

/* Bounding set first (it needs CAP_SETPCAP), then groups, gid, uid, then
 * the capability sets: dropping to a non-root uid clears them unless
 * PR_SET_KEEPCAPS holds them across setresuid().  Raw syscalls: the libc
 * wrappers would signal corral's other threads (setxid broadcast), which
 * is wrong in a child that shares corral's memory. */
SPAWN_CHILD_NO_ASAN static void child_ids_and_caps(const struct spawn_plan *p, int errfd) {
        int cap = -1, r;
        if (p->has_caps && (r = spawn_caps_drop_bounding(p->caps, &cap)) < 0)
                spawn_child_fail(errfd, STAGE_CAPS, -r, cap);
        if (p->userns)
                child_userns_root(errfd);
        if (p->set_ids) {
                bool to_user = p->uid != (uid_t)-1 && p->uid != 0;
                if (syscall(SYS_setgroups, p->n_groups, p->groups) < 0)
                        spawn_child_fail(errfd, STAGE_GROUPS, errno, -1);
                if (p->gid != (gid_t)-1 && syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0)
                        spawn_child_fail(errfd, STAGE_GID, errno, -1);
                if (to_user && p->has_caps && p->caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                        spawn_child_fail(errfd, STAGE_CAPS, errno, -1);
                if (p->uid != (uid_t)-1 && syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0)
                        spawn_child_fail(errfd, STAGE_UID, errno, -1);
        }
        cap = -1;
        if (p->has_caps && (r = spawn_caps_apply(p->caps, geteuid() != 0, &cap)) < 0)
                spawn_child_fail(errfd, STAGE_CAPS, -r, cap);
}

/* Who the service runs as: rlimits, the bounding set, ids, capabilities
 * (needing privileges, so in this order), then the workdir as that user (a
 * directory only corral could reach stays closed to the service, as
 * systemd's WorkingDirectory= does), no_new_privs last. */
SPAWN_CHILD_NO_ASAN static void child_identity(const struct spawn_plan *p, int errfd) {
        child_rlimits(p, errfd);
        child_ids_and_caps(p, errfd);
        if (p->workdir && chdir(p->workdir) < 0)
                spawn_child_fail(errfd, STAGE_WORKDIR, errno, -1);
        if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                spawn_child_fail(errfd, STAGE_NO_NEW_PRIVS, errno, -1);
}

/* The files are opened before any is joined: after the mount namespace,
 * /proc would be the service's. */
SPAWN_CHILD_NO_ASAN static int child_enter_join(const struct spawn_enter *e, int *ret_kind) {
        int fd[SPAWN_ENTER_KINDS], r;
        for (int k = 0; k < SPAWN_ENTER_KINDS; k++)
                if ((r = sys_ns_open(e->pid, spawn_enter_kind_name(k), &fd[k])) < 0) {
                        *ret_kind = k;
                        return r;
                }
        /* A corral without rights in its own user namespace (rootless) may
         * join the service's other namespaces only from inside the
         * service's user namespace: what it is refused before is tried
         * again after that one (as nsenter(1) does). */
        for (int k = 0; k < SPAWN_ENTER_USER; k++) {
                if (fd[k] < 0)
                        continue;
                if (setns(fd[k], e->flag[k]) < 0) {
                        if (errno == EPERM)
                                continue;
                        *ret_kind = k;
                        return -errno;
                }
                close(fd[k]);
                fd[k] = -1;
        }
        for (int k = SPAWN_ENTER_USER; k >= 0; k--) {
                if (fd[k] < 0)
                        continue;
                if (setns(fd[k], e->flag[k]) < 0) {
                        *ret_kind = k;
                        return -errno;
                }
                close(fd[k]);
        }
        return 0;
}

/* In the child: join the PID namespace and make the process that goes on
 * (the command) as a sibling, corral's own child; this one reports the
 * command's pid (a record with STAGE_NONE) and exits.  Returns in the
 * command's process only. */
SPAWN_CHILD_NO_ASAN static void child_enter_pidns(const struct spawn_enter *e, int errfd) {
        int fd, r = sys_ns_open(e->pid, "pid", &fd);
        if (r < 0)
                spawn_child_fail(errfd, STAGE_ENTER, -r, -1);
        if (fd < 0)
                return; /* corral's own */
        if (setns(fd, CLONE_NEWPID) < 0)
                spawn_child_fail(errfd, STAGE_ENTER, errno, -1);
        close(fd);
        long pid = sys_clone(CLONE_PARENT);
        if (pid < 0)
                spawn_child_fail(errfd, STAGE_CLONE, (int)-pid, -1);
        if (pid == 0)
                return;
        struct spawn_error rec = { .stage = STAGE_NONE, .err = 0, .arg = (int32_t)pid };
        ssize_t n;
        do
                n = write(errfd, &rec, sizeof rec);
        while (n < 0 && errno == EINTR);
        _exit(n == sizeof rec ? 0 : 127);
}

/* exec: corral's fds are closed while the child still sees corral's /proc
 * and files, then the service's namespaces are joined.  Nothing is
 * opened in them before the ids are the service's. */
SPAWN_CHILD_NO_ASAN static void child_enter(const struct spawn_plan *p, int *errfd) {
        int r = child_fds(p, errfd), kind = -1;
        if (r < 0)
                spawn_child_fail(*errfd, STAGE_FDS, -r, -1);
        if ((r = child_enter_join(p->enter, &kind)) < 0)
                spawn_child_fail(*errfd, STAGE_ENTER, -r, kind);
}

static const char *envp_path(char *const *envp) {
        for (char *const *e = envp; e && *e; e++)
                if (strncmp(*e, "PATH=", 5) == 0)
                        return *e + 5;
        return SPAWN_DEFAULT_PATH;
}

/* execvpe() without its malloc: try each PATH element in a stack buffer.
 * The error reported is the most relevant one, as execvp does: EACCES if
 * any candidate existed but was not executable, else ENOENT; an error that
 * means the file was found but cannot run (ENOEXEC, E2BIG, ...) stops. */
SPAWN_CHILD_NO_ASAN static _Noreturn void child_exec_search(const struct spawn_plan *p, int errfd) {
        const char *name = p->argv[0];
        size_t nlen = strlen(name);
        bool eacces = false;
        char buf[PATH_MAX];

        if (nlen == 0)
                spawn_child_fail(errfd, STAGE_EXEC, ENOENT, -1);
        if (strchr(name, '/')) {
                execve(name, p->argv, p->envp);
                spawn_child_fail(errfd, STAGE_EXEC, errno, -1);
        }
        for (const char *d = envp_path(p->envp);;) {
                const char *end = strchrnul(d, ':');
                size_t dlen = (size_t)(end - d);
                const char *dir = dlen ? d : ".";
                if (!dlen)
                        dlen = 1;
                if (dlen + 1 + nlen + 1 <= sizeof buf) {
                        memcpy(buf, dir, dlen);
                        buf[dlen] = '/';
                        memcpy(buf + dlen + 1, name, nlen + 1);
                        execve(buf, p->argv, p->envp);
                        switch (errno) {
                        case EACCES:
                                eacces = true;
                                break;
                        case ENOENT: case ENOTDIR: case ESTALE: case ELOOP:
                        case ENAMETOOLONG: case ENODEV: case ETIMEDOUT:
                                break;
                        default:
                                spawn_child_fail(errfd, STAGE_EXEC, errno, -1);
                        }
                }
                if (!*end)
                        break;
                d = end + 1;
        }
        spawn_child_fail(errfd, STAGE_EXEC, eacces ? EACCES : ENOENT, -1);
}

SPAWN_CHILD_NO_ASAN _Noreturn void spawn_child(const struct spawn_child_args *a) {
        const struct spawn_plan *p = a->plan;
        int errfd = a->errfd, r;

        /* Before anything else touches an fd: until then a close here
         * would close corral's. */
        if (a->unshare_fds_below > 0 && (r = sys_unshare_fds_below(a->unshare_fds_below)) < 0)
                spawn_child_fail(errfd, STAGE_FDS, -r, -1);
        for (size_t i = 0; i < ARRAY_SIZE(a->close_fds); i++)
                if (a->close_fds[i] >= 0)
                        close(a->close_fds[i]);
        if (a->join_cgroup)
                child_join_cgroup(p->cgroup_fd, errfd);
        if (a->syncfd >= 0)
                child_wait_parent(a->syncfd);
        if (p->enter)
                child_enter_pidns(p->enter, errfd);
        /* A new cgroup namespace is unshared in there, once the child sits
         * in its cgroup, so that the cgroup becomes the namespace's root. */
        if (p->enter)
                child_enter(p, &errfd);
        else if (p->ns && (r = ns_child_setup(p->ns, errfd, p->ns_report)) < 0)
                spawn_child_fail(errfd, STAGE_NAMESPACE, -r, ns_child_failure());
        if (p->new_session && setsid() < 0)
                spawn_child_fail(errfd, STAGE_SETSID, errno, -1);
        if (!p->enter && (r = child_fds(p, &errfd)) < 0)
                spawn_child_fail(errfd, STAGE_FDS, -r, -1);
        if (p->foreground && (r = child_foreground()) < 0)
                spawn_child_fail(errfd, STAGE_SETPGID, -r, -1);
        if ((r = child_signals(a->reset_signals)) < 0)
                spawn_child_fail(errfd, STAGE_SIGNALS, -r, -1);
        child_identity(p, errfd);
        if (p->path) {
                execve(p->path, p->argv, p->envp);
                spawn_child_fail(errfd, STAGE_EXEC, errno, -1);
        }
        child_exec_search(p, errfd);
}
