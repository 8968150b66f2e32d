/* Starts with namespaces: the parent's half of the handshake (id maps while
 * the child waits), the pid namespace's init between corral and the
 * service, and namespace failures reported with what failed.  Root only. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diag.h"
#include "child-collect.h"
#include "model.h"
#include "ns.h"
#include "spawn.h"
#include "tap.h"
#include "util.h"

struct run {
        int r;
        struct spawn_error e;
        int status;
        char out[4096];
        char msg[512];
};

static struct model model;
static struct service svc;

static void reset(char **argv) {
        service_init_defaults(&svc);
        svc.name = "t";
        svc.argv = argv;
        svc.cgroup_path = "t";
        model = (struct model){ .services = &svc, .n_services = 1 };
}

static void run_in(struct run *res, int cgroup_fd);
static void run(struct run *res) {
        run_in(res, -1);
}

static void run_in(struct run *res, int cgroup_fd) {
        memset(res, 0, sizeof *res);
        struct diags d = { 0 };
        struct ns_plan *ns = NULL;
        res->r = ns_plan_build(&model, &svc, "/nonexistent/corral-run", &ns, &d);
        if (res->r < 0) {
                diags_print(&d, stdout);
                diags_free(&d);
                return;
        }
        diags_free(&d);
        struct spawn_plan p;
        char *base[] = { "PATH=/usr/bin:/bin", NULL };
        res->r = spawn_plan_build(&svc, base, NULL, &p, NULL);
        if (res->r < 0) {
                ns_plan_free(ns);
                return;
        }
        int out[2];
        if (pipe2(out, O_CLOEXEC) < 0) {
                res->r = -errno;
                spawn_plan_done(&p);
                ns_plan_free(ns);
                return;
        }
        p.stdio[1] = out[1];
        p.ns = ns;
        p.cgroup_fd = cgroup_fd;
        pid_t pid = -1;
        int pidfd = -1;
        res->r = spawn_start(&p, &pid, &pidfd, &res->e);
        if (res->r == -ECHILD)
                spawn_error_format(&svc, &p, &res->e, res->msg, sizeof res->msg);
        child_collect(pid, pidfd, out, res->out, sizeof res->out, &res->status);
        spawn_plan_done(&p);
        ns_plan_free(ns);
}

static bool exited(const struct run *r, int code) {
        return WIFEXITED(r->status) && WEXITSTATUS(r->status) == code;
}

static void test_user(bool fallback) {
        const char *how = fallback ? "fork" : "clone3";
        char *cat[] = { "/bin/cat", "/proc/self/uid_map", "/proc/self/gid_map", NULL };
        reset(cat);
        svc.ns = (struct ns_decl){ .user = true, .uid_map = "0 65534 1", .gid_map = "0 65534 1", .line = 1 };
        spawn_force_fork_fallback = fallback;
        struct run r;
        run(&r);
        unsigned in = 1, outside = 0, count = 0, gin = 1, gout = 0, gcount = 0;
        int k = sscanf(r.out, " %u %u %u %u %u %u", &in, &outside, &count, &gin, &gout, &gcount);
        tap_ok(r.r == 0 && exited(&r, 0) && k == 6 && in == 0 && outside == 65534 && count == 1 && gin == 0 &&
               gout == 65534 && gcount == 1,
               "%s: user namespace maps written before the child went on (%d): %s", how, r.r, r.out);
        spawn_force_fork_fallback = false;
}

static void test_pid(void) {
        char *sh[] = { "/bin/sh", "-c", "echo $$; exit 7", NULL };
        reset(sh);
        svc.ns = (struct ns_decl){ .pid = true, .line = 1 };
        struct run r;
        run(&r);
        tap_ok(r.r == 0 && streq(r.out, "2\n"), "pid namespace: the service is pid 2 under its init (%d): %s", r.r,
               r.out);
        tap_ok(exited(&r, 7), "the init exits with the service's status");

        char *nope[] = { "/nonexistent/nope", NULL };
        reset(nope);
        svc.ns = (struct ns_decl){ .pid = true, .user = true, .uid_map = "0 0 1", .gid_map = "0 0 1", .line = 1 };
        run(&r);
        tap_ok(r.r == -ECHILD && r.e.stage == STAGE_EXEC && r.e.err == ENOENT && exited(&r, 127),
               "exec error behind the pid namespace's init reaches the parent (%s)", r.msg);
}

static void test_failure(void) {
        char *t[] = { "/bin/true", NULL };
        reset(t);
        struct group_decl g[] = { { .path = "pod", .ns = { .net = true } } };
        model.groups = g;
        model.n_groups = 1;
        svc.cgroup_path = "pod/t";
        struct run r;
        run(&r);
        tap_ok(r.r == -ECHILD && r.e.stage == STAGE_NAMESPACE && r.e.err == ENOENT, "missing pod namespace: stage namespace");
        tap_ok(streq(r.msg, "service \"t\": setns net /nonexistent/corral-run/ns/pod/net: No such file or directory"),
               "message names the step: %s", r.msg);
}

/* A cgroup namespace rooted at the service's own cgroup, in a user
 * namespace: on the fork path the parent must join the child to the cgroup
 * (the child has no mapped uid yet) before ns_child_setup() unshares. */
