/* Real spawns as the test process: exec errors, the child's fds, signals,
 * rlimits, ids, capabilities, PATH lookup, cgroup placement (clone3 and the
 * fork fallback).  Steps that need root or a writable cgroup2 are skipped. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child-collect.h"
#include "model.h"
#include "spawn.h"
#include "tap.h"
#include "util.h"

#define CGROUP2 "/sys/fs/cgroup/unified"

struct run {
        int r;               /* spawn_start() */
        struct spawn_error e;
        int status;          /* waitpid() */
        char out[8192];      /* the child's stdout */
        char msg[512];       /* spawn_error_format() */
};

static void svc(struct service *s, char **argv) {
        service_init_defaults(s);
        s->name = "t";
        s->argv = argv;
        s->cgroup_path = "t";
}

/* fd 0 of the next child (-1: the test's own). */
static int run_stdin = -1;

/* Start s with stdout into a pipe, collect the output and the exit status. */
static void run(const struct service *s, int cgroup_fd, struct run *res) {
        memset(res, 0, sizeof *res);
        struct spawn_plan p;
        char *base[] = { "PATH=/usr/bin:/bin", "LANG=C", NULL };
        res->r = spawn_plan_build(s, base, NULL, &p, NULL);
        if (res->r < 0)
                return;
        int out[2];
        if (pipe2(out, O_CLOEXEC) < 0) {
                res->r = -errno;
                spawn_plan_done(&p);
                return;
        }
        p.stdio[0] = run_stdin;
        p.stdio[1] = out[1];
        p.cgroup_fd = cgroup_fd;
        pid_t pid = -1;
        int pidfd = -1;
        res->r = spawn_start(&p, &pid, &pidfd, &res->e);
        if (res->r == -ECHILD)
                spawn_error_format(s, &p, &res->e, res->msg, sizeof res->msg);
        child_collect(pid, pidfd, out, res->out, sizeof res->out, &res->status);
        spawn_plan_done(&p);
}

static bool exited(const struct run *r, int code) {
        return WIFEXITED(r->status) && WEXITSTATUS(r->status) == code;
}

static void test_exec_errors(void) {
        struct service s;
        struct run r;
        char *nope[] = { "/nonexistent/nope", NULL };
        svc(&s, nope);
        run(&s, -1, &r);
        tap_ok(r.r == -ECHILD && r.e.stage == STAGE_EXEC && r.e.err == ENOENT, "missing binary: stage exec, ENOENT (%d %d %d)",
               r.r, r.e.stage, r.e.err);
        tap_ok(streq(r.msg, "service \"t\": exec /nonexistent/nope: No such file or directory"), "message: %s", r.msg);
        tap_ok(exited(&r, 127), "child exits 127");

        char path[] = "/tmp/corral-spawn-noexecXXXXXX";
        int fd = mkstemp(path);
        if (fd < 0) {
                tap_skip("non-executable file", "cannot write /tmp");
        } else {
                close(fd);
                char *noexec[] = { path, NULL };
                svc(&s, noexec);
                run(&s, -1, &r);
                tap_ok(r.r == -ECHILD && r.e.stage == STAGE_EXEC && r.e.err == EACCES, "non-executable: EACCES (%d)", r.e.err);
                unlink(path);
        }

        char *ok[] = { "/bin/true", NULL };
        svc(&s, ok);
        s.workdir = "/nonexistent/dir";
        run(&s, -1, &r);
        tap_ok(r.r == -ECHILD && r.e.stage == STAGE_WORKDIR && r.e.err == ENOENT, "missing workdir: stage chdir");
        tap_ok(streq(r.msg, "service \"t\": chdir /nonexistent/dir: No such file or directory"), "message: %s", r.msg);

        s.workdir = "/tmp";
        char *pwd[] = { "/bin/sh", "-c", "pwd", NULL };
        s.argv = pwd;
        run(&s, -1, &r);
        tap_ok(r.r == 0 && exited(&r, 0) && streq(r.out, "/tmp\n"), "workdir applied (%s)", r.out);
}

