/* The parsed tree and the typed getters every key handler uses: each one
 * checks type and range and reports a precise error at the node's line. */
#include <stdarg.h>

#include "config-internal.h"

void cnode_free(struct cnode *n) {
        if (!n)
                return;
        for (size_t i = 0; i < n->n; i++)
                cnode_free(&n->v[i]);
        free(n->v);
        free(n->name);
        free(n->s);
        *n = (struct cnode){0};
}

const char *cnode_type_name(enum cnode_type t) {
        static const char *const names[] = {
                [CNODE_INT] = "an integer", [CNODE_FLOAT] = "a float",
                [CNODE_BOOL] = "a boolean", [CNODE_STRING] = "a string",
                [CNODE_GROUP] = "a group { }", [CNODE_ARRAY] = "an array [ ]",
                [CNODE_LIST] = "a list ( )",
        };
        return (size_t)t < ARRAY_SIZE(names) ? names[t] : "?";
}

const struct cnode *cnode_child(const struct cnode *group, const char *key) {
        if (group->type != CNODE_GROUP)
                return NULL;
        for (size_t i = 0; i < group->n; i++)
                if (group->v[i].name && streq(group->v[i].name, key))
                        return &group->v[i];
        return NULL;
}

void verr(struct vctx *c, const struct cnode *n, const char *key, const char *fmt, ...) {
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

bool expect_type(struct vctx *c, const struct cnode *n, enum cnode_type t) {
        if (n->type == t)
                return true;
        /* An empty () or [] is written the same way for both kinds. */
        if ((t == CNODE_ARRAY || t == CNODE_LIST) && (n->type == CNODE_ARRAY || n->type == CNODE_LIST))
                return true;
        verr(c, n, NULL, "expected %s, got %s", cnode_type_name(t), cnode_type_name(n->type));
        return false;
}

bool get_bool(struct vctx *c, const struct cnode *n, bool *ret) {
        if (!expect_type(c, n, CNODE_BOOL))
                return false;
        *ret = n->b;
        return true;
}

bool get_string(struct vctx *c, const struct cnode *n, char **ret) {
        if (!expect_type(c, n, CNODE_STRING))
                return false;
        if (strlen(n->s) > CORRAL_MAX_STRING) {
                verr(c, n, NULL, "string longer than %d bytes", CORRAL_MAX_STRING);
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

bool get_path(struct vctx *c, const struct cnode *n, char **ret) {
        if (n->type == CNODE_STRING && n->s[0] != '/') {
                verr(c, n, NULL, "\"%.*s\" is not an absolute path", 256, n->s);
                return false;
        }
        return get_string(c, n, ret);
}

bool get_int(struct vctx *c, const struct cnode *n, long long min, long long max, long long *ret) {
        if (!expect_type(c, n, CNODE_INT))
                return false;
        if (n->i < min || n->i > max) {
                if (min == 1 && n->i < 1)
                        verr(c, n, NULL, "%lld: must be positive", n->i);
                else if (min == 0 && n->i < 0)
                        verr(c, n, NULL, "%lld: must not be negative", n->i);
                else
                        verr(c, n, NULL, "%lld: must be between %lld and %lld", n->i, min, max);
                return false;
        }
        *ret = n->i;
        return true;
}

bool get_u32(struct vctx *c, const struct cnode *n, uint32_t min, uint32_t *ret) {
        long long v;
        /* Milliseconds and counts: INT32_MAX ms is 24 days, far beyond any
         * sensible timeout, and keeps deadline arithmetic safe. */
        if (!get_int(c, n, min, INT32_MAX, &v))
                return false;
        *ret = (uint32_t)v;
        return true;
}

static void strv_free_n(char **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

bool get_strv(struct vctx *c, const struct cnode *n, size_t max, char ***ret, size_t *ret_n) {
        if (!expect_type(c, n, CNODE_ARRAY))
                return false;
        if (n->n == 0) {
                verr(c, n, NULL, "must not be empty");
                return false;
        }
        if (n->n > max) {
                verr(c, n, NULL, "more than %zu elements", max);
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
                        verr(c, e, n->name, "element %zu: expected a string, got %s", i + 1,
                             cnode_type_name(e->type));
                        ok = false;
                } else if (strlen(e->s) > CORRAL_MAX_STRING) {
                        verr(c, e, n->name, "element %zu: string longer than %d bytes", i + 1, CORRAL_MAX_STRING);
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

void dispatch(struct vctx *c, const struct cnode *group, const struct key_rule *rules, size_t n_rules, void *obj) {
        if (!expect_type(c, group, CNODE_GROUP))
                return;
        for (size_t i = 0; i < group->n; i++) {
                const struct cnode *n = &group->v[i];
                size_t k = 0;
                while (k < n_rules && !streq(rules[k].key, n->name))
                        k++;
                if (k == n_rules)
                        verr(c, n, NULL, "unknown key");
                else if (rules[k].fn)
                        rules[k].fn(c, n, obj);
        }
}
