/* A service group of the config -> struct service: the key table, the
 * lifecycle keys, and the checks that involve several keys. */
#include <limits.h>
#include <signal.h>

#include "config-internal.h"

static void svc_type(struct vctx *c, const struct cnode *n, void *obj) {
        struct service *s = obj;
        int t;
        if (!cfg_expect(c, n, CNODE_STRING))
                return;
        if ((t = cfg_service_type(n->s)) < 0)
                cfg_err(c, n, NULL, "%s: expected \"simple\", \"notify\" or \"oneshot\"", QUOTED(n->s));
        else
                s->type = (enum service_type)t;
}

static void svc_notify_access(struct vctx *c, const struct cnode *n, void *obj) {
        struct service *s = obj;
        int a;
        if (!cfg_expect(c, n, CNODE_STRING))
                return;
        if ((a = cfg_notify_access(n->s)) < 0)
                cfg_err(c, n, NULL, "%s: expected \"main\", \"all\" or \"none\"", QUOTED(n->s));
        else
                s->notify_access = (enum notify_access)a;
}

static void svc_restart(struct vctx *c, const struct cnode *n, void *obj) {
        struct service *s = obj;
        int r;
        if (!cfg_expect(c, n, CNODE_STRING))
                return;
        if ((r = cfg_restart_policy(n->s)) < 0)
                cfg_err(c, n, NULL, "%s: expected \"always\", \"on-failure\" or \"never\"", QUOTED(n->s));
        else
                s->restart = (enum restart_policy)r;
}

static void svc_after(struct vctx *c, const struct cnode *n, void *obj) {
        struct service *s = obj;
        s->after_line = n->loc.line;
        if (!cfg_get_strv(c, n, CORRAL_MAX_SERVICES, &s->after, &s->n_after))
                return;
        for (size_t i = 0; i < s->n_after; i++)
                if (!cfg_name_valid(s->after[i]))
                        cfg_err(c, &n->v[i], "after", "%s is not a valid service name", QUOTED(s->after[i]));
}

#define U32_KEY(fn, field, min)                                                 \
        static void fn(struct vctx *c, const struct cnode *n, void *obj) {     \
                cfg_get_u32(c, n, min, &((struct service *)obj)->field);           \
        }
U32_KEY(svc_restart_delay, restart_delay_ms, 0)
U32_KEY(svc_restart_delay_max, restart_delay_max_ms, 1)
U32_KEY(svc_restart_reset, restart_reset_ms, 1)
U32_KEY(svc_watchdog, watchdog_ms, 1)
U32_KEY(svc_stop_timeout, stop_timeout_ms, 1)
U32_KEY(svc_start_burst, start_limit_burst, 1)
U32_KEY(svc_start_interval, start_limit_interval_ms, 1)

#define BOOL_KEY(fn, field)                                                     \
        static void fn(struct vctx *c, const struct cnode *n, void *obj) {     \
                cfg_get_bool(c, n, &((struct service *)obj)->field);               \
        }
BOOL_KEY(svc_main, main)
BOOL_KEY(svc_clean_env, clean_env)
BOOL_KEY(svc_no_new_privs, no_new_privs)

static void svc_start_limit(struct vctx *c, const struct cnode *n, void *obj) {
        static const struct key_rule rules[] = {
                { "burst", svc_start_burst },
                { "interval_ms", svc_start_interval },
        };
        struct vctx sub = { .d = c->d, .what = c->what, .section = "start_limit" };
        cfg_dispatch(&sub, n, rules, ARRAY_SIZE(rules), obj);
        c->failed |= sub.failed;
}

static void svc_stop_signal(struct vctx *c, const struct cnode *n, void *obj) {
        struct service *s = obj;
        if (n->type == CNODE_INT) {
                if (n->i > 0 && n->i <= INT_MAX && signal_valid((int)n->i))
                        s->stop_signal = (int)n->i;
                else
                        cfg_err(c, n, NULL, "%lld is not a signal number", n->i);
        } else if (cfg_expect(c, n, CNODE_STRING)) {
                int sig = signal_parse(n->s);
                if (sig < 0)
                        cfg_err(c, n, NULL, "%s is not a signal name or number", QUOTED(n->s));
                else
                        s->stop_signal = sig;
        }
}

static void svc_workdir(struct vctx *c, const struct cnode *n, void *obj) {
        cfg_get_path(c, n, &((struct service *)obj)->workdir);
}

static void svc_env_file(struct vctx *c, const struct cnode *n, void *obj) {
        cfg_get_path(c, n, &((struct service *)obj)->env_file);
}

