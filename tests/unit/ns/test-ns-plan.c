/* Unit tests of the pure namespace and mount planning: no root needed. */
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "../../../src/ns/ns-internal.h"
#include "../../tap.h"

static char tmp[256];

static void t_escape(void) {
        _cleanup_free_ char *e = ns_overlay_escape("/a,b:c\\d");
        is_str(e, "/a\\,b\\:c\\\\d", "escape , : and backslash");
        _cleanup_free_ char *plain = ns_overlay_escape("/srv/img/web");
        is_str(plain, "/srv/img/web", "plain path unchanged");
        char *lower[] = { "/l1", "/l:2", "/l,3" };
        _cleanup_free_ char *o = ns_overlay_options(lower, 3, "/u\\p", "/w");
        is_str(o, "lowerdir=/l1:/l\\:2:/l\\,3,upperdir=/u\\\\p,workdir=/w", "overlay options: lowers in order, escaped");
}

static void t_normalize(void) {
        static const struct {
                const char *in, *out;
                int err;
        } t[] = {
                { "/data", "/data", 0 },      { "data/x", "/data/x", 0 },   { "/a/./b//c/", "/a/b/c", 0 },
                { "/a/../b", "/b", 0 },       { "/a/b/../../c", "/c", 0 },  { "..", NULL, -EXDEV },
                { "/../etc", NULL, -EXDEV },  { "/a/../../etc", NULL, -EXDEV }, { "/", NULL, -EINVAL },
                { "", NULL, -EINVAL },        { "/a/..", NULL, -EINVAL },
        };
        for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
                char *out = NULL;
                int r = ns_normalize_target(t[i].in, &out);
                if (t[i].out)
                        is_str(r == 0 ? out : NULL, t[i].out, "normalize \"%s\"", t[i].in);
                else
                        ok(r == t[i].err && !out, "normalize \"%s\" refused (%d)", t[i].in, r);
                free(out);
        }
}

static void t_id_map(void) {
        char *m = NULL;
        ok(ns_id_map_format("0 1000 1", &m) == 0 && streq(m, "0 1000 1\n"), "uid_map one entry");
        free(m);
        m = NULL;
        ok(ns_id_map_format("0 1000 1, 1 100000 65536", &m) == 0 && streq(m, "0 1000 1\n1 100000 65536\n"),
               "uid_map two entries");
        free(m);
        m = NULL;
        ok(ns_id_map_format("0 x 1", &m) == -EINVAL && !m, "uid_map garbage refused");
        ok(ns_id_map_format("0 1 0", &m) == -EINVAL, "uid_map zero count refused");
        ok(ns_id_map_format("0 1", &m) == -EINVAL, "uid_map short refused");
        ok(ns_id_map_format("0 1 2 3", &m) == -EINVAL, "uid_map extra refused");
}

static void t_contains(void) {
        ok(ns_group_contains("pod", "pod/web"), "pod contains pod/web");
        ok(ns_group_contains("pod", "pod"), "pod contains pod");
        ok(!ns_group_contains("pod", "podium/x"), "pod does not contain podium/x");
}

static struct model model;
static struct service svc;

static void reset(void) {
        service_init_defaults(&svc);
        svc.name = "web";
        svc.loc = (struct loc){ "/etc/corral/web.conf", 3 };
        svc.cgroup_path = "web";
        model = (struct model){ .services = &svc, .n_services = 1 };
}

static struct ns_plan *build(struct diags *d) {
        struct ns_plan *p = NULL;
        int r = ns_plan_build(&model, &svc, "/run/corral", &p, d);
        return r < 0 ? NULL : p;
}

static bool diag_has(const struct diags *d, const char *needle) {
        for (size_t i = 0; i < d->n; i++)
                if (strstr(d->v[i].msg, needle))
                        return true;
        for (size_t i = 0; i < d->n; i++)
                printf("# diag: %s\n", d->v[i].msg);
        return false;
}

