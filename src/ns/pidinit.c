/* The small init of a service's pid namespace.
 *
 * The process corral clones with CLONE_NEWPID is pid 1 of the new namespace.
 * A service is rarely written to be an init (reap orphans, act on signals
 * while the kernel drops every default-action signal sent to a namespace's
 * pid 1), so that process forks: the child goes on to exec the service (pid
 * 2), and pid 1 stays here, reaping everything and forwarding every signal
 * it receives to the service, until the service ends.
 *
 * Exit status: an exit code passes through unchanged.  A death by signal
 * cannot be re-raised: the kernel marks a namespace's pid 1 SIGNAL_UNKILLABLE
 * and discards any signal it sends itself with the default action (only
 * SIGKILL from an ancestor namespace gets through, see sig_task_ignored() in
 * kernel/signal.c).  The init therefore exits with 128+signal, the shell's
 * encoding, and first leaves the service's own wait status in the report
 * it shares with corral, so that corral sees the signal itself.  When corral
 * kills the init (stop timeout, cgroup.kill), the kernel kills the whole
 * namespace, no report is left, and corral sees the real signal too.
 *
 * No malloc: this runs in a child of corral after clone. */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "ns-internal.h"
#include "sys.h"

/* Reap every child that has ended; true once the service is among them. */
static bool reap(pid_t service, int *ret_status) {
        bool done = false;
        for (;;) {
                int st;
                pid_t w = waitpid(-1, &st, WNOHANG);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return done;
                if (w == service) {
                        *ret_status = st;
                        done = true;
                }
        }
}

/* Orphans still alive are killed by the kernel when pid 1 exits
 * (pid_namespaces(7)). */
static _noreturn_ void exit_as(int status, struct ns_exit_report *report, int32_t gen) {
        if (report) {
                report->status = status;
                __atomic_store_n(&report->reported, gen, __ATOMIC_RELEASE);
        }
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* Reap before each wait (cheap with WNOHANG) so that no SIGCHLD coalesced
 * or sent before the loop started can leave the service's exit unseen. */
static _noreturn_ void init_loop(pid_t service, const sigset_t *all, struct ns_exit_report *report,
                                 int32_t gen) {
        for (;;) {
                int st;
                if (reap(service, &st))
                        exit_as(st, report, gen);
                siginfo_t si;
                int sig = sigwaitinfo(all, &si);
                if (sig > 0 && sig != SIGCHLD)
                        kill(service, sig);
        }
}

int ns_pid_init_fork(const struct ns_plan *p, int errfd, struct ns_exit_report *report) {
        (void)p;
        sigset_t all, old;
        sigfillset(&all);
        /* Blocked before the fork: a signal sent to pid 1 from now on waits
         * for sigwaitinfo() and is forwarded, none is lost or handled by a
         * handler inherited from corral. */
        if (sigprocmask(SIG_SETMASK, &all, &old) < 0)
                return -errno;
        /* SIG_IGN would make children auto-reap.  Set before the fork:
         * setting SIG_DFL discards a pending SIGCHLD (POSIX, sigaction), which
         * a service that exits at once would already have sent. */
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigaction(SIGCHLD, &sa, NULL);
        /* A raw fork: the caller may itself be a raw clone3() child, where
         * libc's fork() wrappers and atfork handlers have no business. */
        long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
        if (pid < 0) {
                int e = errno;
                sigprocmask(SIG_SETMASK, &old, NULL);
                return -e;
        }
        if (pid == 0) {
                sigprocmask(SIG_SETMASK, &old, NULL);
                return 0;
        }
        /* The service's exec closes its copy of the error pipe; the init must
         * close its own or the parent would wait for EOF until the init ends. */
        close(errfd);
        sys_close_from(3);
        /* Out of corral's process group and session, as services are, so a
         * terminal's ^C reaches corral alone and the service only through
         * corral's orderly stop. */
        setsid();
        prctl(PR_SET_NAME, "corral-init", 0, 0, 0);
        /* The gen of this start: a report left late by the init of an
         * earlier start of the slot is not taken for this one's. */
        int32_t gen = report ? __atomic_load_n(&report->gen, __ATOMIC_ACQUIRE) : 0;
        init_loop((pid_t)pid, &all, report, gen);
}