static void test_fds(void) {
        /* Stray descriptors without CLOEXEC, one of them high. */
        int a = open("/dev/null", O_RDONLY);
        int b = fcntl(1, F_DUPFD, 40);
        struct service s;
        struct run r;
        char *ls[] = { "/bin/sh", "-c", "ls /proc/$$/fd", NULL };
        svc(&s, ls);
        run(&s, -1, &r);
        tap_ok(r.r == 0 && exited(&r, 0), "shell started (%d)", r.r);
        tap_ok(streq(r.out, "0\n1\n2\n"), "only 0, 1 and 2 are open: %s", r.out);
        close(a);
        close(b);
}

static size_t read_all(int fd, char *buf, size_t n) {
        size_t got = 0;
        ssize_t k;
        while (got < n - 1 && (k = read(fd, buf + got, n - 1 - got)) > 0)
                got += (size_t)k;
        buf[got] = '\0';
        return got;
}

/* Sources already sitting on 0..2 (here: stdout and stderr both from fd 0)
 * must not be clobbered while the targets are filled; pass_fds land at 3. */
static void test_fd_shuffle(void) {
        struct service s;
        char *sh[] = { "/bin/sh", "-c", "echo out; echo err >&2; echo three >&3; ls /proc/$$/fd", NULL };
        svc(&s, sh);
        struct spawn_plan p;
        if (spawn_plan_build(&s, NULL, NULL, &p, NULL) < 0) {
                tap_ok(false, "plan for the fd shuffle");
                return;
        }
        int out[2], extra[2];
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(extra, O_CLOEXEC) < 0) {
                tap_ok(false, "pipes");
                spawn_plan_done(&p);
                return;
        }
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int saved0 = fcntl(0, F_DUPFD_CLOEXEC, 3);
        dup2(out[1], 0);
        int pass[] = { extra[1], -1 };
        p.stdio[0] = devnull;
        p.stdio[1] = 0;
        p.stdio[2] = 0;
        p.pass_fds = pass;
        pid_t pid = -1;
        int pidfd = -1;
        struct spawn_error e;
        int r = spawn_start(&p, &pid, &pidfd, &e);
        if (saved0 >= 0) {
                dup2(saved0, 0);
                close(saved0);
        } else {
                close(0);
        }
        close(out[1]);
        close(extra[1]);
        close(devnull);
        char buf[256], buf3[64];
        read_all(out[0], buf, sizeof buf);
        read_all(extra[0], buf3, sizeof buf3);
        close(out[0]);
        close(extra[0]);
        int status = -1;
        if (pid > 0)
                waitpid(pid, &status, 0);
        if (pidfd >= 0)
                close(pidfd);
        tap_ok(r == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "started with stdio from fd 0 (%d)", r);
        tap_ok(streq(buf, "out\nerr\n0\n1\n2\n3\n"), "stdout and stderr both the pipe, fd 3 passed: %s", buf);
        tap_ok(streq(buf3, "three\n"), "pass_fds[0] is fd 3: %s", buf3);
        spawn_plan_done(&p);
}

/* An fd of corral's own that sits on 0..2 with CLOEXEC (corral started
 * with that one closed) is not its inherited stdio: a child that keeps
 * corral's fd there (stdio -1, output "inherit") must not receive it.
 * Here the host's / takes fd 2, in both ways of starting a child. */
static void test_internal_fd_not_passed(void) {
        struct service s;
        char *sh[] = { "/bin/sh", "-c", "for f in /proc/$$/fd/*; do echo \"${f##*/} $(readlink $f)\"; done", NULL };
        svc(&s, sh);
        int saved2 = fcntl(2, F_DUPFD_CLOEXEC, 3);
        int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        for (int fork_path = 0; fork_path < 2; fork_path++) {
                struct run r;
                spawn_force_fork_fallback = fork_path;
                dup3(root, 2, O_CLOEXEC);
                run(&s, -1, &r);
                dup2(saved2, 2);
                spawn_force_fork_fallback = false;
                tap_ok(r.r == 0 && exited(&r, 0) && !strstr(r.out, "2 /\n") && strstr(r.out, "1 pipe:"),
                       "%s: corral's CLOEXEC fd on 2 is not passed on: %s", fork_path ? "fork" : "clone3", r.out);
        }
        close(root);
        close(saved2);
}

