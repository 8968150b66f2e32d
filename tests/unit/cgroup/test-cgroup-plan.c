/* The cgroup planner as data: trees, subtree_control per node, limits,
 * every load error and the --check output.  No root, no cgroupfs. */
#include "cgroup.h"
#include "tap.h"

static struct model M;

static void m_reset(void) {
        model_free(&M);
        settings_init_defaults(&M.settings);
        M.files = calloc(2, sizeof *M.files);
        M.files[0] = strdup("t.conf");
        M.n_files = 1;
}

static struct group_decl *add_group(const char *path, int line) {
        M.groups = realloc(M.groups, (M.n_groups + 1) * sizeof *M.groups);
        struct group_decl *g = &M.groups[M.n_groups++];
        *g = (struct group_decl){ .path = strdup(path), .loc = { M.files[0], line } };
        return g;
}

static struct service *add_service(const char *name, const char *path, int line) {
        M.services = realloc(M.services, (M.n_services + 1) * sizeof *M.services);
        struct service *s = &M.services[M.n_services++];
        service_init_defaults(s);
        s->name = strdup(name);
        s->loc = (struct loc){ M.files[0], line };
        s->cgroup_path = strdup(path ? path : name);
        s->cgroup_line = path ? line + 1 : 0;
        return s;
}

static void limit(struct cg_limits *l, enum cg_key k, const char *v, int line) {
        l->value[k] = strdup(v);
        l->line[k] = line;
}

static const char *const ALL[] = { "cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc", NULL };

static char *diags_text(const struct diags *d) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        for (size_t i = 0; i < d->n; i++)
                fprintf(f, "%s\n", d->v[i].msg);
        fclose(f);
        return buf;
}

static char *plan_text(const struct cgroup_plan *p) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        cgroup_plan_print(p, f);
        fclose(f);
        return buf;
}

static const struct cgroup_node *node(const struct cgroup_plan *p, const char *path) {
        for (size_t i = 0; i < p->n_nodes; i++)
                if (streq(p->nodes[i].path, path))
                        return &p->nodes[i];
        return NULL;
}

#define MEM CGROUP_MASK(CGROUP_MEMORY)
#define CPU CGROUP_MASK(CGROUP_CPU)
#define PIDS CGROUP_MASK(CGROUP_PIDS)
#define IO CGROUP_MASK(CGROUP_IO)
#define CPUSET CGROUP_MASK(CGROUP_CPUSET)

/* Build expecting errors; returns their text (caller frees). */
static char *build_errors(const char *const *offered, int *ret) {
        struct diags d = {0};
        struct cgroup_plan *p = NULL;
        *ret = cgroup_plan_build(&M, "/sys/fs/cgroup/x", offered, &p, &d);
        char *t = diags_text(&d);
        diags_free(&d);
        cgroup_plan_free(p);
        return t;
}

/* Expect exactly one error containing want. */
static void expect_error(const char *const *offered, const char *want, const char *name) {
        int r;
        _cleanup_free_ char *t = build_errors(offered, &r);
        size_t lines = 0;
        for (const char *c = t; c && *c; c++)
                lines += *c == '\n';
        bool ok = r == -EINVAL && lines == 1 && strstr(t, want);
        tap_ok(ok, "%s", name);
        if (!ok)
                printf("# r=%d, errors:\n# %s# want: %s\n", r, t ? t : "", want);
}

