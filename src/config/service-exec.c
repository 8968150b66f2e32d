/* Keys that shape the executed process: command, user and group,
 * environment, output, rlimits, capabilities. */
#include <sys/stat.h>

#include "config-internal.h"
#include "ids.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static void oom(struct vctx *c) {
        c->d->oom = c->failed = true;
}

void cfg_svc_command(struct vctx *c, const struct cnode *n, void *obj) {
        struct service *s = obj;
        if (!cfg_get_strv(c, n, CORRAL_MAX_ARGV, &s->argv, &s->argc))
                return;
        if (!*s->argv[0])
                cfg_err(c, n, NULL, "command[0] is empty");
}

void cfg_svc_user(struct vctx *c, const struct cnode *n, void *obj) {
        struct service *s = obj;
        struct user_info u = { 0 };
        int r;
        if (n->type == CNODE_INT) {
                long long v;
                if (!cfg_get_int(c, n, 0, UINT32_MAX - 1, &v))
                        return;
                r = cfg_user_by_uid((uid_t)v, &u);
                /* A bare uid without a passwd entry is fine (as in a container
                 * image without one); it gets the gid of the same number. */
                if (r == -ENOENT)
                        u = (struct user_info){ .uid = (uid_t)v, .gid = (gid_t)v };
                /* Given as a number: no name, so no supplementary groups. */
                free(u.name);
                u.name = NULL;
        } else if (cfg_expect(c, n, CNODE_STRING)) {
                r = cfg_user_by_name(n->s, &u);
                if (r == -ENOENT) {
                        cfg_err(c, n, NULL, "no such user %s", QUOTED(n->s));
                        return;
                }
        } else
                return;
        if (r == -ENOMEM) {
                oom(c);
                return;
        }
        s->has_user = true;
        s->uid = u.uid;
        s->user_name = u.name;
        s->user_home = u.home;
        /* The user's primary group, unless `group` says otherwise. */
        if (!s->has_group)
                s->gid = u.gid;
}

void cfg_svc_group(struct vctx *c, const struct cnode *n, void *obj) {
        struct service *s = obj;
        if (n->type == CNODE_INT) {
                long long v;
                if (!cfg_get_int(c, n, 0, UINT32_MAX - 1, &v))
                        return;
                s->gid = (gid_t)v;
        } else if (cfg_expect(c, n, CNODE_STRING)) {
                int r = cfg_group_by_name(n->s, &s->gid);
                if (r < 0) {
                        cfg_err(c, n, NULL, "no such group %s", QUOTED(n->s));
                        return;
                }
        } else
                return;
        s->has_group = true;
}

void cfg_svc_env(struct vctx *c, const struct cnode *n, void *obj) {
        struct service *s = obj;
        if (!cfg_expect(c, n, CNODE_GROUP))
                return;
        if (n->n > CORRAL_MAX_ENV) {
                cfg_err(c, n, NULL, "more than %d variables", CORRAL_MAX_ENV);
                return;
        }
        if (n->n == 0 || !(s->env = calloc(n->n, sizeof *s->env))) {
                if (n->n)
                        oom(c);
                return;
        }
        struct vctx sub = { .d = c->d, .what = c->what, .section = "env" };
        for (size_t i = 0; i < n->n; i++) {
                const struct cnode *e = &n->v[i];
                char *value = NULL;
                if (!cfg_env_key_valid(e->name)) {
                        cfg_err(&sub, e, NULL, "not a valid variable name");
                        continue;
                }
                if (e->type == CNODE_INT)
                        value = xasprintf("%lld", e->i);
                else if (!cfg_get_string(&sub, e, &value))
                        continue;
                struct env_var *v = &s->env[s->n_env++];
                v->key = strdup(e->name);
                v->value = value;
                v->line = e->loc.line;
                if (!v->key || !v->value)
                        oom(c);
        }
        c->failed |= sub.failed;
}

void cfg_svc_output(struct vctx *c, const struct cnode *n, void *obj) {
        struct service *s = obj;
        if (!cfg_expect(c, n, CNODE_STRING))
                return;
        free(s->output_file);
        s->output_file = NULL;
        int o = cfg_output_mode(n->s, &s->output_file);
        if (o == -ENOMEM)
                oom(c);
        else if (o < 0)
                cfg_err(c, n, NULL, "%s: expected \"console\", \"inherit\", \"null\" or \"file:/absolute/path\"",
                     QUOTED(n->s));
        else if (s->output_file && strlen(s->output_file) > CORRAL_MAX_STRING)
                cfg_err(c, n, NULL, "string longer than %d bytes", CORRAL_MAX_STRING);
        else
                s->output = (enum output_mode)o;
}

/* One rlimit value: a number, or "max" / "infinity" / "unlimited". */
static bool rlim_value(struct vctx *c, const struct cnode *n, const char *key, rlim_t *ret) {
        if (n->type == CNODE_INT && n->i >= 0) {
                *ret = (rlim_t)n->i;
                return true;
        }
        if (n->type == CNODE_STRING &&
            (streq(n->s, "max") || streq(n->s, "infinity") || streq(n->s, "unlimited"))) {
                *ret = RLIM_INFINITY;
                return true;
        }
        /* libconfig arrays hold one type only, so [ 8388608, "max" ] must
         * be written ( 8388608, "max" ) or [ "8388608", "max" ]. */
        if (n->type == CNODE_STRING && n->s[0] >= '0' && n->s[0] <= '9') {
                char *end;
                errno = 0;
                unsigned long long v = strtoull(n->s, &end, 10);
                if (!errno && !*end && v < RLIM_INFINITY) {
                        *ret = (rlim_t)v;
                        return true;
                }
        }
        if (n->type == CNODE_STRING)
                cfg_err(c, n, key, "%s: expected a number >= 0 or \"max\"", QUOTED(n->s));
        else if (n->type == CNODE_INT)
                cfg_err(c, n, key, "%lld: expected a number >= 0 or \"max\"", n->i);
        else
                cfg_err(c, n, key, "expected a number >= 0 or \"max\", got %s", cfg_node_type_name(n->type));
        return false;
}

