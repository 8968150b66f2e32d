/* exec into a running service: what the command is (ids, groups,
 * capabilities, no_new_privs, rlimits, workdir, namespaces) equals what the
 * service's own process is, with and without a user and PID namespace of
 * its own, through clone3 and through the fork fallback; the command is
 * the caller's own child.  Failures name what failed.  Root only. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diag.h"
#include "model.h"
#include "ns.h"
#include "spawn.h"
#include "tap.h"
#include "util.h"

static char dir[] = "/tmp/corral-exec.XXXXXX";

/* What a process is, written to FILE by a shell: /proc/self is the reading
 * command's own, which has the shell's identity. */
#define RECORD                                                                                                  \
        "{ grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status;"     \
        " cat /proc/self/limits; readlink /proc/self/cwd;"                                                      \
        " for n in user mnt pid net uts ipc cgroup; do readlink /proc/self/ns/$n; done; } >\"$0\""

static char *slurp(const char *path) {
        char *buf = NULL;
        if (read_file_at(AT_FDCWD, path, 1 << 20, &buf, NULL) < 0)
                return NULL;
        return buf;
}

static bool wait_file(const char *path) {
        for (int i = 0; i < 2000; i++) {
                struct stat st;
                if (stat(path, &st) == 0 && st.st_size > 0)
                        return true;
                usleep(5000);
        }
        return false;
}

/* Start the service: it records itself into NAME.svc, then sleeps. */
static pid_t start_service(struct model *m, struct service *s, const char *name, struct ns_plan **ret_ns) {
        /* Static: the service keeps pointing at them (the exec plan copies
         * them).  Renamed once whole, so that it is never read half written. */
        static char tmp[256], file[256], cmd[] = RECORD "; mv \"$0\" \"$1\"; exec sleep 1000";
        static char *argv[] = { "/bin/sh", "-c", cmd, tmp, file, NULL };
        snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name);
        snprintf(file, sizeof file, "%s/%s.svc", dir, name);
        s->argv = argv;
        struct diags d = { 0 };
        *ret_ns = NULL;
        if (ns_decl_any(&s->ns) && ns_plan_build(m, s, "/nonexistent/corral-run", ret_ns, &d) < 0) {
                diags_print(&d, stdout);
                diags_free(&d);
                return -1;
        }
        diags_free(&d);
        struct spawn_plan p;
        char *base[] = { "PATH=/usr/bin:/bin", NULL };
        if (spawn_plan_build(s, base, NULL, &p, NULL) < 0)
                return -1;
        p.ns = *ret_ns;
        pid_t pid = -1;
        int pidfd = -1;
        struct spawn_error e;
        int r = spawn_start(&p, &pid, &pidfd, &e);
        spawn_plan_done(&p);
        safe_close(pidfd);
        if (r < 0) {
                if (pid > 0)
                        waitpid(pid, NULL, 0);
                return -1;
        }
        return wait_file(file) ? pid : -1;
}

/* exec the same recording into it; true when it ran and matched. */
static bool exec_matches(const struct service *s, pid_t pid, const char *name, const char *how) {
        char file[256], want_file[256];
        snprintf(file, sizeof file, "%s/%s.exec-%s", dir, name, how);
        snprintf(want_file, sizeof want_file, "%s/%s.svc", dir, name);
        char *argv[] = { "/bin/sh", "-c", RECORD, file, NULL };
        char *base[] = { "PATH=/usr/bin:/bin", NULL };
        pid_t child = -1;
        int code = -1;
        char msg[512] = "";
        int r = spawn_exec(s, base, NULL, pid, -1, argv, NULL, &child, &code, msg, sizeof msg);
        int status = -1;
        /* The command is this process's own child, whatever namespace it is in. */
        pid_t w = r == 0 ? waitpid(child, &status, 0) : -1;
        _cleanup_free_ char *got = slurp(file), *want = slurp(want_file);
        bool same = got && want && streq(got, want);
        tap_ok(r == 0 && w == child && WIFEXITED(status) && WEXITSTATUS(status) == 0 && same,
               "%s, %s: exec is what the service is (%d %s)", name, how, r, msg);
        if (!same && got && want)
                tap_diag("service:\n%s\nexec:\n%s", want, got);
        return same;
}

