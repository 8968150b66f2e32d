/* Interior cgroups (`groups`) and the global `settings`. */
#include "config-internal.h"
#include "log.h"

static void group_path(struct vctx *c, const struct cnode *n, struct group_decl *g, char *what, size_t size,
                       size_t n_th) {
        const struct cnode *p = cfg_node_child(n, "path");
        snprintf(what, size, "group #%zu", n_th);
        c->what = what;
        g->loc = n->loc;
        if (!p) {
                cfg_err(c, n, "path", "missing");
                return;
        }
        g->loc = p->loc;
        if (p->type != CNODE_STRING || !cfg_cgroup_path_valid(p->s)) {
                if (p->type == CNODE_STRING)
                        cfg_err(c, p, NULL, "%s: expected a/b/c relative to the cgroup root, each part "
                                         "[A-Za-z0-9_.-]{1,64}", QUOTED(p->s));
                else
                        cfg_expect(c, p, CNODE_STRING);
                return;
        }
        snprintf(what, size, "group \"%.64s%s\"", p->s, strlen(p->s) > 64 ? "..." : "");
        if (strcspn(p->s, "/") == 4 && strncmp(p->s, "init", 4) == 0)
                cfg_err(c, p, NULL, "\"init\" is reserved (corral's own cgroup)");
        if (!(g->path = strdup(p->s)))
                c->d->oom = c->failed = true;
}

static void group_type(struct vctx *c, const struct cnode *n, struct group_decl *g) {
        if (!cfg_expect(c, n, CNODE_STRING))
                return;
        if (streq(n->s, "threaded"))
                g->threaded = true;
        else if (!streq(n->s, "domain"))
                cfg_err(c, n, NULL, "%s: expected \"domain\" or \"threaded\"", QUOTED(n->s));
}

void cfg_group_from_cnode(const struct cnode *n, size_t n_th, struct group_decl *g, struct diags *d) {
        char what[96];
        struct vctx c = { .d = d };
        *g = (struct group_decl){ .loc = n->loc };
        if (n->type != CNODE_GROUP) {
                snprintf(what, sizeof what, "group #%zu", n_th);
                c.what = what;
                cfg_err(&c, n, "groups", "expected a group { }, got %s", cfg_node_type_name(n->type));
                return;
        }
        group_path(&c, n, g, what, sizeof what, n_th);
        for (size_t i = 0; i < n->n; i++) {
                const struct cnode *e = &n->v[i];
                if (streq(e->name, "path"))
                        continue;
                if (streq(e->name, "type"))
                        group_type(&c, e, g);
                else if (streq(e->name, "namespaces"))
                        cfg_ns_from_cnode(&c, e, &g->ns, true);
                else if (!cfg_limit_from_cnode(&c, e, &g->limits))
                        cfg_err(&c, e, NULL, "unknown key");
        }
}

static void set_shutdown_timeout(struct vctx *c, const struct cnode *n, void *obj) {
        cfg_get_u32(c, n, 1, &((struct settings *)obj)->shutdown_timeout_ms);
}

static void set_log_level(struct vctx *c, const struct cnode *n, void *obj) {
        struct settings *s = obj;
        if (!cfg_expect(c, n, CNODE_STRING))
                return;
        int l = log_level_parse(n->s);
        if (l < 0)
                cfg_err(c, n, NULL, "%s: expected \"error\", \"warn\", \"info\" or \"debug\"", QUOTED(n->s));
        else
                s->log_level = l;
}

static void set_cgroups(struct vctx *c, const struct cnode *n, void *obj) {
        struct settings *s = obj;
        if (!cfg_expect(c, n, CNODE_STRING))
                return;
        if (streq(n->s, "required"))
                s->cgroups = CGROUPS_REQUIRED;
        else if (streq(n->s, "optional"))
                s->cgroups = CGROUPS_OPTIONAL;
        else
                cfg_err(c, n, NULL, "%s: expected \"required\" or \"optional\"", QUOTED(n->s));
}

void cfg_settings_from_cnode(const struct cnode *n, struct settings *s, struct diags *d) {
        static const struct key_rule rules[] = {
                { "shutdown_timeout_ms", set_shutdown_timeout },
                { "log_level", set_log_level },
                { "cgroups", set_cgroups },
        };
        struct vctx c = { .d = d, .what = "settings" };
        s->loc = n->loc;
        cfg_dispatch(&c, n, rules, ARRAY_SIZE(rules), s);
}
