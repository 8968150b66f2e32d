/* bw: the benchmark's multi-call workload, floors and probes.
 *
 * Services (what every init supervises):
 *   bw svc OUT               record R at start; SIGUSR1 -> record U; SIGTERM -> record T, exit 0
 *   bw exit N                exit N (probing an init's exit status)
 *   bw restart OUT           record S, record E, exit 0 at once
 *   bw orphans N OUT         record B, make N orphans by double fork (each exits at once),
 *                            record M, wait until the init reaped every one (pidfds), record
 *                            C (pid field: peak number of zombies seen), stay
 *
 * Floors (run as PID 1 of a PID namespace like every init):
 *   bw pid1-wait -- CMD...   fork+exec CMD, then a bare blocking waitpid(-1) loop
 *   bw pid1-fwd N -- CMD...  fork+exec CMD N times, sigwaitinfo loop: reap on SIGCHLD,
 *                            forward the rest to the N children, exit when they are gone
 *   bw loop fork|spawn -- CMD...   run CMD again as soon as it exits, forever
 *   bw spawn-n N [fork] -- CMD...  posix_spawn (or fork+exec) CMD N times, then reap forever
 *
 * Harness:
 *   bw ns FD -- PROG...      new PID + mount namespace with its own /proc (as
 *                            unshare --pid --fork --mount-proc); writes "pid HOSTPID T0"
 *                            (T0 = CLOCK_MONOTONIC just before PROG's exec) and at the end
 *                            "exit T STATUS" to fd FD
 *
 * Records written to OUT are 16 bytes (kind, pid, CLOCK_MONOTONIC ns): one write(2)
 * each, below PIPE_BUF, so records from many writers never interleave.
 * Invoked as "run" (an s6 or runit service directory), the arguments come from the
 * file "args" in the current directory, one per line.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct rec {
        uint32_t kind;
        int32_t pid;
        uint64_t ns;
};

static int out_fd = -1;

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
        fprintf(stderr, "bw: %s: %s\n", what, strerror(errno));
        exit(111);
}

/* Async-signal-safe: used from handlers. */
static void record(char kind) {
        struct rec r = { (uint32_t)kind, (int32_t)getpid(), now_ns() };
        if (out_fd >= 0) {
                ssize_t n = write(out_fd, &r, sizeof r);
                (void)n;
        }
}

static void open_out(const char *path) {
        /* A fifo is opened read-write by the harness first, so this never blocks. */
        out_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (out_fd < 0)
                die(path);
}

static void on_usr1(int sig) {
        (void)sig;
        record('U');
}

static void on_term(int sig) {
        (void)sig;
        record('T');
        _exit(0);
}

static int cmd_svc(int argc, char **argv) {
        if (argc < 2)
                return 2;
        open_out(argv[1]);
        struct sigaction sa = { .sa_handler = on_usr1 };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
        sa.sa_handler = on_term;
        sigaction(SIGTERM, &sa, NULL);
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        record('R');
        for (;;)
                pause();
}

static int cmd_exit(int argc, char **argv) {
        return argc < 2 ? 2 : atoi(argv[1]);
}

static int cmd_restart(int argc, char **argv) {
        if (argc < 2)
                return 2;
        open_out(argv[1]);
        record('S');
        record('E');
        _exit(0);
}

static void raise_nofile(void) {
        struct rlimit rl = { 65536, 65536 };
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
                getrlimit(RLIMIT_NOFILE, &rl);
                rl.rlim_cur = rl.rlim_max;
                setrlimit(RLIMIT_NOFILE, &rl);
        }
}

/* The intermediate child: its child exits at once and is left to the init. */
static void orphan_child(int wfd) {
        pid_t g = fork();
        if (g == 0)
                _exit(0);
        ssize_t n = write(wfd, &g, sizeof g);
        (void)n;
        _exit(g < 0 ? 1 : 0);
}

/* Orphans still unreaped: pidfds polled for POLLIN (exited, a zombie now) and
 * POLLHUP (reaped by the init; pidfds wake on both). */
struct watch {
        struct pollfd *pf;
        int n, zombies, peak;
};