/* pid, process group and the terminal's foreground group of the child. */
static bool stat_ids(const char *out, long *pid, long *pgrp, long *tpgid) {
        return sscanf(out, "%ld %ld %ld", pid, pgrp, tpgid) == 3;
}

/* The entrypoint leads its own process group and, on a terminal, becomes
 * the foreground group.  The terminal case runs in a session leader that
 * makes a pty its controlling terminal. */
static void test_foreground(void) {
        struct service s;
        struct run r;
        char *cut[] = { "/usr/bin/cut", "-d", " ", "-f1,5,8", "/proc/self/stat", NULL };
        svc(&s, cut);
        s.entrypoint = true;
        run(&s, -1, &r);
        long pid, pgrp, tpgid;
        tap_ok(r.r == 0 && stat_ids(r.out, &pid, &pgrp, &tpgid) && pid == pgrp && pgrp != getpgrp(),
               "entrypoint leads its own process group: %s", r.out);

        int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        int res[2];
        if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 || pipe2(res, O_CLOEXEC) < 0) {
                tap_skip("entrypoint is the terminal's foreground group", "no pty");
                if (master >= 0)
                        close(master);
                return;
        }
        const char *slave_name = ptsname(master);
        pid_t leader = fork();
        if (leader == 0) {
                setsid();
                int slave = open(slave_name, O_RDWR | O_CLOEXEC); /* becomes the controlling terminal */
                run_stdin = slave;
                run(&s, -1, &r);
                dprintf(res[1], "%d %s", r.r, r.out);
                _exit(0);
        }
        close(res[1]);
        char buf[256];
        read_all(res[0], buf, sizeof buf);
        close(res[0]);
        if (leader > 0)
                waitpid(leader, NULL, 0);
        close(master);
        int rr = -1;
        tap_ok(sscanf(buf, "%d", &rr) == 1 && rr == 0 && stat_ids(strchr(buf, ' ') ?: "", &pid, &pgrp, &tpgid) &&
               pid == pgrp && tpgid == pgrp,
               "entrypoint is the terminal's foreground group: %s", buf);
}