static bool rlimit_one(struct vctx *c, const struct cnode *e, struct rlimit_decl *out) {
        int res = cfg_rlimit_from_name(e->name);
        if (res < 0) {
                cfg_err(c, e, NULL, "unknown resource (as, core, cpu, data, fsize, locks, memlock, msgqueue, "
                                 "nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack)");
                return false;
        }
        *out = (struct rlimit_decl){ .resource = res, .line = e->loc.line };
        if (e->type == CNODE_ARRAY || e->type == CNODE_LIST) {
                if (e->n != 2) {
                        cfg_err(c, e, NULL, "expected [ soft, hard ]");
                        return false;
                }
                if (!rlim_value(c, &e->v[0], e->name, &out->soft) || !rlim_value(c, &e->v[1], e->name, &out->hard))
                        return false;
                if (out->soft > out->hard) {
                        cfg_err(c, e, NULL, "soft limit above the hard limit");
                        return false;
                }
                return true;
        }
        if (!rlim_value(c, e, NULL, &out->soft))
                return false;
        out->hard = out->soft;
        return true;
}

void cfg_svc_rlimits(struct vctx *c, const struct cnode *n, void *obj) {
        struct service *s = obj;
        if (!cfg_expect(c, n, CNODE_GROUP) || n->n == 0)
                return;
        if (!(s->rlimits = calloc(n->n, sizeof *s->rlimits))) {
                oom(c);
                return;
        }
        struct vctx sub = { .d = c->d, .what = c->what, .section = "rlimits" };
        for (size_t i = 0; i < n->n; i++)
                if (rlimit_one(&sub, &n->v[i], &s->rlimits[s->n_rlimits]))
                        s->n_rlimits++;
        c->failed |= sub.failed;
}

void cfg_svc_capabilities(struct vctx *c, const struct cnode *n, void *obj) {
        struct service *s = obj;
        if (!cfg_expect(c, n, CNODE_ARRAY))
                return;
        s->has_caps = true;
        s->caps = 0;
        for (size_t i = 0; i < n->n; i++) {
                const struct cnode *e = &n->v[i];
                int cap = e->type == CNODE_STRING ? cfg_capability_from_name(e->s) : -EINVAL;
                if (cap < 0)
                        cfg_err(c, e, "capabilities", "element %zu: %s is not a capability name (CAP_...)", i + 1,
                                e->type == CNODE_STRING ? QUOTED(e->s) : cfg_node_type_name(e->type));
                else
                        s->caps |= UINT64_C(1) << cap;
        }
}

static bool executable(const char *path) {
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int cfg_path_lookup(const char *name, const char *path_env, char **ret) {
        const char *p = strempty(path_env) ? DEFAULT_PATH : path_env;
        for (;;) {
                size_t n = strcspn(p, ":");
                /* An empty PATH element means the current directory: not
                 * something an init should depend on. */
                if (n > 0) {
                        char *full = xasprintf("%.*s/%s", (int)n, p, name);
                        if (!full)
                                return -ENOMEM;
                        if (full[0] == '/' && executable(full)) {
                                *ret = full;
                                return 0;
                        }
                        free(full);
                }
                if (!p[n])
                        return -ENOENT;
                p += n + 1;
        }
}

static void resolve_command(struct vctx *c, const struct cnode *cmd, struct service *s) {
        char *arg0 = s->argv[0];
        if (arg0[0] == '/') {
                struct stat st;
                if (stat(arg0, &st) < 0)
                        cfg_err(c, cmd, NULL, "%s: %s", QUOTED(arg0), strerror(errno));
                else if (!S_ISREG(st.st_mode))
                        cfg_err(c, cmd, NULL, "%s: not a regular file", QUOTED(arg0));
                else if (access(arg0, X_OK) < 0)
                        cfg_err(c, cmd, NULL, "%s: %s", QUOTED(arg0), strerror(errno));
                return;
        }
        if (strchr(arg0, '/')) {
                cfg_err(c, cmd, NULL, "%s is neither an absolute path nor a name to look up in PATH", QUOTED(arg0));
                return;
        }
        char *full = NULL;
        int r = cfg_path_lookup(arg0, getenv("PATH"), &full);
        if (r == -ENOMEM)
                oom(c);
        else if (r < 0)
                cfg_err(c, cmd, NULL, "%s not found in PATH", QUOTED(arg0));
        else {
                free(s->argv[0]);
                s->argv[0] = full;
        }
}

void cfg_service_exec_finish(struct vctx *c, const struct cnode *n, struct service *s) {
        const struct cnode *cmd = cfg_node_child(n, "command");
        /* A command inside the service's own root is looked up there, at
         * start; the entrypoint is resolved at start too (126/127). */
        if (cmd && s->argv && *s->argv[0] && !s->command_in_root && !s->entrypoint)
                resolve_command(c, cmd, s);
}