static void watch_scan(struct watch *w, int timeout_ms) {
        if (poll(w->pf, (nfds_t)w->n, timeout_ms) < 0 && errno != EINTR)
                die("poll");
        for (int i = 0; i < w->n;) {
                short re = w->pf[i].revents;
                if (re & POLLHUP) {
                        if (w->pf[i].events == 0)
                                w->zombies--;
                        close(w->pf[i].fd);
                        w->pf[i] = w->pf[--w->n];
                        continue;
                }
                if ((re & POLLIN) && w->pf[i].events) {
                        w->pf[i].events = 0;
                        w->zombies++;
                }
                i++;
        }
        if (w->zombies > w->peak)
                w->peak = w->zombies;
}

static int cmd_orphans(int argc, char **argv) {
        if (argc < 3)
                return 2;
        long n = atol(argv[1]);
        open_out(argv[2]);
        raise_nofile();
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                die("pipe");
        struct watch w = { calloc((size_t)n, sizeof(struct pollfd)), 0, 0, 0 };
        record('B');
        for (long i = 0; i < n; i++) {
                pid_t c = fork();
                if (c < 0)
                        die("fork");
                if (c == 0)
                        orphan_child(p[1]);
                pid_t g;
                int st;
                if (read(p[0], &g, sizeof g) != (ssize_t)sizeof g || g <= 0)
                        die("orphan pid");
                if (waitpid(c, &st, 0) < 0)
                        die("waitpid");
                /* ESRCH: already reaped, never seen as a zombie. */
                int fd = (int)syscall(SYS_pidfd_open, g, 0);
                if (fd >= 0)
                        w.pf[w.n++] = (struct pollfd){ fd, POLLIN, 0 };
                if ((i & 15) == 15)
                        watch_scan(&w, 0);
        }
        record('M');
        uint64_t deadline = now_ns() + 60ull * 1000000000u;
        while (w.n > 0 && now_ns() < deadline)
                watch_scan(&w, 1000);
        struct rec r = { w.n ? 'X' : 'C', w.peak, now_ns() };
        if (write(out_fd, &r, sizeof r) != (ssize_t)sizeof r)
                die("write");
        for (;;)
                pause();
}

static pid_t spawn_cmd(char **cmd, int use_fork) {
        pid_t pid;
        if (!use_fork) {
                int r = posix_spawn(&pid, cmd[0], NULL, NULL, cmd, environ);
                if (r != 0) {
                        errno = r;
                        die("posix_spawn");
                }
                return pid;
        }
        pid = fork();
        if (pid < 0)
                die("fork");
        if (pid == 0) {
                execv(cmd[0], cmd);
                _exit(127);
        }
        return pid;
}

static char **after_dashes(int argc, char **argv) {
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--") == 0 && i + 1 < argc)
                        return argv + i + 1;
        fprintf(stderr, "bw: missing -- COMMAND\n");
        exit(2);
}

static int exit_code(int st) {
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int cmd_pid1_wait(int argc, char **argv) {
        pid_t main_pid = spawn_cmd(after_dashes(argc, argv), 1);
        for (;;) {
                int st;
                pid_t p = waitpid(-1, &st, 0);
                if (p == main_pid)
                        return exit_code(st);
                if (p < 0 && errno == ECHILD)
                        return 1;
        }
}

/* N copies of CMD; every signal but SIGCHLD forwarded to each; exits when all
 * have exited, with the status of the last one. */
static int cmd_pid1_fwd(int argc, char **argv) {
        if (argc < 2)
                return 2;
        int n = atoi(argv[1]);
        if (n < 1 || n > 4096)
                return 2;
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        char **cmd = after_dashes(argc, argv);
        static pid_t kids[4096];
        for (int i = 0; i < n; i++) {
                kids[i] = fork();
                if (kids[i] < 0)
                        die("fork");
                if (kids[i] == 0) {
                        sigset_t none;
                        sigemptyset(&none);
                        sigprocmask(SIG_SETMASK, &none, NULL);
                        execv(cmd[0], cmd);
                        _exit(127);
                }
        }
        int left = n;
        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(&all, &si);
                if (sig < 0)
                        continue;
                if (sig != SIGCHLD) {
                        for (int i = 0; i < n; i++)
                                if (kids[i] > 0)
                                        kill(kids[i], sig);
                        continue;
                }
                int st;
                pid_t p;
                while ((p = waitpid(-1, &st, WNOHANG)) > 0)
                        for (int i = 0; i < n; i++)
                                if (kids[i] == p) {
                                        kids[i] = 0;
                                        if (--left == 0)
                                                return exit_code(st);
                                }
        }
}