static void test_cgroup_ns(void) {
        char name[64], path[128], script[256];
        snprintf(name, sizeof name, "corral-test-ns-%d", (int)getpid());
        snprintf(path, sizeof path, "/sys/fs/cgroup/unified/%s", name);
        if (mkdir(path, 0755) < 0) {
                for (int i = 0; i < 3; i++)
                        tap_skip("cgroup namespace", "no writable cgroup2 at /sys/fs/cgroup/unified");
                return;
        }
        int cfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        snprintf(script, sizeof script, "cat /proc/self/cgroup | grep '^0::'; grep -c . %s/cgroup.procs", path);
        char *sh[] = { "/bin/sh", "-c", script, NULL };
        for (int fallback = 0; fallback < 2; fallback++) {
                reset(sh);
                svc.ns = (struct ns_decl){ .user = true, .cgroup = true, .uid_map = "0 0 1", .gid_map = "0 0 1", .line = 1 };
                spawn_force_fork_fallback = fallback;
                struct run r;
                run_in(&r, cfd);
                tap_ok(r.r == 0 && exited(&r, 0) && strncmp(r.out, "0::/\n", 5) == 0 && r.out[5] >= '1' && r.out[5] <= '9',
                       "%s: the service's cgroup is its cgroup namespace's root (%d): %s", fallback ? "fork" : "clone3",
                       r.r, r.out);
        }
        spawn_force_fork_fallback = false;
        close(cfd);
        int rr = -1;
        for (int i = 0; i < 500 && (rr = rmdir(path)) < 0 && errno == EBUSY; i++)
                poll(NULL, 0, 10);
        tap_ok(rr == 0, "test cgroup removed");
}

/* spawn_start_many() with services with and without namespaces, on helper
 * threads: the ones with namespaces fork and go through the handshake
 * there, and every one runs where it should. */
static void test_many_mixed(void) {
        enum { N = 20 }; /* 10 without namespaces: enough for helper threads */
        static struct service svcs[N];
        struct spawn_plan plans[N];
        struct spawn_job jobs[N];
        struct ns_plan *nss[N] = { 0 };
        int outs[N][2];
        char *sh[] = { "/bin/sh", "-c", "echo $$", NULL };
        char *base[] = { "PATH=/usr/bin:/bin", NULL };
        struct model m = { .services = svcs, .n_services = N };
        int built = 0;
        for (int i = 0; i < N; i++) {
                service_init_defaults(&svcs[i]);
                svcs[i].name = "t";
                svcs[i].argv = sh;
                svcs[i].cgroup_path = "t";
                if (i % 2)
                        svcs[i].ns = (struct ns_decl){ .pid = true, .line = 1 };
        }
        for (int i = 0; i < N; i++) {
                struct diags d = { 0 };
                if ((i % 2 && ns_plan_build(&m, &svcs[i], "/nonexistent/corral-run", &nss[i], &d) < 0) ||
                    spawn_plan_build(&svcs[i], base, NULL, &plans[i], NULL) < 0) {
                        diags_free(&d);
                        break;
                }
                diags_free(&d);
                if (pipe2(outs[i], O_CLOEXEC) < 0) {
                        spawn_plan_done(&plans[i]);
                        break;
                }
                plans[i].stdio[1] = outs[i][1];
                plans[i].ns = nss[i];
                jobs[i] = (struct spawn_job){ .plan = &plans[i] };
                built++;
        }
        if (built == N)
                spawn_start_many(jobs, N);
        int right = 0;
        for (int i = 0; i < built; i++) {
                char buf[32];
                int st = -1;
                child_collect(jobs[i].pid, jobs[i].pidfd, outs[i], buf, sizeof buf, &st);
                /* In its own pid namespace the shell is pid 2, under the init. */
                bool where = i % 2 ? atoi(buf) == 2 : atoi(buf) == jobs[i].pid;
                right += jobs[i].r == 0 && where && WIFEXITED(st) && WEXITSTATUS(st) == 0;
                spawn_plan_done(&plans[i]);
                ns_plan_free(nss[i]);
        }
        tap_ok(right == N, "%d of %d started together, half of them in a pid namespace, ran where they should", right,
               N);
}

int main(void) {
        if (geteuid() != 0) {
                printf("1..0 # SKIP namespaces need root\n");
                return 0;
        }
        test_user(false);
        test_user(true);
        test_pid();
        test_failure();
        test_cgroup_ns();
        test_many_mixed();
        return tap_done();
}
