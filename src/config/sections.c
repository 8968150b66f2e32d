/* Nested sections of a service (ready, health, cgroup, namespaces, root,
 * binds) and the limit and namespace keys groups share with services. */
#include "config-internal.h"

static void oom(struct vctx *c) {
        c->d->oom = c->failed = true;
}

/* ---- probes ---- */

struct probe_ctx {
        struct probe *p;
        int kinds; /* how many of tcp, exec, file were given */
};

static void probe_tcp(struct vctx *c, const struct cnode *n, void *obj) {
        struct probe_ctx *x = obj;
        x->kinds++;
        if (!get_string(c, n, &x->p->tcp))
                return;
        x->p->kind = PROBE_TCP;
        if (!tcp_address_valid(x->p->tcp))
                verr(c, n, NULL, "\"%.256s\" is not HOST:PORT", x->p->tcp);
}

static void probe_exec(struct vctx *c, const struct cnode *n, void *obj) {
        struct probe_ctx *x = obj;
        size_t argc = 0;
        x->kinds++;
        if (get_strv(c, n, CORRAL_MAX_ARGV, &x->p->exec_argv, &argc))
                x->p->kind = PROBE_EXEC;
}

static void probe_file(struct vctx *c, const struct cnode *n, void *obj) {
        struct probe_ctx *x = obj;
        x->kinds++;
        if (get_path(c, n, &x->p->file))
                x->p->kind = PROBE_FILE;
}

static void probe_interval(struct vctx *c, const struct cnode *n, void *obj) {
        get_u32(c, n, 1, &((struct probe_ctx *)obj)->p->interval_ms);
}

static void probe_timeout(struct vctx *c, const struct cnode *n, void *obj) {
        get_u32(c, n, 1, &((struct probe_ctx *)obj)->p->timeout_ms);
}

static void probe_failures(struct vctx *c, const struct cnode *n, void *obj) {
        get_u32(c, n, 1, &((struct probe_ctx *)obj)->p->failures);
}

static void probe_section(struct vctx *c, const struct cnode *n, struct probe *p, const char *section,
                          const struct key_rule *rules, size_t n_rules) {
        struct vctx sub = { .d = c->d, .what = c->what, .section = section };
        struct probe_ctx x = { .p = p };
        p->line = n->loc.line;
        dispatch(&sub, n, rules, n_rules, &x);
        if (n->type == CNODE_GROUP && x.kinds != 1) {
                struct vctx top = { .d = c->d, .what = c->what };
                verr(&top, n, NULL, "needs exactly one of tcp, exec, file");
        }
        c->failed |= sub.failed;
}

void svc_ready(struct vctx *c, const struct cnode *n, void *obj) {
        static const struct key_rule rules[] = {
                { "tcp", probe_tcp },
                { "exec", probe_exec },
                { "file", probe_file },
                { "interval_ms", probe_interval },
                { "timeout_ms", probe_timeout },
        };
        probe_section(c, n, &((struct service *)obj)->ready, "ready", rules, ARRAY_SIZE(rules));
}

void svc_health(struct vctx *c, const struct cnode *n, void *obj) {
        static const struct key_rule rules[] = {
                { "tcp", probe_tcp },
                { "exec", probe_exec },
                { "file", probe_file },
                { "interval_ms", probe_interval },
                { "failures", probe_failures },
        };
        probe_section(c, n, &((struct service *)obj)->health, "health", rules, ARRAY_SIZE(rules));
}

/* ---- cgroup limits ---- */

static int limit_value(int key, const struct cnode *n, char **ret) {
        if (n->type == CNODE_INT) {
                long long v = n->i;
                switch (key) {
                case CG_CPU_WEIGHT:
                case CG_IO_WEIGHT:
                        return v >= 1 && v <= 10000 ? ((*ret = xasprintf("%lld", v)) ? 0 : -ENOMEM) : -ERANGE;
                case CG_MEMORY_LOW:
                case CG_MEMORY_SWAP_MAX:
                case CG_CPUSET_CPUS:
                        return v >= 0 ? ((*ret = xasprintf("%lld", v)) ? 0 : -ENOMEM) : -ERANGE;
                case CG_CPU_MAX:
                        return -EINVAL;
                default: /* memory_max, memory_high, pids_max: 0 would stop everything */
                        return v >= 1 ? ((*ret = xasprintf("%lld", v)) ? 0 : -ENOMEM) : -ERANGE;
                }
        }
        if (n->type != CNODE_STRING)
                return -EINVAL;
        switch (key) {
        case CG_CPU_MAX:
                return parse_cpu_max(n->s, ret);
        case CG_CPUSET_CPUS:
                return parse_cpuset(n->s, ret);
        case CG_PIDS_MAX:
                return streq(n->s, "max") ? ((*ret = strdup("max")) ? 0 : -ENOMEM) : -EINVAL;
        case CG_CPU_WEIGHT:
        case CG_IO_WEIGHT:
                return -EINVAL;
        default: {
                int r = parse_size(n->s, ret);
                /* "0" as a string is as meaningless as 0 for a maximum. */
                if (r == 0 && (key == CG_MEMORY_MAX || key == CG_MEMORY_HIGH) && streq(*ret, "0")) {
                        free(*ret);
                        *ret = NULL;
                        return -ERANGE;
                }
                return r;
        }
        }
}

