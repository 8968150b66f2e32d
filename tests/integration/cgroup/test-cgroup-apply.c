/* The cgroup applier on the host's own cgroup2 (as root): a test root made
 * under the cgroup2 mount, a process planted in it moved into init, leaves
 * made, a process started straight into its leaf, killed by cgroup (with
 * cgroup.kill and with the cgroup.procs fallback), "populated 0" seen
 * through the event fd, leaves removed and made again, the next run after a
 * kill really running, a busy leaf removed once empty, and nothing but init
 * left after destroy. */
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../../../src/cgroup/cgroup-internal.h"
#include "../../tap.h"
#include "sys.h"

static char root[512], rel_root[128], host_cg[512];
static struct model M;

static void add_service(const char *name, const char *path) {
        M.services = realloc(M.services, (M.n_services + 1) * sizeof *M.services);
        struct service *s = &M.services[M.n_services++];
        service_init_defaults(s);
        s->name = strdup(name);
        s->loc = (struct loc){ M.files[0], 1 };
        s->cgroup_path = strdup(path);
}

static bool procs_has(const char *dir, pid_t pid) {
        _cleanup_free_ char *text = NULL;
        char path[600];
        snprintf(path, sizeof path, "%s/%s/cgroup.procs", root, dir);
        if (read_file_at(AT_FDCWD, path, 1 << 20, &text, NULL) < 0)
                return false;
        for (char *l = text, *save = NULL; (l = strtok_r(l, "\n", &save)); l = NULL)
                if (atoi(l) == pid)
                        return true;
        return false;
}

static bool exists(const char *rel) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s", root, rel);
        return access(path, F_OK) == 0;
}

static pid_t spawn_into(int cgfd) {
        struct clone_args args = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)cgfd };
        long pid = sys_clone3(&args, sizeof args);
        if (pid == 0) {
                /* A child that forks one more, so the cgroup holds two. */
                if (fork() == 0)
                        for (;;)
                                pause();
                for (;;)
                        pause();
        }
        return (pid_t)pid;
}

/* CGROUP_EVENT_EMPTIED of the service being watched (a late one of
 * another service must not end a wait). */
static int emptied;
static size_t watched;
static void on_event(void *userdata, const struct cgroup_event *ev) {
        (void)userdata;
        if (ev->kind == CGROUP_EVENT_EMPTIED && ev->service == watched)
                emptied++;
}

/* Wait (with a deadline, on the event fd) until the service's leaf empties. */
static bool wait_emptied(struct cgroup_tree *t, size_t s) {
        uint64_t deadline = now_ms() + 5000;
        watched = s;
        while (now_ms() < deadline) {
                if (emptied > 0)
                        return cgroup_service_populated(t, s) == 0;
                struct pollfd p = { .fd = cgroup_tree_event_fd(t), .events = POLLIN };
                poll(&p, 1, 100);
                cgroup_tree_dispatch(t, on_event, NULL);
        }
        return false;
}

static void check_service(struct cgroup_tree *t, size_t s, const char *rel, bool use_kill) {
        int fd = cgroup_service_fd(t, s);
        pid_t pid = fd >= 0 ? spawn_into(fd) : -1;
        ok(pid > 0, "%s: started with clone3(CLONE_INTO_CGROUP)", rel);
        if (pid <= 0)
                return;
        char path[64], want[600];
        _cleanup_free_ char *cg = NULL, *got = NULL;
        snprintf(path, sizeof path, "/proc/%d/cgroup", pid);
        if (read_file_at(AT_FDCWD, path, 4096, &cg, NULL) >= 0)
                cgroup_parse_proc_cgroup(cg, &got);
        snprintf(want, sizeof want, "%s/%s", rel_root, rel);
        is_str(got, want, "%s: the process runs in its leaf", rel);
        ok(cgroup_service_populated(t, s) == 1, "%s: populated 1", rel);
        t->has_kill = use_kill;
        emptied = 0;
        ok(cgroup_service_kill(t, s) == 0, "%s: killed by cgroup (%s)", rel, use_kill ? "cgroup.kill" : "cgroup.procs");
        ok(wait_emptied(t, s), "%s: the event fd reports populated 0 within 5 s", rel);
        int st = 0;
        ok(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "%s: main pid SIGKILLed", rel);
        ok(cgroup_service_kill(t, s) == 1, "%s: killing an empty cgroup says so", rel);
        ok(cgroup_service_remove(t, s) == 0 && !exists(rel), "%s: leaf removed after stop", rel);
        ok(cgroup_service_fd(t, s) >= 0 && exists(rel), "%s: leaf made again for the next start", rel);
}

