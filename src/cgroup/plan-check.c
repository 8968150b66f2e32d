/* The rules a cgroup plan must satisfy before anything is written: the
 * kernel's no-internal-process rule, its thread-mode topology rules and the
 * controllers the root offers.  Each broken rule is a load error naming the
 * service or group, the key and the rule. */
#include "cgroup-internal.h"

/* Index one past the last descendant of node i (descendants are contiguous
 * in preorder). */
static size_t subtree_end(const struct cgroup_plan *p, size_t i) {
        size_t j = i + 1;
        while (j < p->n_nodes && p->nodes[j].depth > p->nodes[i].depth)
                j++;
        return j;
}

static int key_line(const struct cgroup_owner *o, int k) {
        return o->limits && o->limits->line[k] > 0 ? o->limits->line[k] : o->line;
}

void cgroup_check_leaves(const struct model *m, const struct cgroup_plan *p, struct diags *d) {
        for (size_t i = 0; i < p->n_nodes; i++) {
                if (p->nodes[i].kind != CGROUP_NODE_SERVICE)
                        continue;
                struct cgroup_owner so;
                cgroup_owner_of(m, &p->nodes[i], &so);
                for (size_t j = i + 1, end = subtree_end(p, i); j < end; j++) {
                        const struct cgroup_node *n = &p->nodes[j];
                        if (n->kind != CGROUP_NODE_SERVICE && n->kind != CGROUP_NODE_GROUP)
                                continue;
                        struct cgroup_owner o;
                        cgroup_owner_of(m, n, &o);
                        diag_add(d, so.file, so.line,
                                 "service \"%s\": cgroup.path: %s \"%s\" (%s:%d, cgroup \"%s\") sits below its "
                                 "leaf \"%s\": a service's leaf cgroup can hold no other cgroup",
                                 so.name, o.what, o.name, o.file, o.line, n->path, p->nodes[i].path);
                }
        }
}

static bool key_is_domain(int k) { return !cg_keys[k].threaded; }

/* The nearest threaded ancestor-or-self whose parent is not threaded. */
static size_t threaded_top(const struct cgroup_plan *p, size_t i) {
        while (p->nodes[i].parent != SIZE_MAX && p->nodes[p->nodes[i].parent].threaded)
                i = p->nodes[i].parent;
        return i;
}

/* Domain controller limits inside threaded subtrees. */
static void check_threaded_limits(const struct model *m, const struct cgroup_plan *p, struct diags *d) {
        for (size_t i = 0; i < p->n_nodes; i++) {
                const struct cgroup_node *n = &p->nodes[i];
                if (!n->threaded)
                        continue;
                struct cgroup_owner o;
                cgroup_owner_of(m, n, &o);
                const struct cgroup_node *top = &p->nodes[threaded_top(p, i)];
                for (int k = 0; k < _CG_KEY_MAX; k++) {
                        if (!n->limits[k] || !key_is_domain(k))
                                continue;
                        diag_add(d, o.file, key_line(&o, k),
                                 "%s \"%s\": %s: %s is a domain controller: it cannot be used %s threaded group \"%s\" "
                                 "(threaded controllers: cpu, cpuset, pids)",
                                 o.what, o.name, cg_keys[k].key, cg_keys[k].controller,
                                 top == n ? "in" : "inside", top->path);
                }
        }
}

/* The parent P of the top of a threaded subtree becomes its threaded domain:
 * it may not be the root (init, a domain leaf, lives there), may have no
 * populated domain cgroup below it, and may enable no domain controller. */
static void check_thread_root(const struct model *m, const struct cgroup_plan *p, size_t t,
                              struct diags *d) {
        const struct cgroup_node *top = &p->nodes[t];
        size_t dom = top->parent;
        struct cgroup_owner o;
        cgroup_owner_of(m, top, &o);
        if (dom == 0) {
                diag_add(d, o.file, o.line,
                         "%s \"%s\": type: a threaded group cannot sit directly at corral's cgroup root: its "
                         "parent becomes a threaded domain, which can hold no populated domain cgroup, and the "
                         "domain leaf \"init\" holding corral lives there",
                         o.what, o.name);
                return;
        }
        const struct cgroup_node *pn = &p->nodes[dom];
        for (size_t j = dom + 1, end = subtree_end(p, dom); j < end; j++) {
                const struct cgroup_node *n = &p->nodes[j];
                if (n->threaded)
                        continue;
                struct cgroup_owner no;
                cgroup_owner_of(m, n, &no);
                if (n->kind == CGROUP_NODE_SERVICE)
                        diag_add(d, o.file, o.line,
                                 "%s \"%s\": type: a threaded group cannot sit beside the domain leaf \"%s\" of "
                                 "service \"%s\": its parent \"%s\" becomes a threaded domain, which can hold no "
                                 "populated domain cgroup",
                                 o.what, o.name, n->path, no.name, pn->path);
                for (int k = 0; k < _CG_KEY_MAX; k++)
                        if (n->limits[k] && key_is_domain(k))
                                diag_add(d, o.file, o.line,
                                         "%s \"%s\": type: its parent \"%s\" becomes a threaded domain and cannot "
                                         "enable %s, needed by %s of %s \"%s\"",
                                         o.what, o.name, pn->path, cg_keys[k].controller, cg_keys[k].key,
                                         no.what, no.name);
        }
}

void cgroup_check_threaded(const struct model *m, const struct cgroup_plan *p, struct diags *d) {
        check_threaded_limits(m, p, d);
        for (size_t i = 1; i < p->n_nodes; i++)
                if (p->nodes[i].threaded && !p->nodes[p->nodes[i].parent].threaded)
                        check_thread_root(m, p, i, d);
}

static bool offered_has(const char *const *offered, const char *c) {
        for (const char *const *o = offered; o && *o; o++)
                if (streq(*o, c))
                        return true;
        return false;
}

static char *offers_text(const char *const *offered) {
        size_t len = 1;
        for (const char *const *o = offered; o && *o; o++)
                len += strlen(*o) + 1;
        char *s = malloc(len + 8);
        if (!s)
                return NULL;
        s[0] = '\0';
        for (const char *const *o = offered; o && *o; o++) {
                if (s[0])
                        strcat(s, " ");
                strcat(s, *o);
        }
        if (!s[0])
                strcpy(s, "nothing");
        return s;
}

void cgroup_check_controllers(const struct model *m, struct cgroup_plan *p, const char *root_path,
                              const char *const *offered, struct diags *d, struct diags *warn) {
        _cleanup_free_ char *offers = NULL;
        for (size_t i = 0; i < p->n_nodes; i++) {
                struct cgroup_node *n = &p->nodes[i];
                for (int k = 0; k < _CG_KEY_MAX; k++) {
                        if (!n->limits[k] || offered_has(offered, cg_keys[k].controller))
                                continue;
                        if (!offers && !(offers = offers_text(offered))) {
                                d->oom = true;
                                return;
                        }
                        struct cgroup_owner o;
                        cgroup_owner_of(m, n, &o);
                        diag_add(warn ? warn : d, o.file, key_line(&o, k),
                                 "%s \"%s\": %s: cannot enable %s: not offered by %s (offers: %s)%s", o.what,
                                 o.name, cg_keys[k].key, cg_keys[k].controller,
                                 root_path ? root_path : "the cgroup root", offers,
                                 warn ? "; running without this limit" : "");
                        if (warn) {
                                free(n->limits[k]);
                                n->limits[k] = NULL;
                        }
                }
        }
}