static void test_signals(void) {
        sigset_t usr1, old;
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        sigprocmask(SIG_BLOCK, &usr1, &old);
        struct sigaction ign = { .sa_handler = SIG_IGN }, oldsa;
        sigaction(SIGUSR2, &ign, &oldsa);
        spawn_signals_changed();

        struct service s;
        struct run r;
        char *grep[] = { "/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status", NULL };
        svc(&s, grep);
        run(&s, -1, &r);
        tap_ok(r.r == 0 && streq(r.out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"),
               "signals unblocked and default in the child: %s", r.out);

        sigprocmask(SIG_SETMASK, &old, NULL);
        sigaction(SIGUSR2, &oldsa, NULL);
        spawn_signals_changed();
}

static void on_usr1(int sig) {
        (void)sig;
}

/* Without namespaces the child runs in the parent's address space until
 * exec (CLONE_VM | CLONE_VFORK); its failures still arrive as {stage,
 * errno}, it leaves the parent's memory as it was, and a handler of the
 * parent is not inherited past exec. */
static void test_shared_vm(void) {
        struct service s;
        struct run r;
        char *nope[] = { "/nonexistent/nope", NULL };
        svc(&s, nope);
#if defined(__x86_64__)
        int canary = 42;
        run(&s, -1, &r);
        tap_ok(spawn_last_shared_vm, "child shares the parent's memory until exec");
        tap_ok(r.r == -ECHILD && r.e.stage == STAGE_EXEC && r.e.err == ENOENT && exited(&r, 127) && canary == 42,
               "shared memory: exec error {exec, ENOENT}, exit 127 (%d %d %d)", r.r, r.e.stage, r.e.err);
        char *ok[] = { "/bin/true", NULL };
        svc(&s, ok);
        s.workdir = "/nonexistent/dir";
        run(&s, -1, &r);
        tap_ok(spawn_last_shared_vm && r.r == -ECHILD && r.e.stage == STAGE_WORKDIR && r.e.err == ENOENT,
               "shared memory: chdir error {chdir, ENOENT}");
        char *sh[] = { "nope-not-in-path", NULL };
        svc(&s, sh);
        s.argv = sh;
        run(&s, -1, &r);
        tap_ok(spawn_last_shared_vm && r.r == -ECHILD && r.e.stage == STAGE_EXEC && r.e.err == ENOENT,
               "shared memory: PATH search error {exec, ENOENT}");
        struct sigaction h = { .sa_handler = on_usr1 }, oldsa;
        sigaction(SIGUSR1, &h, &oldsa);
        spawn_signals_changed();
        /* sed, not grep: GNU grep catches SIGSEGV itself. */
        char *sed[] = { "/bin/sed", "-n", "/^Sig\\(Blk\\|Ign\\|Cgt\\)/p", "/proc/self/status", NULL };
        svc(&s, sed);
        run(&s, -1, &r);
        tap_ok(spawn_last_shared_vm && r.r == 0 && exited(&r, 0) &&
               streq(r.out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n"),
               "shared memory: child runs with default signals: %s", r.out);
        sigaction(SIGUSR1, &oldsa, NULL);
        spawn_signals_changed();
        spawn_force_fork_fallback = true;
        run(&s, -1, &r);
        tap_ok(!spawn_last_shared_vm && r.r == 0 && exited(&r, 0), "fork fallback does not share memory");
        spawn_force_fork_fallback = false;
#else
        for (int i = 0; i < 6; i++)
                tap_skip("shared memory spawn", "clone3 with a child stack is only wired for x86_64");
#endif
}

/* A child shares the parent's fd table until its first act keeps only the
 * few low fds it needs (CLONE_FILES, then close_range with
 * CLOSE_RANGE_UNSHARE): with thousands of fds open in the parent, its table
 * stays the smallest the kernel makes, and the parent's fds all survive. */
static void test_shared_files(void) {
#if defined(__x86_64__)
        enum { MANY = 3000 };
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        struct rlimit big = { rl.rlim_max < MANY + 64 ? rl.rlim_max : MANY + 64, rl.rlim_max };
        if (rl.rlim_cur < MANY + 64 && (big.rlim_cur < MANY + 64 || setrlimit(RLIMIT_NOFILE, &big) < 0)) {
                for (int i = 0; i < 4; i++)
                        tap_skip("fd table of the child", "RLIMIT_NOFILE cannot be raised to 3064");
                return;
        }
        static int held[MANY];
        for (int i = 0; i < MANY; i++)
                held[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        struct service s;
        struct run r;
        char *sed[] = { "/bin/sed", "-n", "s/^FDSize:\t*//p", "/proc/self/status", NULL };
        svc(&s, sed);
        run(&s, -1, &r);
        tap_ok(spawn_last_shared_files && r.r == 0 && exited(&r, 0) && atoi(r.out) <= 64,
               "child started beside %d open fds has a table of %d slots, not a copy", MANY, atoi(r.out));
        /* Its stdio left as the parent's own: nothing to place, still no copy. */
        struct spawn_plan p;
        char *base[] = { "PATH=/usr/bin:/bin", NULL };
        char *quiet[] = { "/bin/true", NULL };
        svc(&s, quiet);
        pid_t pid = -1;
        int pidfd = -1, st = -1;
        struct spawn_error e;
        if (spawn_plan_build(&s, base, NULL, &p, NULL) == 0) {
                if (spawn_start(&p, &pid, &pidfd, &e) == 0)
                        waitpid(pid, &st, 0);
                if (pidfd >= 0)
                        close(pidfd);
                spawn_plan_done(&p);
        }
        tap_ok(spawn_last_shared_files && WIFEXITED(st) && WEXITSTATUS(st) == 0,
               "a child keeping the parent's stdio shares the table as well");
        svc(&s, sed);
        int alive = 0;
        for (int i = 0; i < MANY; i++)
                alive += held[i] >= 0 && fcntl(held[i], F_GETFD) == FD_CLOEXEC;
        tap_ok(alive == MANY, "the parent's %d fds are all still open, close-on-exec (%d)", MANY, alive);
        spawn_force_fork_fallback = true;
        run(&s, -1, &r);
        spawn_force_fork_fallback = false;
        tap_ok(!spawn_last_shared_files && r.r == 0 && atoi(r.out) > MANY,
               "the fork fallback copies the whole table (%d slots)", atoi(r.out));
        for (int i = 0; i < MANY; i++)
                if (held[i] >= 0)
                        close(held[i]);
        setrlimit(RLIMIT_NOFILE, &rl);
#else
        for (int i = 0; i < 4; i++)
                tap_skip("fd table of the child", "clone3 with a child stack is only wired for x86_64");
#endif
}

/* spawn_start_many(): each job gets its own child with its own stdout, a
 * failing job reports its own error, and children that need a handshake
 * (none here) would go one by one. */
static void test_many(void) {
        enum { N = 40, BAD = 7 };
        struct service svcs[N];
        struct spawn_plan plans[N];
        struct spawn_job jobs[N];
        char nums[N][8];
        char *argvs[N][3];
        int outs[N][2];
        char *base[] = { "PATH=/usr/bin:/bin", NULL };
        int built = 0;
        for (int i = 0; i < N; i++) {
                snprintf(nums[i], sizeof nums[i], "%d", i);
                argvs[i][0] = i == BAD ? "/nonexistent/nope" : "/bin/echo";
                argvs[i][1] = nums[i];
                argvs[i][2] = NULL;
                svc(&svcs[i], argvs[i]);
                if (spawn_plan_build(&svcs[i], base, NULL, &plans[i], NULL) < 0 || pipe2(outs[i], O_CLOEXEC) < 0)
                        break;
                plans[i].stdio[1] = outs[i][1];
                jobs[i] = (struct spawn_job){ .plan = &plans[i] };
                built++;
        }
        if (built < N) {
                tap_ok(false, "building %d plans: only %d", N, built);
                return;
        }
        spawn_start_many(jobs, N);
        int good = 0, distinct = 1;
        bool bad_ok = false;
        for (int i = 0; i < N; i++) {
                char buf[16];
                int st = -1;
                child_collect(jobs[i].pid, jobs[i].pidfd, outs[i], buf, sizeof buf, &st);
                for (int k = 0; k < i; k++)
                        distinct &= jobs[k].pid != jobs[i].pid;
                if (i == BAD)
                        bad_ok = jobs[i].r == -ECHILD && jobs[i].err.stage == STAGE_EXEC &&
                                 jobs[i].err.err == ENOENT && WIFEXITED(st) && WEXITSTATUS(st) == 127;
                else if (jobs[i].r == 0 && jobs[i].pidfd >= 0 && atoi(buf) == i && WIFEXITED(st) &&
                         WEXITSTATUS(st) == 0)
                        good++;
                spawn_plan_done(&plans[i]);
        }
        tap_ok(good == N - 1, "%d of %d jobs ran with their own stdout and a pidfd", good, N - 1);
        tap_ok(bad_ok, "the failing job reports {exec, ENOENT} and exits 127");
        tap_ok(distinct, "every job has its own pid");
}

static void test_rlimits(void) {
        struct service s;
        struct run r;
        char *grep[] = { "/bin/grep", "-E", "^Max (open files|core file size)", "/proc/self/limits", NULL };
        struct rlimit_decl rl[] = { { RLIMIT_NOFILE, 123, 456, 0 }, { RLIMIT_CORE, 0, 0, 0 } };
        svc(&s, grep);
        s.rlimits = rl;
        s.n_rlimits = ARRAY_SIZE(rl);
        run(&s, -1, &r);
        tap_ok(r.r == 0 && strstr(r.out, "Max core file size        0                    0") &&
               strstr(r.out, "Max open files            123                  456"),
               "rlimits applied: %s", r.out);

        struct rlimit_decl bad[] = { { RLIMIT_NOFILE, 10, 5, 0 } };
        s.rlimits = bad;
        s.n_rlimits = 1;
        run(&s, -1, &r);
        tap_ok(r.r == -ECHILD && r.e.stage == STAGE_RLIMIT && r.e.err == EINVAL && r.e.arg == RLIMIT_NOFILE,
               "soft above hard: stage setrlimit (%s)", r.msg);
}

/* The Groups: line of /proc/PID/status lists nothing but blanks. */
static bool no_groups(const char *status) {
        const char *g = strstr(status, "Groups:\t");
        if (!g)
                return false;
        for (g += strlen("Groups:\t"); *g == ' '; g++)
                ;
        return *g == '\n';
}

static void test_user(void) {
        if (geteuid() != 0) {
                tap_skip("drop to uid 65534", "not root");
                tap_skip("keep a capability as a user", "not root");
                tap_skip("keep a capability as root", "not root");
                tap_skip("workdir entered as the user", "not root");
                return;
        }
        struct service s;
        struct run r;
        char *grep[] = { "/bin/grep", "-E", "^(Uid|Gid|Groups|CapEff|CapBnd|CapAmb|NoNewPrivs):", "/proc/self/status", NULL };
        svc(&s, grep);
        s.has_user = true;
        s.uid = 65534;
        s.gid = 65534;
        run(&s, -1, &r);
        tap_ok(r.r == 0 && strstr(r.out, "Uid:\t65534\t65534\t65534\t65534\n") &&
               strstr(r.out, "Gid:\t65534\t65534\t65534\t65534\n") && no_groups(r.out) &&
               strstr(r.out, "CapEff:\t0000000000000000\n") && strstr(r.out, "NoNewPrivs:\t1\n"),
               "dropped to uid 65534, no groups, no caps, no_new_privs: %s", r.out);

        s.has_caps = true;
        s.caps = UINT64_C(1) << 10; /* CAP_NET_BIND_SERVICE */
        run(&s, -1, &r);
        tap_ok(r.r == 0 && strstr(r.out, "Uid:\t65534") && strstr(r.out, "CapEff:\t0000000000000400\n") &&
               strstr(r.out, "CapBnd:\t0000000000000400\n") && strstr(r.out, "CapAmb:\t0000000000000400\n"),
               "user keeps CAP_NET_BIND_SERVICE (ambient): %s", r.out);

        s.has_user = false;
        s.caps = UINT64_C(1) << 0; /* CAP_CHOWN */
        s.no_new_privs = false;
        run(&s, -1, &r);
        tap_ok(r.r == 0 && strstr(r.out, "Uid:\t0\t") && strstr(r.out, "CapEff:\t0000000000000001\n") &&
               strstr(r.out, "CapBnd:\t0000000000000001\n") && strstr(r.out, "NoNewPrivs:\t0\n"),
               "root keeps only CAP_CHOWN: %s", r.out);

        /* The workdir is entered as the user: one only root may enter
         * stays closed, as it would be to the service itself. */
        char closed[] = "/tmp/corral-wd.XXXXXX";
        if (!mkdtemp(closed)) {
                tap_ok(false, "mkdtemp");
                return;
        }
        char *pwd[] = { "/bin/pwd", NULL };
        svc(&s, pwd);
        s.has_user = true;
        s.uid = 65534;
        s.gid = 65534;
        s.workdir = closed;
        run(&s, -1, &r);
        tap_ok(r.r == -ECHILD && r.e.stage == STAGE_WORKDIR && r.e.err == EACCES,
               "workdir entered as the user: a 0700 directory of root's is refused (%s)", r.msg);
        rmdir(closed);
}

static void test_path_lookup(void) {
        struct service s;
        struct run r;
        char *echo[] = { "echo", "hi", NULL };
        svc(&s, echo);
        s.entrypoint = true;
        run(&s, -1, &r);
        tap_ok(r.r == 0 && exited(&r, 0) && streq(r.out, "hi\n"), "command found in PATH");

        char *nope[] = { "corral-no-such-command", NULL };
        s.argv = nope;
        run(&s, -1, &r);
        tap_ok(r.r == -ECHILD && r.e.stage == STAGE_EXEC && r.e.err == ENOENT &&
               spawn_exit_code_for_exec_error(r.e.err) == 127,
               "not in PATH: ENOENT, exit code 127 (%s)", r.msg);

        char dir[] = "/tmp/corral-spawn-pathXXXXXX";
        if (!mkdtemp(dir)) {
                tap_skip("EACCES wins in a PATH search", "cannot write /tmp");
                return;
        }
        char file[64], pathv[128];
        snprintf(file, sizeof file, "%s/corral-no-such-command", dir);
        int fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        close(fd);
        snprintf(pathv, sizeof pathv, "/nonexistent:%s:/usr/bin", dir);
        struct env_var env[] = { { "PATH", pathv, 0 } };
        s.env = env;
        s.n_env = 1;
        run(&s, -1, &r);
        tap_ok(r.r == -ECHILD && r.e.err == EACCES && spawn_exit_code_for_exec_error(r.e.err) == 126,
               "a non-executable candidate makes it EACCES, exit code 126");
        unlink(file);
        rmdir(dir);
}

static bool in_cgroup(const char *out, const char *name) {
        char want[128];
        snprintf(want, sizeof want, "0::/%s\n", name);
        return strstr(out, want) != NULL;
}

/* rmdir of a cgroup whose last process was just reaped may see EBUSY for a
 * moment: poll with a deadline. */
static int rmdir_deadline(const char *path) {
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                if (rmdir(path) == 0)
                        return 0;
                if (errno != EBUSY)
                        return -errno;
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec - start.tv_sec > 5)
                        return -EBUSY;
                poll(NULL, 0, 10);
        }
}

static void test_cgroup(void) {
        char name[64], path[128];
        snprintf(name, sizeof name, "corral-test-%d", (int)getpid());
        snprintf(path, sizeof path, CGROUP2 "/%s", name);
        struct stat st;
        if (geteuid() != 0 || stat(CGROUP2 "/cgroup.procs", &st) < 0 || mkdir(path, 0755) < 0) {
                for (int i = 0; i < 6; i++)
                        tap_skip("cgroup placement", "no writable cgroup2 at " CGROUP2);
                return;
        }
        int cfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct service s;
        struct run r;
        char *cat[] = { "/bin/cat", "/proc/self/cgroup", NULL };
        svc(&s, cat);
        run(&s, cfd, &r);
        tap_ok(r.r == 0 && in_cgroup(r.out, name), "clone3: child starts in its cgroup: %s", r.out);

        spawn_force_fork_fallback = true;
        run(&s, cfd, &r);
        tap_ok(r.r == 0 && in_cgroup(r.out, name), "fork fallback: child joins its cgroup: %s", r.out);
        char *nope[] = { "/nonexistent/nope", NULL };
        s.argv = nope;
        run(&s, cfd, &r);
        tap_ok(r.r == -ECHILD && r.e.stage == STAGE_EXEC && r.e.err == ENOENT && exited(&r, 127),
               "fork fallback: exec error reported");
        /* Not a cgroup directory: the join fails in the child. */
        int tmpfd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        s.argv = cat;
        spawn_force_fork_fallback = false;
        run(&s, tmpfd, &r);
        tap_ok(r.r < 0 && r.r != -ECHILD, "clone3 into a non-cgroup fails in the parent (%d)", r.r);
        spawn_force_fork_fallback = true;
        run(&s, tmpfd, &r);
        tap_ok(r.r == -ECHILD && r.e.stage == STAGE_CGROUP && streq(r.msg, "service \"t\": cgroup t: No such file or directory"),
               "fork fallback: failed join is stage cgroup (%s)", r.msg);
        spawn_force_fork_fallback = false;
        close(tmpfd);
        close(cfd);
        int rr = rmdir_deadline(path);
        tap_ok(rr == 0, "test cgroup removed (%d)", rr);
}

int main(void) {
        test_exec_errors();
        test_fds();
        test_fd_shuffle();
        test_internal_fd_not_passed();
        test_foreground();
        test_signals();
        test_shared_vm();
        test_shared_files();
        test_many();
        test_rlimits();
        test_user();
        test_path_lookup();
        test_cgroup();
        return tap_done();
}
