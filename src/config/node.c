/* The parsed tree and the typed getters every key handler uses: each one
 * checks type and range and reports a precise error at the node's line. */
#include <stdarg.h>

#include "config-internal.h"

void cfg_node_free(struct cnode *n) {
        if (!n)
                return;
        for (size_t i = 0; i < n->n; i++)
                cfg_node_free(&n->v[i]);
        free(n->v);
        free(n->name);
        free(n->s);
        *n = (struct cnode){0};
}

const char *cfg_node_type_name(enum cnode_type t) {
        static const char *const names[] = {
                [CNODE_INT] = "an integer", [CNODE_FLOAT] = "a float",
                [CNODE_BOOL] = "a boolean", [CNODE_STRING] = "a string",
                [CNODE_GROUP] = "a group { }", [CNODE_ARRAY] = "an array [ ]",
                [CNODE_LIST] = "a list ( )",
        };
        return (size_t)t < ARRAY_SIZE(names) ? names[t] : "?";
}

const struct cnode *cfg_node_child(const struct cnode *group, const char *key) {
        if (group->type != CNODE_GROUP)
                return NULL;
        for (size_t i = 0; i < group->n; i++)
                if (group->v[i].name && streq(group->v[i].name, key))
                        return &group->v[i];
        return NULL;
}

void cfg_err(struct vctx *c, const struct cnode *n, const char *key, const char *fmt, ...) {
        _cleanup_free_ char *body = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&body, fmt, ap);
        va_end(ap);
        c->failed = true;
        if (r < 0) {
                c->d->oom = true;
                return;
        }
        if (!key)
                key = n->name;
        if (!key)
                diag_add(c->d, n->loc.file, n->loc.line, "%s: %s", c->what, body);
        else if (c->section)
                diag_add(c->d, n->loc.file, n->loc.line, "%s: %s.%s: %s", c->what, c->section, key, body);
        else
                diag_add(c->d, n->loc.file, n->loc.line, "%s: %s: %s", c->what, key, body);
}

bool cfg_expect(struct vctx *c, const struct cnode *n, enum cnode_type t) {
        if (n->type == t)
                return true;
        /* An empty () or [] is written the same way for both kinds. */
        if ((t == CNODE_ARRAY || t == CNODE_LIST) && (n->type == CNODE_ARRAY || n->type == CNODE_LIST))
                return true;
        cfg_err(c, n, NULL, "expected %s, got %s", cfg_node_type_name(t), cfg_node_type_name(n->type));
        return false;
}

bool cfg_get_bool(struct vctx *c, const struct cnode *n, bool *ret) {
        if (!cfg_expect(c, n, CNODE_BOOL))
                return false;
        *ret = n->b;
        return true;
}

bool cfg_get_string(struct vctx *c, const struct cnode *n, char **ret) {
        if (!cfg_expect(c, n, CNODE_STRING))
                return false;
        if (strlen(n->s) > CORRAL_MAX_STRING) {
                cfg_err(c, n, NULL, "string longer than %d bytes", CORRAL_MAX_STRING);
                return false;
        }
        char *s = strdup(n->s);
        if (!s) {
                c->d->oom = c->failed = true;
                return false;
        }
        free(*ret);
        *ret = s;
        return true;
}

bool cfg_get_path(struct vctx *c, const struct cnode *n, char **ret) {
        if (n->type == CNODE_STRING && n->s[0] != '/') {
                cfg_err(c, n, NULL, "\"%.*s\" is not an absolute path", 256, n->s);
                return false;
        }
        return cfg_get_string(c, n, ret);
}

bool cfg_get_int(struct vctx *c, const struct cnode *n, long long min, long long max, long long *ret) {
        if (!cfg_expect(c, n, CNODE_INT))
                return false;
        if (n->i < min || n->i > max) {
                if (min == 1 && n->i < 1)
                        cfg_err(c, n, NULL, "%lld: must be positive", n->i);
                else if (min == 0 && n->i < 0)
                        cfg_err(c, n, NULL, "%lld: must not be negative", n->i);
                else
                        cfg_err(c, n, NULL, "%lld: must be between %lld and %lld", n->i, min, max);
                return false;
        }
        *ret = n->i;
        return true;
}

bool cfg_get_u32(struct vctx *c, const struct cnode *n, uint32_t min, uint32_t *ret) {
        long long v;
        /* Milliseconds and counts: INT32_MAX ms is 24 days, far beyond any
         * sensible timeout, and keeps deadline arithmetic safe. */
        if (!cfg_get_int(c, n, min, INT32_MAX, &v))
                return false;
        *ret = (uint32_t)v;
        return true;
}

static void strv_free_n(char **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

bool cfg_get_strv(struct vctx *c, const struct cnode *n, size_t max, char ***ret, size_t *ret_n) {
        if (!cfg_expect(c, n, CNODE_ARRAY))
                return false;
        if (n->n == 0) {
                cfg_err(c, n, NULL, "must not be empty");
                return false;
        }
        if (n->n > max) {
                cfg_err(c, n, NULL, "more than %zu elements", max);
                return false;
        }
        char **v = calloc(n->n + 1, sizeof *v);
        if (!v) {
                c->d->oom = c->failed = true;
                return false;
        }
        bool ok = true;
        for (size_t i = 0; i < n->n; i++) {
                const struct cnode *e = &n->v[i];
                if (e->type != CNODE_STRING) {
                        cfg_err(c, e, n->name, "element %zu: expected a string, got %s", i + 1,
                             cfg_node_type_name(e->type));
                        ok = false;
                } else if (strlen(e->s) > CORRAL_MAX_STRING) {
                        cfg_err(c, e, n->name, "element %zu: string longer than %d bytes", i + 1, CORRAL_MAX_STRING);
                        ok = false;
                } else if (!(v[i] = strdup(e->s))) {
                        c->d->oom = c->failed = true;
                        ok = false;
                }
        }
        if (!ok) {
                strv_free_n(v, n->n);
                return false;
        }
        if (*ret) {
                size_t k = 0;
                while ((*ret)[k])
                        k++;
                strv_free_n(*ret, k);
        }
        *ret = v;
        *ret_n = n->n;
        return true;
}

void cfg_dispatch(struct vctx *c, const struct cnode *group, const struct key_rule *rules, size_t n_rules, void *obj) {
        if (!cfg_expect(c, group, CNODE_GROUP))
                return;
        for (size_t i = 0; i < group->n; i++) {
                const struct cnode *n = &group->v[i];
                size_t k = 0;
                while (k < n_rules && !streq(rules[k].key, n->name))
                        k++;
                if (k == n_rules)
                        cfg_err(c, n, NULL, "unknown key");
                else if (rules[k].fn)
                        rules[k].fn(c, n, obj);
        }
}