static void test_three_levels(void) {
        m_reset();
        struct group_decl *pod = add_group("pod", 3);
        limit(&pod->limits, CG_MEMORY_MAX, "536870912", 3);
        limit(&pod->limits, CG_CPU_WEIGHT, "200", 3);
        struct group_decl *be = add_group("pod/backend", 4);
        limit(&be->limits, CG_PIDS_MAX, "256", 4);
        struct service *db = add_service("db", "pod/backend/db", 10);
        limit(&db->limits, CG_MEMORY_MAX, "134217728", 11);
        limit(&db->limits, CG_PIDS_MAX, "64", 11);
        struct service *web = add_service("web", "pod/web", 20);
        limit(&web->limits, CG_CPU_MAX, "50000 100000", 21);
        add_service("lone", NULL, 30);

        struct diags d = {0};
        struct cgroup_plan *p = NULL;
        int r = cgroup_plan_build(&M, "/sys/fs/cgroup", ALL, &p, &d);
        tap_ok(r == 0 && diags_empty(&d), "three-level plan builds (r=%d)", r);
        diags_free(&d);
        if (r < 0)
                return;
        static const struct {
                const char *path;
                uint32_t enable;
        } want[] = {
                { "", CPU | MEM | PIDS },  { "init", 0 }, { "lone", 0 },       { "pod", CPU | MEM | PIDS },
                { "pod/backend", MEM | PIDS }, { "pod/backend/db", 0 }, { "pod/web", 0 },
        };
        tap_ok(p->n_nodes == ARRAY_SIZE(want), "7 cgroups planned (got %zu)", p->n_nodes);
        for (size_t i = 0; i < ARRAY_SIZE(want) && i < p->n_nodes; i++) {
                const struct cgroup_node *n = &p->nodes[i];
                tap_ok(streq(n->path, want[i].path) && n->subtree_control == want[i].enable,
                       "node %zu is \"%s\" enabling exactly 0x%x (got \"%s\" 0x%x)", i, want[i].path,
                       want[i].enable, n->path, n->subtree_control);
        }
        tap_ok(p->needed == (CPU | MEM | PIDS), "controllers needed: cpu memory pids");
        tap_ok(node(p, "pod/backend/db")->parent == (size_t)(node(p, "pod/backend") - p->nodes) &&
                       node(p, "pod/backend/db")->depth == 3,
               "db's parent is pod/backend, depth 3");
        tap_ok(p->service_node[0] == (size_t)(node(p, "pod/backend/db") - p->nodes) &&
                       p->service_node[2] == (size_t)(node(p, "lone") - p->nodes),
               "service_node maps services to their leaves");
        tap_ok(node(p, "init")->kind == CGROUP_NODE_INIT && node(p, "pod/web")->kind == CGROUP_NODE_SERVICE &&
                       node(p, "pod")->kind == CGROUP_NODE_GROUP,
               "node kinds");
        _cleanup_free_ char *t = plan_text(p);
        tap_is_str(t,
                   "/  [+cpu +memory +pids]\n"
                   "  init  (corral)\n"
                   "  lone  (service lone)\n"
                   "  pod  [+cpu +memory +pids] memory.max=536870912 cpu.weight=200\n"
                   "    backend  [+memory +pids] pids.max=256\n"
                   "      db  (service db) memory.max=134217728 pids.max=64\n"
                   "    web  (service web) cpu.max=\"50000 100000\"\n",
                   "--check prints the tree, controllers per level and limits");
        cgroup_plan_free(p);
}

static void test_implied_and_unlimited(void) {
        m_reset();
        struct service *a = add_service("a", "x/y/z/a", 5);
        limit(&a->limits, CG_IO_WEIGHT, "50", 6);
        add_service("b", "x/b", 7);
        struct diags d = {0};
        struct cgroup_plan *p = NULL;
        int r = cgroup_plan_build(&M, NULL, ALL, &p, &d);
        tap_ok(r == 0, "implied intermediate cgroups plan");
        diags_free(&d);
        if (r < 0)
                return;
        tap_ok(node(p, "x")->kind == CGROUP_NODE_IMPLIED && node(p, "x/y/z")->kind == CGROUP_NODE_IMPLIED,
               "x, x/y, x/y/z are implied");
        tap_ok(node(p, "")->subtree_control == IO && node(p, "x")->subtree_control == IO &&
                       node(p, "x/y")->subtree_control == IO && node(p, "x/y/z")->subtree_control == IO &&
                       node(p, "x/b")->subtree_control == 0 && node(p, "init")->subtree_control == 0,
               "io enabled along a's ancestors only");
        cgroup_plan_free(p);

        m_reset();
        add_service("a", NULL, 1);
        p = NULL;
        r = cgroup_plan_build(&M, NULL, NULL, &p, &d);
        tap_ok(r == 0 && p->n_nodes == 3 && p->needed == 0 && node(p, "")->subtree_control == 0,
               "no limits: no controller enabled anywhere, none needed");
        diags_free(&d);
        cgroup_plan_free(p);
}