static const char *limit_expected(int key) {
        switch (key) {
        case CG_CPU_MAX:
                return "is not \"QUOTA PERIOD\" or \"max\" (microseconds, quota >= 1000, period 1000..1000000)";
        case CG_CPU_WEIGHT:
        case CG_IO_WEIGHT:
                return "must be an integer between 1 and 10000";
        case CG_CPUSET_CPUS:
                return "is not a CPU list such as \"0-3,6\"";
        case CG_PIDS_MAX:
                return "must be a positive integer or \"max\"";
        case CG_MEMORY_LOW:
        case CG_MEMORY_SWAP_MAX:
                return "is not a size (bytes, or a number with K, M, G or T, or \"max\")";
        default:
                return "is not a size (a positive number of bytes, or with K, M, G or T, or \"max\")";
        }
}

bool cg_limit_from_cnode(struct vctx *c, const struct cnode *n, struct cg_limits *l) {
        int key = cg_key_from_name(n->name);
        if (key < 0)
                return false;
        char *v = NULL;
        int r = limit_value(key, n, &v);
        if (r == -ENOMEM)
                oom(c);
        else if (r < 0 && n->type == CNODE_STRING)
                verr(c, n, NULL, "\"%.64s\" %s", n->s, limit_expected(key));
        else if (r < 0 && n->type == CNODE_INT)
                verr(c, n, NULL, "%lld %s", n->i, limit_expected(key));
        else if (r < 0)
                verr(c, n, NULL, "%s %s", cnode_type_name(n->type), limit_expected(key));
        else {
                free(l->value[key]);
                l->value[key] = v;
                l->line[key] = n->loc.line;
        }
        return true;
}

void svc_cgroup(struct vctx *c, const struct cnode *n, void *obj) {
        struct service *s = obj;
        if (!expect_type(c, n, CNODE_GROUP))
                return;
        s->cgroup_line = n->loc.line;
        for (size_t i = 0; i < n->n; i++) {
                const struct cnode *e = &n->v[i];
                if (streq(e->name, "path")) {
                        if (!get_string(c, e, &s->cgroup_path))
                                continue;
                        if (!cgroup_path_valid(s->cgroup_path))
                                verr(c, e, "cgroup.path", "\"%.256s\": expected a/b/c, each part a name", e->s);
                        else if (strcspn(s->cgroup_path, "/") == 4 && strncmp(s->cgroup_path, "init", 4) == 0)
                                verr(c, e, "cgroup.path", "\"init\" is reserved (corral's own cgroup)");
                } else if (!cg_limit_from_cnode(c, e, &s->limits))
                        verr(c, e, NULL, "unknown key");
        }
}

/* ---- namespaces ---- */

static bool *ns_flag(struct ns_decl *ns, const char *key, bool group_only) {
        if (streq(key, "net"))
                return &ns->net;
        if (streq(key, "ipc"))
                return &ns->ipc;
        if (streq(key, "uts"))
                return &ns->uts;
        if (group_only)
                return NULL;
        if (streq(key, "pid"))
                return &ns->pid;
        if (streq(key, "mount"))
                return &ns->mount;
        if (streq(key, "cgroup"))
                return &ns->cgroup;
        if (streq(key, "user"))
                return &ns->user;
        return NULL;
}

static void ns_string(struct vctx *c, const struct cnode *e, struct ns_decl *ns) {
        char **dst = streq(e->name, "hostname") ? &ns->hostname
                     : streq(e->name, "uid_map") ? &ns->uid_map
                                                 : &ns->gid_map;
        if (!get_string(c, e, dst))
                return;
        if (dst == &ns->hostname && !hostname_valid(*dst))
                verr(c, e, NULL, "\"%.64s\" is not a valid host name", *dst);
        else if (dst != &ns->hostname && !id_map_valid(*dst))
                verr(c, e, NULL, "\"%.64s\" is not \"INSIDE OUTSIDE COUNT\"", *dst);
}