static void stop(pid_t pid) {
        if (pid <= 0)
                return;
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

/* Start s, exec into it through clone3 and through the fork fallback,
 * check the first with want (a line of the exec's status), stop it. */
static void exec_both_ways(struct service *s, const char *want, const char *what) {
        struct model m = { .services = s, .n_services = 1 };
        struct ns_plan *ns;
        pid_t pid = start_service(&m, s, s->name, &ns);
        tap_ok(pid > 0, "%s: the service runs", s->name);
        exec_matches(s, pid, s->name, "clone3");
        spawn_force_fork_fallback = true;
        exec_matches(s, pid, s->name, "fork");
        spawn_force_fork_fallback = false;
        char file[256];
        snprintf(file, sizeof file, "%s/%s.exec-clone3", dir, s->name);
        _cleanup_free_ char *got = slurp(file);
        tap_ok(got && strstr(got, want), "%s: %s", s->name, what);
        stop(pid);
        ns_plan_free(ns);
}

static void test_identity(void) {
        struct service s;
        service_init_defaults(&s);
        s.name = "plain";
        s.cgroup_path = "plain";
        s.has_user = s.has_group = true;
        s.uid = 65534;
        s.gid = 65534;
        s.has_caps = true;
        s.caps = UINT64_C(1) << CAP_NET_BIND_SERVICE;
        struct rlimit_decl rl[] = { { .resource = RLIMIT_NOFILE, .soft = 64, .hard = 128 },
                                    { .resource = RLIMIT_CORE, .soft = 0, .hard = 0 } };
        s.rlimits = rl;
        s.n_rlimits = 2;
        s.workdir = dir;
        exec_both_ways(&s, "CapEff:\t0000000000000400\nCapBnd:\t0000000000000400\nCapAmb:\t0000000000000400\nNoNewPrivs:\t1",
                       "exec has the service's CAP_NET_BIND_SERVICE only and no_new_privs");
}

static void test_namespaces(void) {
        struct service s;
        service_init_defaults(&s);
        s.name = "ns";
        s.cgroup_path = "ns";
        s.ns.user = s.ns.pid = s.ns.mount = s.ns.net = s.ns.ipc = s.ns.uts = true;
        s.ns.uid_map = "0 300000 65536";
        s.ns.gid_map = "0 300000 65536";
        s.workdir = "/tmp";
        exec_both_ways(&s, "Uid:\t0\t0\t0\t0\n", "exec is uid 0 in the service's user namespace");
}

static void test_failures(void) {
        struct service s;
        service_init_defaults(&s);
        s.name = "gone";
        s.cgroup_path = "gone";
        char *argv[] = { "/bin/true", NULL };
        s.argv = argv;
        pid_t pid = fork();
        if (pid == 0)
                _exit(0);
        waitpid(pid, NULL, 0);
        pid_t child = -1;
        int code = -1;
        char msg[512] = "";
        int r = spawn_exec(&s, NULL, NULL, pid, -1, argv, NULL, &child, &code, msg, sizeof msg);
        tap_ok(r == -ENOENT && code == 1 && strstr(msg, "service \"gone\": exec: "),
               "exec into a process that is gone fails in the parent: %s", msg);

        /* Running, but the command is missing (looked up by the child). */
        struct model m = { .services = &s, .n_services = 1 };
        struct ns_plan *ns;
        s.name = "miss";
        pid = start_service(&m, &s, "miss", &ns);
        char *nope[] = { "nope-no-such-command", NULL };
        char *base[] = { "PATH=/usr/bin:/bin", NULL };
        r = spawn_exec(&s, base, NULL, pid, -1, nope, NULL, &child, &code, msg, sizeof msg);
        if (r == -ECHILD)
                waitpid(child, NULL, 0);
        tap_ok(r == -ECHILD && code == 127 && streq(msg, "service \"miss\": exec nope-no-such-command: No such file or directory"),
               "a command not found: 127 and its name (%s)", msg);
        stop(pid);
        ns_plan_free(ns);
}

int main(void) {
        if (geteuid() != 0) {
                skip_all("needs root");
                return 0;
        }
        if (!mkdtemp(dir) || chmod(dir, 0777) < 0) {
                skip_all("cannot make a directory in /tmp");
                return 0;
        }
        test_identity();
        test_namespaces();
        test_failures();
        char cmd[sizeof dir + 16];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
                tap_diag("could not remove %s", dir);
        return tap_done();
}