/* A child started straight into cgfd that exits with code at once; its
 * wait status (a kernel that kills it first gives SIGKILL). */
static int run_exit(int cgfd, int code) {
        struct clone_args args = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)cgfd };
        long pid = sys_clone3(&args, sizeof args);
        if (pid == 0)
                _exit(code);
        int st = -1;
        if (pid > 0)
                waitpid((pid_t)pid, &st, 0);
        return st;
}

static bool ran(int st, int code) {
        return st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == code;
}

/* After a kill by cgroup the next run of the service really runs: on
 * kernels that SIGKILL clone3 children of a cgroup killed before (6.18),
 * only a fresh leaf takes it. */
static void check_rerun(struct cgroup_tree *t, size_t s, const char *rel, bool use_kill) {
        t->has_kill = use_kill;
        for (int round = 1; round <= 3; round++) {
                int fd = cgroup_service_fd(t, s);
                pid_t pid = fd >= 0 ? spawn_into(fd) : -1;
                emptied = 0;
                bool killed = pid > 0 && cgroup_service_kill(t, s) == 0 && wait_emptied(t, s);
                int st = 0;
                if (pid > 0)
                        waitpid(pid, &st, 0);
                ok(killed && WIFSIGNALED(st), "%s: run %d killed by cgroup (%s)", rel, round,
                   use_kill ? "cgroup.kill" : "freeze and pidfds");
                if (use_kill)
                        ok(!exists(rel), "%s: the killed leaf is removed once empty", rel);
                fd = cgroup_service_fd(t, s);
                int got = fd >= 0 ? run_exit(fd, 7) : -1;
                ok(ran(got, 7), "%s: the next run executes (wait status %#x)", rel, got);
        }
        if (!use_kill) {
                _cleanup_free_ char *fz = NULL;
                int fd = cgroup_service_fd(t, s);
                if (fd >= 0)
                        cgroup_read_at(fd, "cgroup.freeze", &fz);
                is_str(fz, "0\n", "%s: thawed after the kill", rel);
        }
}

/* A stop whose leaf is still populated: rmdir meets EBUSY, and the leaf goes
 * once the event fd says it is empty. */
static void check_remove_busy(struct cgroup_tree *t, size_t s, const char *rel) {
        int fd = cgroup_service_fd(t, s);
        pid_t pid = fd >= 0 ? spawn_into(fd) : -1;
        ok(pid > 0 && cgroup_service_remove(t, s) == -EBUSY && exists(rel), "%s: removal while populated: EBUSY",
           rel);
        if (pid <= 0)
                return;
        /* Killed from outside the tree: the leaf holds the child's child too. */
        char procs[600];
        snprintf(procs, sizeof procs, "%s/%s/cgroup.kill", root, rel);
        write_file_at(AT_FDCWD, procs, "1");
        emptied = 0;
        bool empty = wait_emptied(t, s);
        waitpid(pid, NULL, 0);
        ok(empty && !exists(rel), "%s: removed once empty, without another call", rel);
        ok(cgroup_service_fd(t, s) >= 0 && exists(rel), "%s: made again for the next start", rel);
}

/* A stale leaf that still holds a process when the next start comes: used
 * where the kernel lets a child in, refused (EBUSY) where it would not. */