static void test_leaf_errors(void) {
        m_reset();
        add_service("web", "pod/web", 10);
        add_group("pod/web/x", 3);
        expect_error(ALL,
                     "t.conf:11: service \"web\": cgroup.path: group \"pod/web/x\" (t.conf:3, cgroup \"pod/web/x\") "
                     "sits below its leaf \"pod/web\"",
                     "group below a service leaf is refused");

        m_reset();
        add_service("web", "pod", 10);
        add_service("db", "pod/db", 20);
        expect_error(ALL, "service \"web\": cgroup.path: service \"db\" (t.conf:21, cgroup \"pod/db\") sits below",
                     "service below a service leaf is refused");

        m_reset();
        add_service("a", "shared", 10);
        add_service("b", "shared", 20);
        expect_error(ALL,
                     "t.conf:21: service \"b\": cgroup.path: \"shared\" is already the leaf of service \"a\" "
                     "(t.conf:11): two services cannot share a leaf cgroup",
                     "two services sharing one leaf is refused");

        m_reset();
        add_group("pod", 3);
        add_service("web", "pod", 10);
        expect_error(ALL, "t.conf:11: service \"web\": cgroup.path: group \"pod\" (t.conf:3) is its leaf cgroup",
                     "a group as a service's leaf is refused");

        m_reset();
        add_group("pod", 3);
        add_group("pod", 7);
        expect_error(ALL, "t.conf:7: group \"pod\": path: declared twice (also at t.conf:3)",
                     "a group declared twice is refused");
}

static void test_name_errors(void) {
        static const char *const bad[] = { "a/../b", "a//b", "/a", "a/", ".", "cgroup.procs",
                                           "pod/memory.max", "a b", "x/..", "" };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                m_reset();
                add_group(bad[i], 4);
                char want[256];
                snprintf(want, sizeof want, "t.conf:4: group \"%s\": path: \"%s\" is not a valid cgroup path",
                         bad[i], bad[i]);
                char name[128];
                snprintf(name, sizeof name, "group path \"%s\" refused", bad[i]);
                expect_error(ALL, want, name);
        }
        m_reset();
        add_service("s", "a/../../etc", 8);
        expect_error(ALL, "t.conf:9: service \"s\": cgroup.path: \"a/../../etc\" is not a valid cgroup path",
                     "service path with .. refused");

        m_reset();
        add_group("init", 2);
        expect_error(ALL, "t.conf:2: group \"init\": path: \"init\": the top-level cgroup \"init\" is reserved",
                     "group named init at top level is reserved");
        m_reset();
        add_service("x", "init/x", 5);
        expect_error(ALL, "service \"x\": cgroup.path: \"init/x\": the top-level cgroup \"init\" is reserved",
                     "service below init is reserved");
        m_reset();
        add_service("x", "pod/init", 5);
        int r;
        free(build_errors(ALL, &r));
        tap_ok(r == 0, "\"init\" below the top level is allowed");
}