static int cmd_loop(int argc, char **argv) {
        if (argc < 2)
                return 2;
        int use_fork = strcmp(argv[1], "fork") == 0;
        char **cmd = after_dashes(argc, argv);
        for (;;) {
                pid_t c = spawn_cmd(cmd, use_fork);
                int st;
                while (waitpid(c, &st, 0) < 0 && errno == EINTR)
                        ;
        }
}

static int cmd_spawn_n(int argc, char **argv) {
        if (argc < 2)
                return 2;
        long n = atol(argv[1]);
        int use_fork = argc > 2 && strcmp(argv[2], "fork") == 0;
        char **cmd = after_dashes(argc, argv);
        for (long i = 0; i < n; i++)
                spawn_cmd(cmd, use_fork);
        for (;;)
                if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
                        pause();
}

static pid_t ns_init;

static void on_ns_stop(int sig) {
        (void)sig;
        if (ns_init > 0)
                kill(ns_init, SIGKILL);
}

static int cmd_ns(int argc, char **argv) {
        if (argc < 2)
                return 2;
        int rep = atoi(argv[1]);
        char **cmd = after_dashes(argc, argv);
        fcntl(rep, F_SETFD, FD_CLOEXEC);
        /* Whatever happens to the harness, no namespace outlives it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        raise_nofile();
        if (unshare(CLONE_NEWPID | CLONE_NEWNS) < 0)
                die("unshare");
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                die("pipe");
        pid_t c = fork();
        if (c < 0)
                die("fork");
        if (c == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        die("mount --make-rprivate /");
                if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                        die("mount /proc");
                uint64_t t0 = now_ns();
                ssize_t n = write(p[1], &t0, sizeof t0);
                (void)n;
                execvp(cmd[0], cmd);
                die(cmd[0]);
        }
        close(p[1]);
        uint64_t t0 = 0;
        ssize_t n = read(p[0], &t0, sizeof t0);
        (void)n;
        dprintf(rep, "pid %d %llu\n", c, (unsigned long long)t0);
        /* Signals meant for the init go to its host pid; one sent here ends the
         * namespace (so that timeout(1) or ^C of the harness leave nothing). */
        ns_init = c;
        struct sigaction sa = { .sa_handler = on_ns_stop };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        int st;
        while (waitpid(c, &st, 0) < 0)
                if (errno != EINTR)
                        die("waitpid");
        uint64_t t1 = now_ns();
        dprintf(rep, "exit %llu %d\n", (unsigned long long)t1, exit_code(st));
        return exit_code(st);
}

static char **args_from_file(char *self) {
        static char buf[8192];
        static char *av[64];
        int fd = open("args", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                die("./args");
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n < 0)
                die("./args");
        buf[n] = 0;
        int ac = 0;
        av[ac++] = self;
        for (char *s = strtok(buf, "\n"); s && ac < 63; s = strtok(NULL, "\n"))
                av[ac++] = s;
        av[ac] = NULL;
        return av;
}

int main(int argc, char **argv) {
        const char *base = strrchr(argv[0], '/');
        base = base ? base + 1 : argv[0];
        if (strcmp(base, "run") == 0) {
                argv = args_from_file(argv[0]);
                for (argc = 0; argv[argc]; argc++)
                        ;
        }
        if (argc < 2) {
                fprintf(stderr, "usage: bw svc|restart|orphans|pid1-wait|pid1-fwd|loop|spawn-n|ns ...\n");
                return 2;
        }
        static const struct {
                const char *name;
                int (*fn)(int, char **);
        } cmds[] = {
                { "svc", cmd_svc },             { "exit", cmd_exit },             { "restart", cmd_restart },
                { "orphans", cmd_orphans },     { "pid1-wait", cmd_pid1_wait },
                { "pid1-fwd", cmd_pid1_fwd },   { "loop", cmd_loop },
                { "spawn-n", cmd_spawn_n },     { "ns", cmd_ns },
        };
        for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
                if (strcmp(argv[1], cmds[i].name) == 0)
                        return cmds[i].fn(argc - 1, argv + 1);
        fprintf(stderr, "bw: unknown command %s\n", argv[1]);
        return 2;
}