static void t_flags(void) {
        struct diags d = {0};
        reset();
        struct ns_plan *p = build(&d);
        ok(!p && d.n == 0, "nothing declared: no plan");
        svc.ns = (struct ns_decl){ .pid = true, .net = true, .hostname = "box", .cgroup = true, .line = 4 };
        p = build(&d);
        ok(p && ns_plan_clone_flags(p) == (CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS),
               "pid, net, hostname: NEWPID|NEWNET|NEWUTS");
        ok(p && p->unshare_cgroup && p->lo_up && p->pid_init && !p->make_private && p->n_steps == 0,
               "cgroup unshared in the child, lo up, pid init, no mounts");
        ns_plan_free(p);
        svc.ns = (struct ns_decl){ .pid = true, .mount = true, .ipc = true, .user = true, .uid_map = "0 1000 1",
                                   .gid_map = "0 1000 1" };
        p = build(&d);
        ok(p && ns_plan_clone_flags(p) == (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUSER),
               "pid, mount, ipc, user flags");
        ok(p && p->n_steps == 1 && streq(p->steps[0].fstype, "proc") && streq(p->steps[0].target, "/proc"),
               "pid+mount without root: fresh /proc");
        ok(p && streq(p->uid_map, "0 1000 1\n") && streq(p->gid_map, "0 1000 1\n"), "maps in kernel format");
        ns_plan_free(p);
        svc.ns = (struct ns_decl){ .uid_map = "0 1000 1", .line = 9 };
        p = build(&d);
        ok(!p && diag_has(&d, "/etc/corral/web.conf:9: service \"web\": uid_map needs user = true"),
               "uid_map without user refused");
        diags_free(&d);
}

static void mk(const char *name, char *out) {
        sprintf(out, "%s/%s", tmp, name);
        mkdir(out, 0755);
}

static void t_overlay(void) {
        struct diags d = {0};
        char l1[300], l2[300], up[300], wk[300];
        mk("l1", l1);
        mk("l2", l2);
        mk("up", up);
        mk("wk", wk);
        reset();
        char *lower[] = { l1, l2, NULL };
        svc.root = (struct root_decl){ .kind = ROOT_OVERLAY, .lower = lower, .n_lower = 2, .upper = up, .work = wk,
                                       .line = 7 };
        svc.ns.pid = true;
        struct ns_plan *p = build(&d);
        ok(p != NULL, "overlay plan built");
        if (!p)
                return;
        ok(ns_plan_clone_flags(p) == (CLONE_NEWNS | CLONE_NEWPID) && p->make_private && p->pivot,
               "root implies a mount namespace, private, pivot");
        char want[2048];
        snprintf(want, sizeof want, "lowerdir=%s:%s,upperdir=%s,workdir=%s", l1, l2, up, wk);
        const struct ns_step *ov = NULL;
        for (size_t i = 0; i < p->n_steps; i++)
                if (p->steps[i].fstype && streq(p->steps[i].fstype, "overlay"))
                        ov = &p->steps[i];
        is_str(ov ? ov->data : NULL, want, "overlay data string");
        is_str(ov ? ov->target : NULL, "/run/corral/root/root", "overlay mounted on the stage");
        /* The order of the shown targets is the contract of --check. */
        const char *order[] = { "/run/corral/root", "/run/corral/root/root", up, wk, "/", "/proc", "/dev",
                                "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
                                "/dev/pts", "/dev/ptmx", "/dev/shm", "/dev/fd", "/dev/stdin", "/dev/stdout",
                                "/dev/stderr", "/tmp" };
        bool same = p->n_steps == ARRAY_SIZE(order);
        for (size_t i = 0; same && i < p->n_steps; i++)
                same = streq(p->steps[i].shown, order[i]);
        for (size_t i = 0; !same && i < p->n_steps; i++)
                printf("# step %zu: %s\n", i, p->steps[i].shown);
        ok(same, "mount steps in order: stage, overlay, /proc, /dev..., /tmp");
        ok(p->steps[5].op == STEP_MOUNT && streq(p->steps[5].fstype, "proc"), "fresh proc with a pid namespace");
        ok(p->steps[13].op == STEP_MOUNT && streq(p->steps[13].data, "newinstance,ptmxmode=0666,mode=0620"),
               "devpts newinstance");
        ok(p->steps[7].op == STEP_BIND && p->steps[7].optional && streq(p->steps[7].target,
               "/run/corral/root/root/dev/null"), "host /dev/null bound in the new root");
        ns_plan_free(p);

        svc.ns.pid = false;
        svc.root.upper = svc.root.work = NULL;
        svc.root.readonly = true;
        p = build(&d);
        ok(p && streq(p->steps[2].shown, "/run/corral/root/upper") && streq(p->steps[5].shown, "/proc") &&
               p->steps[5].op == STEP_BIND, "no upper: tmpfs upper on the stage; no pid ns: host /proc bound");
        ok(p && p->steps[p->n_steps - 1].op == STEP_REMOUNT_RO && streq(p->steps[p->n_steps - 1].shown, "/"),
               "readonly: remount / last");
        if (p) {
                snprintf(want, sizeof want, "lowerdir=%s:%s,upperdir=/run/corral/root/upper,workdir=/run/corral/root/work", l1, l2);
                is_str(p->steps[4].data, want, "tmpfs upper option string");
        }
        ns_plan_free(p);
        diags_free(&d);
}

