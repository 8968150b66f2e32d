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
        if (!cfg_get_string(c, n, &x->p->tcp))
                return;
        x->p->kind = PROBE_TCP;
        if (!cfg_tcp_address_valid(x->p->tcp))
                cfg_err(c, n, NULL, "%s is not HOST:PORT", QUOTED(x->p->tcp));
}

static void probe_exec(struct vctx *c, const struct cnode *n, void *obj) {
        struct probe_ctx *x = obj;
        size_t argc = 0;
        x->kinds++;
        if (cfg_get_strv(c, n, CORRAL_MAX_ARGV, &x->p->exec_argv, &argc))
                x->p->kind = PROBE_EXEC;
}

static void probe_file(struct vctx *c, const struct cnode *n, void *obj) {
        struct probe_ctx *x = obj;
        x->kinds++;
        if (cfg_get_path(c, n, &x->p->file))
                x->p->kind = PROBE_FILE;
}

static void probe_interval(struct vctx *c, const struct cnode *n, void *obj) {
        cfg_get_u32(c, n, 1, &((struct probe_ctx *)obj)->p->interval_ms);
}

static void probe_timeout(struct vctx *c, const struct cnode *n, void *obj) {
        cfg_get_u32(c, n, 1, &((struct probe_ctx *)obj)->p->timeout_ms);
}

static void probe_failures(struct vctx *c, const struct cnode *n, void *obj) {
        cfg_get_u32(c, n, 1, &((struct probe_ctx *)obj)->p->failures);
}

static void probe_section(struct vctx *c, const struct cnode *n, struct probe *p, const char *section,
                          const struct key_rule *rules, size_t n_rules) {
        struct vctx sub = { .d = c->d, .what = c->what, .section = section };
        struct probe_ctx x = { .p = p };
        p->line = n->loc.line;
        cfg_dispatch(&sub, n, rules, n_rules, &x);
        if (n->type == CNODE_GROUP && x.kinds != 1) {
                struct vctx top = { .d = c->d, .what = c->what };
                cfg_err(&top, n, NULL, "needs exactly one of tcp, exec, file");
        }
        c->failed |= sub.failed;
}

void cfg_svc_ready(struct vctx *c, const struct cnode *n, void *obj) {
        static const struct key_rule rules[] = {
                { "tcp", probe_tcp },
                { "exec", probe_exec },
                { "file", probe_file },
                { "interval_ms", probe_interval },
                { "timeout_ms", probe_timeout },
        };
        probe_section(c, n, &((struct service *)obj)->ready, "ready", rules, ARRAY_SIZE(rules));
}