static void test_controller_errors(void) {
        static const char *const cpu_pids[] = { "cpu", "pids", NULL };
        m_reset();
        struct group_decl *pod = add_group("pod", 3);
        limit(&pod->limits, CG_MEMORY_MAX, "536870912", 3);
        expect_error(cpu_pids,
                     "t.conf:3: group \"pod\": memory_max: cannot enable memory: not offered by /sys/fs/cgroup/x "
                     "(offers: cpu pids)\n",
                     "memory not offered: exact message");

        m_reset();
        struct service *s = add_service("db", NULL, 12);
        limit(&s->limits, CG_IO_WEIGHT, "100", 14);
        static const char *const hugetlb[] = { "hugetlb", NULL };
        expect_error(hugetlb,
                     "t.conf:14: service \"db\": io_weight: cannot enable io: not offered by /sys/fs/cgroup/x "
                     "(offers: hugetlb)",
                     "io not offered by a hugetlb-only root");
        m_reset();
        s = add_service("db", NULL, 12);
        limit(&s->limits, CG_PIDS_MAX, "10", 13);
        expect_error(NULL, "pids_max: cannot enable pids: not offered by /sys/fs/cgroup/x (offers: nothing)",
                     "a root offering nothing");

        /* Two limits, two controllers missing: both reported at once. */
        m_reset();
        s = add_service("db", NULL, 12);
        limit(&s->limits, CG_MEMORY_HIGH, "1000", 13);
        limit(&s->limits, CG_CPUSET_CPUS, "0", 14);
        int r;
        _cleanup_free_ char *t = build_errors(cpu_pids, &r);
        tap_ok(r == -EINVAL && strstr(t, "t.conf:13: service \"db\": memory_high: cannot enable memory") &&
                       strstr(t, "t.conf:14: service \"db\": cpuset_cpus: cannot enable cpuset"),
               "every missing controller reported at once");

        /* settings.cgroups = "optional": a warning, and the limit dropped. */
        m_reset();
        s = add_service("db", NULL, 12);
        limit(&s->limits, CG_MEMORY_MAX, "1000", 13);
        limit(&s->limits, CG_PIDS_MAX, "10", 14);
        struct diags d = {0}, w = {0};
        struct cgroup_plan *p = NULL;
        r = cgroup_plan_build_ex(&M, "/cg", cpu_pids, &p, &d, &w);
        tap_ok(r == 0 && d.n == 0 && w.n == 1 && strstr(w.v[0].msg, "running without this limit") && p &&
                       !node(p, "db")->limits[CG_MEMORY_MAX] && node(p, "db")->limits[CG_PIDS_MAX] &&
                       node(p, "")->subtree_control == PIDS,
               "optional: missing controller is a warning, its limit dropped, the rest kept");
        diags_free(&d);
        diags_free(&w);
        cgroup_plan_free(p);
}