static const struct key_rule service_rules[] = {
        { "name", NULL },
        { "command", cfg_svc_command },
        { "type", svc_type },
        { "after", svc_after },
        { "restart", svc_restart },
        { "restart_delay_ms", svc_restart_delay },
        { "restart_delay_max_ms", svc_restart_delay_max },
        { "restart_reset_ms", svc_restart_reset },
        { "start_limit", svc_start_limit },
        { "ready", cfg_svc_ready },
        { "health", cfg_svc_health },
        { "watchdog_ms", svc_watchdog },
        { "notify_access", svc_notify_access },
        { "main", svc_main },
        { "stop_signal", svc_stop_signal },
        { "stop_timeout_ms", svc_stop_timeout },
        { "user", cfg_svc_user },
        { "group", cfg_svc_group },
        { "workdir", svc_workdir },
        { "env", cfg_svc_env },
        { "clean_env", svc_clean_env },
        { "env_file", svc_env_file },
        { "output", cfg_svc_output },
        { "rlimits", cfg_svc_rlimits },
        { "no_new_privs", svc_no_new_privs },
        { "capabilities", cfg_svc_capabilities },
        { "cgroup", cfg_svc_cgroup },
        { "namespaces", cfg_svc_namespaces },
        { "root", cfg_svc_root },
        { "binds", cfg_svc_binds },
};

/* Read the name first: every other message is about it.  Returns the line
 * that identifies the service. */
static void service_name(struct vctx *c, const struct cnode *n, struct service *s, char *what, size_t size,
                         size_t n_th) {
        const struct cnode *name = cfg_node_child(n, "name");
        snprintf(what, size, "service #%zu", n_th);
        c->what = what;
        s->loc = n->loc;
        if (!name) {
                cfg_err(c, n, "name", "missing");
                return;
        }
        s->loc = name->loc;
        if (name->type != CNODE_STRING || !cfg_name_valid(name->s)) {
                if (name->type == CNODE_STRING)
                        cfg_err(c, name, NULL, "%s is not a valid name ([A-Za-z0-9_.-], 1 to %d characters)",
                             QUOTED(name->s), CORRAL_MAX_NAME);
                else
                        cfg_expect(c, name, CNODE_STRING);
                return;
        }
        snprintf(what, size, "service \"%s\"", name->s);
        if (streq(name->s, "init"))
                cfg_err(c, name, NULL, "\"init\" is reserved (corral's own cgroup)");
        if (!(s->name = strdup(name->s)))
                c->d->oom = c->failed = true;
}

/* Rules between keys, once each key is known to be well-formed on its own. */
static void service_cross_checks(struct vctx *c, const struct cnode *n, struct service *s) {
        if (!cfg_node_child(n, "restart") && s->type == SERVICE_ONESHOT)
                s->restart = RESTART_NEVER;
        if (s->restart_delay_max_ms < s->restart_delay_ms)
                cfg_err(c, cfg_node_child(n, "restart_delay_max_ms") ?: n, "restart_delay_max_ms",
                     "%u is less than restart_delay_ms (%u)", s->restart_delay_max_ms, s->restart_delay_ms);
        const struct cnode *w = cfg_node_child(n, "watchdog_ms");
        if (w && s->type != SERVICE_NOTIFY)
                cfg_err(c, w, NULL, "needs type = \"notify\" (the service sends WATCHDOG=1)");
        const struct cnode *na = cfg_node_child(n, "notify_access");
        if (na && s->type != SERVICE_NOTIFY)
                cfg_err(c, na, NULL, "needs type = \"notify\" (only notify services are given NOTIFY_SOCKET)");
        const struct cnode *b = cfg_node_child(n, "binds");
        if (b && s->root.kind == ROOT_NONE)
                cfg_err(c, b, NULL, "needs a root (binds are mounted into the service's new root)");
        if (!cfg_node_child(n, "command"))
                cfg_err(c, n, "command", "missing");
        if (s->root.kind != ROOT_NONE) {
                s->command_in_root = true;
                /* A root of its own is always a mount namespace (SPEC 5). */
                s->ns.mount = true;
        }
        if (!s->cgroup_path && s->name && !(s->cgroup_path = strdup(s->name)))
                c->d->oom = c->failed = true;
}

void cfg_service_from_cnode(const struct cnode *n, size_t n_th, struct service *s, struct diags *d) {
        char what[96];
        struct vctx c = { .d = d };
        service_init_defaults(s);
        if (n->type != CNODE_GROUP) {
                snprintf(what, sizeof what, "service #%zu", n_th);
                c.what = what;
                cfg_err(&c, n, "services", "expected a group { }, got %s", cfg_node_type_name(n->type));
                return;
        }
        service_name(&c, n, s, what, sizeof what, n_th);
        cfg_dispatch(&c, n, service_rules, ARRAY_SIZE(service_rules), s);
        service_cross_checks(&c, n, s);
        cfg_service_exec_finish(&c, n, s);
}