void ns_from_cnode(struct vctx *c, const struct cnode *n, struct ns_decl *ns, bool group_only) {
        struct vctx sub = { .d = c->d, .what = c->what, .section = "namespaces" };
        if (!expect_type(c, n, CNODE_GROUP))
                return;
        ns->line = n->loc.line;
        for (size_t i = 0; i < n->n; i++) {
                const struct cnode *e = &n->v[i];
                bool *flag = ns_flag(ns, e->name, group_only);
                bool is_map = streq(e->name, "uid_map") || streq(e->name, "gid_map");
                if (flag)
                        get_bool(&sub, e, flag);
                else if (streq(e->name, "hostname") || (is_map && !group_only))
                        ns_string(&sub, e, ns);
                else if (group_only && (ns_flag(ns, e->name, false) || is_map))
                        verr(&sub, e, NULL, "not allowed in a group (only net, ipc, uts, hostname)");
                else
                        verr(&sub, e, NULL, "unknown key");
        }
        if (ns->hostname)
                ns->uts = true;
        if ((ns->uid_map || ns->gid_map) && !ns->user)
                verr(&sub, n, ns->uid_map ? "uid_map" : "gid_map", "needs user = true");
        c->failed |= sub.failed;
}

void svc_namespaces(struct vctx *c, const struct cnode *n, void *obj) {
        ns_from_cnode(c, n, &((struct service *)obj)->ns, false);
}

/* ---- root and binds ---- */

static void root_overlay(struct vctx *c, const struct cnode *n, struct root_decl *r) {
        struct vctx sub = { .d = c->d, .what = c->what, .section = "root.overlay" };
        if (!expect_type(c, n, CNODE_GROUP))
                return;
        r->kind = ROOT_OVERLAY;
        for (size_t i = 0; i < n->n; i++) {
                const struct cnode *e = &n->v[i];
                if (streq(e->name, "lower")) {
                        if (!get_strv(&sub, e, 128, &r->lower, &r->n_lower))
                                continue;
                        for (size_t k = 0; k < r->n_lower; k++)
                                if (r->lower[k][0] != '/')
                                        verr(&sub, &e->v[k], "lower", "\"%.256s\" is not an absolute path",
                                             r->lower[k]);
                } else if (streq(e->name, "upper"))
                        get_path(&sub, e, &r->upper);
                else if (streq(e->name, "work"))
                        get_path(&sub, e, &r->work);
                else
                        verr(&sub, e, NULL, "unknown key");
        }
        if (!cnode_child(n, "lower"))
                verr(&sub, n, "lower", "missing");
        if (!cnode_child(n, "upper") != !cnode_child(n, "work"))
                verr(&sub, n, cnode_child(n, "upper") ? "work" : "upper", "upper and work go together");
        c->failed |= sub.failed;
}

void svc_root(struct vctx *c, const struct cnode *n, void *obj) {
        struct root_decl *r = &((struct service *)obj)->root;
        struct vctx sub = { .d = c->d, .what = c->what, .section = "root" };
        if (!expect_type(c, n, CNODE_GROUP))
                return;
        r->line = n->loc.line;
        for (size_t i = 0; i < n->n; i++) {
                const struct cnode *e = &n->v[i];
                if (streq(e->name, "path")) {
                        if (get_path(&sub, e, &r->path))
                                r->kind = ROOT_PATH;
                } else if (streq(e->name, "overlay"))
                        root_overlay(&sub, e, r);
                else if (streq(e->name, "readonly"))
                        get_bool(&sub, e, &r->readonly);
                else
                        verr(&sub, e, NULL, "unknown key");
        }
        bool has_path = cnode_child(n, "path"), has_overlay = cnode_child(n, "overlay");
        if (has_path == has_overlay)
                verr(c, n, NULL, "needs exactly one of path, overlay");
        c->failed |= sub.failed;
}

static void bind_one(struct vctx *c, const struct cnode *e, struct bind *b) {
        if (!expect_type(c, e, CNODE_GROUP))
                return;
        b->line = e->loc.line;
        for (size_t i = 0; i < e->n; i++) {
                const struct cnode *k = &e->v[i];
                if (streq(k->name, "source"))
                        get_path(c, k, &b->source);
                else if (streq(k->name, "target"))
                        get_path(c, k, &b->target);
                else if (streq(k->name, "readonly"))
                        get_bool(c, k, &b->readonly);
                else
                        verr(c, k, NULL, "unknown key");
        }
        if (!cnode_child(e, "source"))
                verr(c, e, "source", "missing");
        if (!cnode_child(e, "target"))
                verr(c, e, "target", "missing");
}

void svc_binds(struct vctx *c, const struct cnode *n, void *obj) {
        struct service *s = obj;
        struct vctx sub = { .d = c->d, .what = c->what, .section = "binds" };
        if (!expect_type(c, n, CNODE_LIST) || n->n == 0)
                return;
        if (n->n > 256) {
                verr(c, n, NULL, "more than 256 bind mounts");
                return;
        }
        if (!(s->binds = calloc(n->n, sizeof *s->binds))) {
                oom(c);
                return;
        }
        s->n_binds = n->n;
        for (size_t i = 0; i < n->n; i++)
                bind_one(&sub, &n->v[i], &s->binds[i]);
        c->failed |= sub.failed;
}