static void test_threaded(void) {
        m_reset();
        add_group("pod", 2);
        struct group_decl *t = add_group("pod/t", 3);
        t->threaded = true;
        limit(&t->limits, CG_CPU_MAX, "10000 100000", 3);
        struct service *s = add_service("worker", "pod/t/w/worker", 10);
        limit(&s->limits, CG_PIDS_MAX, "32", 11);
        struct service *o = add_service("other", "pod/t/other", 20);
        limit(&o->limits, CG_CPUSET_CPUS, "0", 21);
        struct diags d = {0};
        struct cgroup_plan *p = NULL;
        int r = cgroup_plan_build(&M, NULL, ALL, &p, &d);
        tap_ok(r == 0, "threaded group with cpu, pids and cpuset limits plans (r=%d)", r);
        if (r == 0) {
                tap_ok(!node(p, "pod")->threaded && node(p, "pod/t")->threaded && node(p, "pod/t/w")->threaded &&
                               node(p, "pod/t/w/worker")->threaded && node(p, "pod/t/other")->threaded &&
                               !node(p, "init")->threaded,
                       "every cgroup below a threaded group is threaded, pod stays domain");
                tap_ok(node(p, "")->subtree_control == (CPUSET | CPU | PIDS) &&
                               node(p, "pod")->subtree_control == (CPUSET | CPU | PIDS) &&
                               node(p, "pod/t")->subtree_control == (CPUSET | PIDS) &&
                               node(p, "pod/t/w")->subtree_control == PIDS,
                       "threaded controllers enabled top-down");
                _cleanup_free_ char *txt = plan_text(p);
                tap_ok(strstr(txt, "    t  (threaded) [+cpuset +pids] cpu.max=\"10000 100000\"\n") &&
                               strstr(txt, "        worker  (service worker) (threaded) pids.max=32\n"),
                       "--check marks threaded cgroups");
        }
        diags_free(&d);
        cgroup_plan_free(p);

        m_reset();
        add_group("pod", 2);
        t = add_group("pod/t", 3);
        t->threaded = true;
        s = add_service("worker", "pod/t/worker", 10);
        limit(&s->limits, CG_MEMORY_MAX, "1000000", 12);
        expect_error(ALL,
                     "t.conf:12: service \"worker\": memory_max: memory is a domain controller: it cannot be used "
                     "inside threaded group \"pod/t\"",
                     "memory limit inside a threaded group refused");

        m_reset();
        add_group("pod", 2);
        t = add_group("pod/t", 3);
        t->threaded = true;
        limit(&t->limits, CG_IO_WEIGHT, "10", 5);
        expect_error(ALL, "t.conf:5: group \"pod/t\": io_weight: io is a domain controller: it cannot be used in "
                          "threaded group \"pod/t\"",
                     "io limit on the threaded group itself refused");

        m_reset();
        t = add_group("t", 3);
        t->threaded = true;
        expect_error(ALL, "t.conf:3: group \"t\": type: a threaded group cannot sit directly at corral's cgroup root",
                     "threaded group at the root refused");

        m_reset();
        add_group("pod", 2);
        t = add_group("pod/t", 3);
        t->threaded = true;
        add_service("web", "pod/web", 9);
        expect_error(ALL,
                     "t.conf:3: group \"pod/t\": type: a threaded group cannot sit beside the domain leaf "
                     "\"pod/web\" of service \"web\": its parent \"pod\" becomes a threaded domain",
                     "threaded group beside a domain service leaf refused");

        m_reset();
        t = add_group("pod/t", 3);
        t->threaded = true;
        add_service("deep", "pod/d/deep", 9);
        expect_error(ALL, "a threaded group cannot sit beside the domain leaf \"pod/d/deep\" of service \"deep\"",
                     "threaded group with a domain leaf deeper below its parent refused");

        m_reset();
        t = add_group("pod/t", 3);
        t->threaded = true;
        struct group_decl *x = add_group("pod/x", 4);
        limit(&x->limits, CG_MEMORY_HIGH, "1000", 4);
        expect_error(ALL,
                     "t.conf:3: group \"pod/t\": type: its parent \"pod\" becomes a threaded domain and cannot enable "
                     "memory, needed by memory_high of group \"pod/x\"",
                     "domain controller in a threaded domain refused");

        m_reset();
        t = add_group("pod/t", 3);
        t->threaded = true;
        struct group_decl *t2 = add_group("pod/t/u", 4);
        t2->threaded = true;
        add_service("s", "pod/t/u/s", 5);
        add_service("s2", "pod/t2", 7);
        int r2;
        _cleanup_free_ char *e = build_errors(ALL, &r2);
        tap_ok(r2 == -EINVAL && strstr(e, "beside the domain leaf \"pod/t2\"") && !strstr(e, "\"pod/t/u\": type"),
               "nested threaded groups are fine; a domain sibling leaf is not");
}