static void t_root_errors(void) {
        struct diags d = {0};
        char l1[300], missing[300], up[300];
        mk("l1", l1);
        mk("up", up);
        sprintf(missing, "%s/nope", tmp);
        reset();
        char *lower[] = { l1, missing, NULL };
        svc.root = (struct root_decl){ .kind = ROOT_OVERLAY, .lower = lower, .n_lower = 2, .upper = up,
                                       .work = "/dev/shm/corral-unit-work", .line = 12 };
        struct ns_plan *p = build(&d);
        char want[600];
        snprintf(want, sizeof want, "/etc/corral/web.conf:12: service \"web\": root.overlay.lower: \"%s\": No such file", missing);
        ok(!p && diag_has(&d, want), "missing lower dir named");
        struct stat a, b;
        if (stat("/dev/shm", &a) == 0 && stat(tmp, &b) == 0 && a.st_dev != b.st_dev)
                ok(diag_has(&d, "root.overlay: work \"/dev/shm/corral-unit-work\" is on another filesystem than upper"),
                       "work on another filesystem named");
        else
                ok(1, "skipped:  /dev/shm on the same filesystem as %s", tmp);
        diags_free(&d);

        d = (struct diags){0};
        ns_validate_root(&svc, "nodev\tproc\nnodev\ttmpfs\n", &d);
        ok(diag_has(&d, "service \"web\": root.overlay: overlayfs is not available"), "overlayfs missing");
        diags_free(&d);
        d = (struct diags){0};
        ns_validate_root(&svc, "nodev\tproc\nnodev\toverlay\n", &d);
        ok(!diag_has(&d, "overlayfs is not available"), "overlay listed: no error");
        diags_free(&d);

        d = (struct diags){0};
        svc.root = (struct root_decl){ .kind = ROOT_PATH, .path = missing, .line = 13 };
        p = build(&d);
        snprintf(want, sizeof want, "web.conf:13: service \"web\": root.path: \"%s\": No such file or directory", missing);
        ok(!p && diag_has(&d, want), "missing root path named");
        diags_free(&d);
}

static void t_binds(void) {
        struct diags d = {0};
        reset();
        svc.root = (struct root_decl){ .kind = ROOT_PATH, .path = tmp, .line = 2 };
        struct bind binds[] = { { "/etc", "/host/etc", true, 20 }, { "/var", "/srv/../../var", false, 21 } };
        svc.binds = binds;
        svc.n_binds = 1;
        struct ns_plan *p = build(&d);
        size_t n = p ? p->n_steps : 0;
        ok(p && p->steps[n - 2].op == STEP_BIND && streq(p->steps[n - 2].target, "/run/corral/root/root/host/etc") &&
               p->steps[n - 1].op == STEP_REMOUNT_RO, "readonly bind: bind then remount read-only");
        ok(p && p->steps[2].op == STEP_BIND && streq(p->steps[2].source, tmp) && streq(p->steps[2].shown, "/"),
               "root.path bound on the stage");
        ok(p && (p->steps[n - 1].flags & MS_REC) && !p->steps[n - 1].below,
           "a readonly bind is read-only recursively, as it is bound");
        ns_plan_free(p);
        svc.root.readonly = true;
        p = build(&d);
        n = p ? p->n_steps : 0;
        ok(p && p->steps[3].op == STEP_REMOUNT_RO && (p->steps[3].flags & MS_REC) && p->steps[3].below &&
                   p->steps[n - 1].op == STEP_REMOUNT_RO && streq(p->steps[n - 1].shown, "/") &&
                   !(p->steps[n - 1].flags & MS_REC),
           "readonly root.path: the mounts below it read-only at once, the root itself last");
        ns_plan_free(p);
        svc.root.readonly = false;
        svc.n_binds = 2;
        p = build(&d);
        ok(!p && diag_has(&d, "web.conf:21: service \"web\": binds: target \"/srv/../../var\" is outside the root"),
               "bind target escaping the root refused");
        diags_free(&d);
        d = (struct diags){0};
        svc.root.kind = ROOT_NONE;
        svc.n_binds = 1;
        p = build(&d);
        ok(!p && diag_has(&d, "binds: needs a root"), "binds without a root refused");
        diags_free(&d);
}