void cfg_svc_health(struct vctx *c, const struct cnode *n, void *obj) {
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
                return cfg_parse_cpu_max(n->s, ret);
        case CG_CPUSET_CPUS:
                return cfg_parse_cpuset(n->s, ret);
        case CG_PIDS_MAX:
                return streq(n->s, "max") ? ((*ret = strdup("max")) ? 0 : -ENOMEM) : -EINVAL;
        case CG_CPU_WEIGHT:
        case CG_IO_WEIGHT:
                return -EINVAL;
        default: {
                int r = cfg_parse_size(n->s, ret);
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

bool cfg_limit_from_cnode(struct vctx *c, const struct cnode *n, struct cg_limits *l) {
        int key = cg_key_from_name(n->name);
        if (key < 0)
                return false;
        char *v = NULL;
        int r = limit_value(key, n, &v);
        if (r == -ENOMEM)
                oom(c);
        else if (r < 0 && n->type == CNODE_STRING)
                cfg_err(c, n, NULL, "%s %s", QUOTED(n->s), limit_expected(key));
        else if (r < 0 && n->type == CNODE_INT)
                cfg_err(c, n, NULL, "%lld %s", n->i, limit_expected(key));
        else if (r < 0)
                cfg_err(c, n, NULL, "%s %s", cfg_node_type_name(n->type), limit_expected(key));
        else {
                free(l->value[key]);
                l->value[key] = v;
                l->line[key] = n->loc.line;
        }
        return true;
}

void cfg_svc_cgroup(struct vctx *c, const struct cnode *n, void *obj) {
        struct service *s = obj;
        if (!cfg_expect(c, n, CNODE_GROUP))
                return;
        s->cgroup_line = n->loc.line;
        for (size_t i = 0; i < n->n; i++) {
                const struct cnode *e = &n->v[i];
                if (streq(e->name, "path")) {
                        if (!cfg_get_string(c, e, &s->cgroup_path))
                                continue;
                        if (!cfg_cgroup_path_valid(s->cgroup_path))
                                cfg_err(c, e, "cgroup.path", "%s: expected a/b/c, each part a name", QUOTED(e->s));
                        else if (strcspn(s->cgroup_path, "/") == 4 && strncmp(s->cgroup_path, "init", 4) == 0)
                                cfg_err(c, e, "cgroup.path", "\"init\" is reserved (corral's own cgroup)");
                } else if (!cfg_limit_from_cnode(c, e, &s->limits))
                        cfg_err(c, e, NULL, "unknown key");
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
        if (!cfg_get_string(c, e, dst))
                return;
        if (dst == &ns->hostname && !cfg_hostname_valid(*dst))
                cfg_err(c, e, NULL, "%s is not a valid host name", QUOTED(*dst));
        else if (dst != &ns->hostname && !cfg_id_map_valid(*dst))
                cfg_err(c, e, NULL, "%s is not \"INSIDE OUTSIDE COUNT\"", QUOTED(*dst));
}

void cfg_ns_from_cnode(struct vctx *c, const struct cnode *n, struct ns_decl *ns, bool group_only) {
        struct vctx sub = { .d = c->d, .what = c->what, .section = "namespaces" };
        if (!cfg_expect(c, n, CNODE_GROUP))
                return;
        ns->line = n->loc.line;
        for (size_t i = 0; i < n->n; i++) {
                const struct cnode *e = &n->v[i];
                bool *flag = ns_flag(ns, e->name, group_only);
                bool is_map = streq(e->name, "uid_map") || streq(e->name, "gid_map");
                if (flag)
                        cfg_get_bool(&sub, e, flag);
                else if (streq(e->name, "hostname") || (is_map && !group_only))
                        ns_string(&sub, e, ns);
                else if (group_only && (ns_flag(ns, e->name, false) || is_map))
                        cfg_err(&sub, e, NULL, "not allowed in a group (only net, ipc, uts, hostname)");
                else
                        cfg_err(&sub, e, NULL, "unknown key");
        }
        if (ns->hostname)
                ns->uts = true;
        if ((ns->uid_map || ns->gid_map) && !ns->user)
                cfg_err(&sub, n, ns->uid_map ? "uid_map" : "gid_map", "needs user = true");
        c->failed |= sub.failed;
}

void cfg_svc_namespaces(struct vctx *c, const struct cnode *n, void *obj) {
        cfg_ns_from_cnode(c, n, &((struct service *)obj)->ns, false);
}

/* ---- root and binds ---- */

static void root_overlay(struct vctx *c, const struct cnode *n, struct root_decl *r) {
        struct vctx sub = { .d = c->d, .what = c->what, .section = "root.overlay" };
        if (!cfg_expect(c, n, CNODE_GROUP))
                return;
        r->kind = ROOT_OVERLAY;
        for (size_t i = 0; i < n->n; i++) {
                const struct cnode *e = &n->v[i];
                if (streq(e->name, "lower")) {
                        if (!cfg_get_strv(&sub, e, 128, &r->lower, &r->n_lower))
                                continue;
                        for (size_t k = 0; k < r->n_lower; k++)
                                if (r->lower[k][0] != '/')
                                        cfg_err(&sub, &e->v[k], "lower", "%s is not an absolute path",
                                             QUOTED(r->lower[k]));
                } else if (streq(e->name, "upper"))
                        cfg_get_path(&sub, e, &r->upper);
                else if (streq(e->name, "work"))
                        cfg_get_path(&sub, e, &r->work);
                else
                        cfg_err(&sub, e, NULL, "unknown key");
        }
        if (!cfg_node_child(n, "lower"))
                cfg_err(&sub, n, "lower", "missing");
        if (!cfg_node_child(n, "upper") != !cfg_node_child(n, "work"))
                cfg_err(&sub, n, cfg_node_child(n, "upper") ? "work" : "upper", "upper and work go together");
        c->failed |= sub.failed;
}

void cfg_svc_root(struct vctx *c, const struct cnode *n, void *obj) {
        struct root_decl *r = &((struct service *)obj)->root;
        struct vctx sub = { .d = c->d, .what = c->what, .section = "root" };
        if (!cfg_expect(c, n, CNODE_GROUP))
                return;
        r->line = n->loc.line;
        for (size_t i = 0; i < n->n; i++) {
                const struct cnode *e = &n->v[i];
                if (streq(e->name, "path")) {
                        if (cfg_get_path(&sub, e, &r->path))
                                r->kind = ROOT_PATH;
                } else if (streq(e->name, "overlay"))
                        root_overlay(&sub, e, r);
                else if (streq(e->name, "readonly"))
                        cfg_get_bool(&sub, e, &r->readonly);
                else
                        cfg_err(&sub, e, NULL, "unknown key");
        }
        bool has_path = cfg_node_child(n, "path"), has_overlay = cfg_node_child(n, "overlay");
        if (has_path == has_overlay)
                cfg_err(c, n, NULL, "needs exactly one of path, overlay");
        c->failed |= sub.failed;
}

static void bind_one(struct vctx *c, const struct cnode *e, struct bind *b) {
        if (!cfg_expect(c, e, CNODE_GROUP))
                return;
        b->line = e->loc.line;
        for (size_t i = 0; i < e->n; i++) {
                const struct cnode *k = &e->v[i];
                if (streq(k->name, "source"))
                        cfg_get_path(c, k, &b->source);
                else if (streq(k->name, "target"))
                        cfg_get_path(c, k, &b->target);
                else if (streq(k->name, "readonly"))
                        cfg_get_bool(c, k, &b->readonly);
                else
                        cfg_err(c, k, NULL, "unknown key");
        }
        if (!cfg_node_child(e, "source"))
                cfg_err(c, e, "source", "missing");
        if (!cfg_node_child(e, "target"))
                cfg_err(c, e, "target", "missing");
}

void cfg_svc_binds(struct vctx *c, const struct cnode *n, void *obj) {
        struct service *s = obj;
        struct vctx sub = { .d = c->d, .what = c->what, .section = "binds" };
        if (!cfg_expect(c, n, CNODE_LIST) || n->n == 0)
                return;
        if (n->n > 256) {
                cfg_err(c, n, NULL, "more than 256 bind mounts");
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