static void test_parsers(void) {
        _cleanup_free_ char *path = NULL;
        int r = cgroup_parse_proc_cgroup("12:pids:/x\n1:name=systemd:/\n0::/process/corral\n", &path);
        tap_ok(r == 0 && streq(path, "/process/corral"), "/proc/self/cgroup: the 0:: line");
        char *none = NULL;
        tap_ok(cgroup_parse_proc_cgroup("1:cpu:/\n", &none) == -ENOENT && !none, "v1 only: -ENOENT");

        _cleanup_free_ char *mnt = NULL, *root = NULL;
        r = cgroup_parse_mountinfo("22 1 8:1 / / rw - ext4 /dev/sda rw\n"
                                   "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n",
                                   &mnt, &root);
        tap_ok(r == 0 && streq(mnt, "/sys/fs/cgroup/unified") && streq(root, "/"),
               "mountinfo: cgroup2 mount point with optional fields");
        _cleanup_free_ char *mnt2 = NULL, *root2 = NULL;
        r = cgroup_parse_mountinfo("41 31 0:38 /sub\\040dir /my\\040cg rw - cgroup2 none rw\n", &mnt2, &root2);
        tap_ok(r == 0 && streq(mnt2, "/my cg") && streq(root2, "/sub dir"), "mountinfo: octal escapes undone");
        char *m3 = NULL;
        tap_ok(cgroup_parse_mountinfo("30 1 0:3 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n", &m3, NULL) ==
                       -ENOENT,
               "mountinfo: cgroup v1 is not cgroup2");

        char **v = NULL;
        r = cgroup_parse_list("cpuset cpu io memory pids\n", &v);
        tap_ok(r == 0 && v[0] && streq(v[0], "cpuset") && v[4] && streq(v[4], "pids") && !v[5],
               "controllers list split");
        cgroup_strv_free(v);
        r = cgroup_parse_list("\n", &v);
        tap_ok(r == 0 && !v[0], "empty controllers list");
        cgroup_strv_free(v);

        uint64_t n = 0;
        const char *ev = "low 0\nhigh 5\nmax 9\noom 2\noom_kill 3\noom_group_kill 0\n";
        tap_ok(cgroup_parse_keyed(ev, "oom_kill", &n) == 0 && n == 3, "memory.events oom_kill");
        tap_ok(cgroup_parse_keyed(ev, "oom", &n) == 0 && n == 2, "memory.events oom is not oom_kill");
        tap_ok(cgroup_parse_keyed("populated 0\nfrozen 0\n", "populated", &n) == 0 && n == 0,
               "cgroup.events populated");
        tap_ok(cgroup_parse_keyed("frozen 1\n", "populated", &n) == -ENOENT, "missing key");

        tap_ok(cgroup_controller_from_string("memory") == CGROUP_MEMORY &&
                       cgroup_controller_from_string("perf_event") == -EINVAL &&
                       streq(cgroup_controller_to_string(CGROUP_PIDS), "pids"),
               "controller names");
}

static void test_load_decision(void) {
        struct cgroup_probe none = { .problem = (char *)"no cgroup2 filesystem is mounted" };
        m_reset();
        struct service *s = add_service("db", NULL, 12);
        limit(&s->limits, CG_MEMORY_MAX, "1000", 13);
        struct diags d = {0}, w = {0};
        struct cgroup_plan *p = (struct cgroup_plan *)&none; /* must stay untouched */
        int r = cgroup_plan_load(&M, &none, &p, &d, &w);
        tap_ok(r == -EINVAL && d.n == 1 && w.n == 0 && p == (struct cgroup_plan *)&none &&
                       streq(d.v[0].msg, "t.conf:13: service \"db\": memory_max: cgroup2 is not usable: no cgroup2 "
                                         "filesystem is mounted (settings.cgroups = \"optional\" runs without limits)"),
               "required + limits + no cgroup2: a load error naming the service, key and what is missing");
        diags_free(&d);

        M.settings.cgroups = CGROUPS_OPTIONAL;
        r = cgroup_plan_load(&M, &none, &p, &d, &w);
        tap_ok(r == 0 && !p && d.n == 0 && w.n == 1 && strstr(w.v[0].msg, "running without cgroups and without the "
                                                                      "declared limits"),
               "optional + limits + no cgroup2: one warning, no plan");
        diags_free(&w);

        m_reset();
        add_service("db", NULL, 12);
        r = cgroup_plan_load(&M, &none, &p, &d, &w);
        tap_ok(r == 0 && !p && d.n == 0 && w.n == 0, "required without limits + no cgroup2: no plan, nothing to warn of");
        diags_free(&w);

        static const char *const ctl[] = { "cpu", "pids", NULL };
        struct cgroup_probe ok = { .root = (char *)"/cg", .controllers = (char **)ctl, .writable = true };
        r = cgroup_plan_load(&M, &ok, &p, &d, &w);
        tap_ok(r == 0 && p && p->n_nodes == 3, "usable cgroup2: a plan");
        cgroup_plan_free(p);
}

int main(void) {
        test_three_levels();
        test_implied_and_unlimited();
        test_leaf_errors();
        test_name_errors();
        test_controller_errors();
        test_threaded();
        test_parsers();
        test_load_decision();
        model_free(&M);
        return tap_done();
}