/* A notify service with a root of its own gets corral's notify socket bound
 * at a fixed path inside it, after its own binds, and that is the
 * NOTIFY_SOCKET it is given. */
static void t_notify(void) {
        struct diags d = {0};
        reset();
        svc.type = SERVICE_NOTIFY;
        svc.root = (struct root_decl){ .kind = ROOT_PATH, .path = tmp, .line = 2 };
        struct bind binds[] = { { "/etc", "/run", false, 20 } };
        svc.binds = binds;
        svc.n_binds = 1;
        struct ns_plan *p = build(&d);
        const struct ns_step *last = p ? &p->steps[p->n_steps - 1] : NULL;
        ok(last && last->op == STEP_BIND && streq(last->source, "/run/corral/notify") &&
                   streq(last->shown, "/run/host/notify") && last->mkpoint == MKPOINT_LIKE_SOURCE && last->optional,
           "notify socket bound on /run/host/notify, last");
        is_str(ns_notify_socket(&svc, "/run/corral/notify"), "/run/host/notify", "NOTIFY_SOCKET inside the root");
        ok(ns_notify_socket(&svc, NULL) == NULL, "no socket: none inside either");
        ns_plan_free(p);
        svc.type = SERVICE_SIMPLE;
        p = build(&d);
        last = p ? &p->steps[p->n_steps - 1] : NULL;
        ok(last && !streq(last->shown, "/run/host/notify"), "a simple service gets no notify bind");
        ns_plan_free(p);
        reset();
        svc.type = SERVICE_NOTIFY;
        svc.ns.pid = svc.ns.mount = true;
        p = build(&d);
        ok(p && p->n_steps == 1, "without a root nothing is bound (the host path is visible)");
        is_str(ns_notify_socket(&svc, "/run/corral/notify"), "/run/corral/notify", "NOTIFY_SOCKET: the host path");
        ns_plan_free(p);
        diags_free(&d);
}

static void t_pods(void) {
        struct diags d = {0};
        reset();
        struct group_decl groups[] = {
                { .path = "pod", .ns = { .net = true, .ipc = true, .hostname = "pod1" } },
                { .path = "pod/backend", .ns = { .net = true } },
                { .path = "other" },
        };
        model.groups = groups;
        model.n_groups = 3;
        svc.cgroup_path = "pod/backend/db";
        struct ns_plan *p = build(&d);
        ok(p && ns_plan_clone_flags(p) == 0, "pod member: no new namespaces of its own");
        is_str(p ? p->pod_path[POD_NET] : NULL, "/run/corral/ns/pod/backend/net", "nearest group's net");
        is_str(p ? p->pod_path[POD_IPC] : NULL, "/run/corral/ns/pod/ipc", "ipc from the outer group");
        is_str(p ? p->pod_path[POD_UTS] : NULL, "/run/corral/ns/pod/uts", "hostname implies uts");
        ns_plan_free(p);
        svc.ns.net = true;
        p = build(&d);
        ok(p && !p->pod_path[POD_NET] && (ns_plan_clone_flags(p) & CLONE_NEWNET), "own net wins over the pod's");
        ns_plan_free(p);
        svc.ns = (struct ns_decl){ .user = true, .line = 5 };
        p = build(&d);
        ok(!p && diag_has(&d, "service \"web\": user namespace: cannot join the net namespace of group \"pod/backend\""),
               "user namespace with a pod refused");
        diags_free(&d);
        svc.ns = (struct ns_decl){0};
        svc.cgroup_path = "podium";
        p = build(&d);
        ok(!p, "service outside the pod: no plan");
}