static void check_stale_busy(struct cgroup_tree *t, size_t s, const char *rel) {
        int fd = cgroup_service_fd(t, s);
        pid_t pid = fd >= 0 ? spawn_into(fd) : -1;
        if (pid <= 0)
                return;
        bool taints = cgroup_kill_taints_clones(t->root_fd);
        printf("# this kernel %s clone3 children of a killed cgroup\n", taints ? "SIGKILLs" : "lets in");
        t->stale[cgroup_leaf(t, s)] = true;
        int r = cgroup_service_fd(t, s);
        if (taints)
                ok(r == -EBUSY, "%s: a stale leaf still populated is refused to a start (r=%d)", rel, r);
        else
                ok(r >= 0, "%s: a stale leaf still populated is used (r=%d)", rel, r);
        ok(exists(rel), "%s: and stays while populated", rel);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        emptied = 0;
        if (cgroup_service_kill(t, s) == 0)
                wait_emptied(t, s);
        int got = (fd = cgroup_service_fd(t, s)) >= 0 ? run_exit(fd, 7) : -1;
        ok(ran(got, 7), "%s: once empty the next run executes (wait status %#x)", rel, got);
        char scratch[600];
        snprintf(scratch, sizeof scratch, "%s/.corral-kill-probe-%d", root, getpid());
        ok(!exists(scratch + strlen(root) + 1), "the kernel probe's scratch cgroup is gone");
}

/* A reload that drops a service whose leaf still holds processes: the leaf
 * (and grp above it) stays while populated, and goes once it is empty,
 * seen on the new tree's event fd.  Returns the new tree. */
static struct model M2;
static struct cgroup_plan *plan2;
static struct cgroup_tree *check_adopt_orphan(struct cgroup_tree *t, struct cgroup_plan *plan,
                                              struct cgroup_probe *p, struct diags *d) {
        int fd = cgroup_service_fd(t, 1);
        pid_t pid = fd >= 0 ? spawn_into(fd) : -1;
        settings_init_defaults(&M2.settings);
        M2.files = calloc(2, sizeof *M2.files);
        M2.files[0] = strdup("t2.conf");
        M2.n_files = 1;
        M2.services = calloc(1, sizeof *M2.services);
        service_init_defaults(&M2.services[0]);
        M2.services[0].name = strdup("a");
        M2.services[0].loc = (struct loc){ M2.files[0], 1 };
        M2.services[0].cgroup_path = strdup("a");
        M2.n_services = 1;
        struct cgroup_ctl old = { .probe = *p, .plan = plan, .tree = t, .m = &M };
        struct cgroup_ctl nc = { .probe = *p, .m = &M2 };
        int r = cgroup_plan_load(&M2, p, &plan2, d, d);
        nc.plan = plan2;
        r = r < 0 ? r : cgroup_ctl_adopt(&nc, &old, d);
        ok(r == 0 && nc.tree && !old.tree, "reload without grp/b adopted the tree (r=%d)", r);
        if (r < 0 || !nc.tree)
                return NULL;
        ok(pid > 0 && exists("grp/b") && exists("grp"), "the dropped leaf still populated stays for now");
        char kill_file[600];
        snprintf(kill_file, sizeof kill_file, "%s/grp/b/cgroup.kill", root);
        write_file_at(AT_FDCWD, kill_file, "1");
        if (pid > 0)
                waitpid(pid, NULL, 0);
        uint64_t deadline = now_ms() + 5000;
        while ((exists("grp/b") || exists("grp")) && now_ms() < deadline) {
                struct pollfd pf = { .fd = cgroup_tree_event_fd(nc.tree), .events = POLLIN };
                poll(&pf, 1, 100);
                cgroup_tree_dispatch(nc.tree, on_event, NULL);
        }
        ok(!exists("grp/b") && !exists("grp"), "once empty it is removed, and grp above it, on the event fd");
        return nc.tree;
}

int main(void) {
        if (getuid() != 0)
                skip_all("needs root");
        struct cgroup_probe host;
        if (cgroup_probe(NULL, &host) < 0 || !host.mount)
                skip_all("no cgroup2 mount");
        snprintf(host_cg, sizeof host_cg, "%s", host.root);
        snprintf(rel_root, sizeof rel_root, "/corral-test-%d", getpid());
        snprintf(root, sizeof root, "%s%s", host.mount, rel_root);
        cgroup_probe_done(&host);
        if (mkdir(root, 0755) < 0)
                skip_all("cannot make a test cgroup under the cgroup2 mount");

        pid_t planted = fork();
        if (planted == 0)
                for (;;)
                        pause();
        char buf[32], procs[600];
        snprintf(buf, sizeof buf, "%d", planted);
        snprintf(procs, sizeof procs, "%s/cgroup.procs", root);
        ok(write_file_at(AT_FDCWD, procs, buf) == 0, "a process planted in the test root");

        struct cgroup_probe p;
        int r = cgroup_probe(root, &p);
        ok(r == 0 && !p.problem && p.writable && !p.hierarchy_root, "probe of the test root: usable (%s)",
           p.problem ? p.problem : "ok");
        settings_init_defaults(&M.settings);
        M.files = calloc(2, sizeof *M.files);
        M.files[0] = strdup("t.conf");
        M.n_files = 1;
        add_service("a", "a");
        add_service("b", "grp/b");
        struct diags d = {0};
        struct cgroup_plan *plan = NULL;
        r = cgroup_plan_load(&M, &p, &plan, &d, &d);
        ok(r == 0 && plan, "plan without limits on a root offering %s", p.controllers[0] ? p.controllers[0] : "nothing");
        struct cgroup_tree *t = NULL;
        r = plan ? cgroup_tree_apply(plan, &p, &t, &d) : -EINVAL;
        diags_print(&d, stdout);
        ok(r == 0, "tree applied (r=%d)", r);
        if (r == 0) {
                ok(procs_has("init", planted), "planted process moved into init");
                _cleanup_free_ char *rp = NULL;
                read_file_at(AT_FDCWD, procs, 4096, &rp, NULL);
                ok(rp && !*rp, "the root holds no process");
                ok(exists("init") && exists("a") && exists("grp") && exists("grp/b"), "init, a, grp, grp/b made");
                bool has_kill = t->has_kill;
                if (has_kill)
                        check_service(t, 0, "a", true);
                check_service(t, 1, "grp/b", false);
                if (has_kill) {
                        check_rerun(t, 0, "a", true);
                        check_stale_busy(t, 0, "a");
                }
                check_rerun(t, 1, "grp/b", false);
                t->has_kill = has_kill;
                check_remove_busy(t, 0, "a");
                struct cgroup_tree *nt = check_adopt_orphan(t, plan, &p, &d);
                if (nt)
                        t = nt;
                ok(cgroup_tree_destroy(t) == 0, "destroy");
                ok(!exists("a") && !exists("grp") && exists("init"), "everything made removed except init");
        }
        ok(procs_has("init", getpid()), "the applier moved its own process into init");
        /* Back to where this test started, so the test root can go. */
        char back[600], me[32];
        snprintf(back, sizeof back, "%s/cgroup.procs", host_cg);
        snprintf(me, sizeof me, "%d", getpid());
        ok(write_file_at(AT_FDCWD, back, me) == 0, "back to the test's own cgroup");
        kill(planted, SIGKILL);
        waitpid(planted, NULL, 0);
        char init[600];
        snprintf(init, sizeof init, "%s/init", root);
        rmdir(init);
        ok(rmdir(root) == 0, "test root removed");
        diags_free(&d);
        cgroup_plan_free(plan);
        cgroup_plan_free(plan2);
        cgroup_probe_done(&p);
        model_free(&M);
        model_free(&M2);
        return done_testing();
}