static void t_print(void) {
        struct diags d = {0};
        char l1[300];
        mk("l,1", l1);
        reset();
        char *lower[] = { l1, NULL };
        svc.root = (struct root_decl){ .kind = ROOT_OVERLAY, .lower = lower, .n_lower = 1 };
        svc.ns = (struct ns_decl){ .pid = true, .hostname = "h" };
        struct ns_plan *p = build(&d);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ns_plan_print(p, f);
        fclose(f);
        for (char *line = buf, *e; line && *line; line = e ? e + 1 : NULL) {
                e = strchr(line, '\n');
                printf("# %.*s\n", e ? (int)(e - line) : (int)strlen(line), line);
        }
        char want[600];
        snprintf(want, sizeof want, "mount overlay on / -o lowerdir=%s/l\\,1,upperdir=/run/corral/root/upper", tmp);
        ok(buf && strstr(buf, want), "print: exact escaped overlay options");
        ok(buf && strstr(buf, "namespaces: new pid, mount, uts"), "print: namespaces");
        ok(buf && strstr(buf, "hostname: \"h\"") && strstr(buf, "pivot_root to /run/corral/root/root"),
               "print: hostname and pivot_root");
        free(buf);
        char what[256];
        ns_failure_describe(p, 4, what, sizeof what);
        is_str(what, "mount overlay on /", "failure of step 4 described");
        ns_failure_describe(p, NS_WHAT_PIVOT, what, sizeof what);
        is_str(what, "pivot_root /run/corral/root/root", "pivot failure described");
        ns_failure_describe(p, 7, what, sizeof what);
        is_str(what, "bind /dev/null on /dev/null", "bind failure described");
        ns_plan_free(p);
        svc.root.kind = ROOT_NONE;
        svc.ns = (struct ns_decl){ .user = true, .uid_map = "0 1000 1,1 2000 5", .gid_map = "0 1000 1" };
        p = build(&d);
        ns_failure_describe(p, NS_WHAT_UID_MAP, what, sizeof what);
        is_str(what, "uid_map \"0 1000 1;1 2000 5\"", "uid_map failure described");
        ns_failure_describe(p, NS_WHAT_SETNS + POD_NET, what, sizeof what);
        is_str(what, "namespaces", "unknown failure described generically");
        ns_plan_free(p);
        diags_free(&d);
}

static void t_ctl(void) {
        struct diags d = {0};
        reset();
        struct service svcs[2];
        service_init_defaults(&svcs[0]);
        service_init_defaults(&svcs[1]);
        svcs[0].name = "a";
        svcs[0].loc = (struct loc){ "x.conf", 4 };
        svcs[0].cgroup_path = "a";
        svcs[0].ns = (struct ns_decl){ .net = true, .pid = true, .line = 6 };
        svcs[1].name = "b";
        svcs[1].cgroup_path = "b";
        struct group_decl g = { .path = "pod", .loc = { "x.conf", 9 }, .ns = { .ipc = true, .line = 10 } };
        struct model m = { .services = svcs, .n_services = 2, .groups = &g, .n_groups = 1 };
        struct ns_ctl *c = NULL;
        ok(ns_ctl_new(&m, "/run/corral", CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC, &c, &d) == 0 && d.n == 0,
           "ctl built when the kernel offers every declared kind");
        ok(c && ns_ctl_plan(c, "a") && !ns_ctl_plan(c, "b") && !ns_ctl_plan(c, "zz"), "plans found by name");
        ns_ctl_free(c);
        c = NULL;
        ok(ns_ctl_new(&m, "/run/corral", CLONE_NEWPID, &c, &d) == -EINVAL && !c, "missing kinds refused");
        ok(diag_has(&d, "x.conf:6: service \"a\": namespaces: net: this kernel or container does not let corral create it"),
           "error names the service, the key and what is missing");
        ok(diag_has(&d, "x.conf:10: group \"pod\": namespaces: ipc: this kernel or container does not let corral create it"),
           "error names the group");
        diags_free(&d);
        int flags = 0;
        ok(ns_probe(&flags) == 0, "probe ran");
        if (geteuid() == 0)
                ok((flags & (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET)) ==
                           (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET),
                   "as root: mount, uts, ipc and net namespaces can be created");
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ns_flags_print(CLONE_NEWPID | CLONE_NEWUSER, f);
        fclose(f);
        is_str(buf, "pid user", "flags printed");
        free(buf);
}

int main(void) {
        snprintf(tmp, sizeof tmp, "/tmp/corral-ns-unit-XXXXXX");
        if (!mkdtemp(tmp))
                return 1;
        t_escape();
        t_normalize();
        t_id_map();
        t_contains();
        t_flags();
        t_overlay();
        t_root_errors();
        t_binds();
        t_notify();
        t_pods();
        t_print();
        t_ctl();
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        if (system(cmd) != 0)
                return 1;
        return done_testing();
}
