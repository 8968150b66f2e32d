/* The cgroup plan: which cgroups exist, in preorder, with what they enable
 * and write.  A pure function of the model and the root's controllers. */
#include "cgroup-internal.h"

static const char *const controller_names[_CGROUP_CONTROLLER_MAX] = {
        [CGROUP_CPUSET] = "cpuset", [CGROUP_CPU] = "cpu",         [CGROUP_IO] = "io",
        [CGROUP_MEMORY] = "memory", [CGROUP_HUGETLB] = "hugetlb", [CGROUP_PIDS] = "pids",
        [CGROUP_RDMA] = "rdma",     [CGROUP_MISC] = "misc",
};

const char *cgroup_controller_to_string(enum cgroup_controller c) {
        return (unsigned)c < _CGROUP_CONTROLLER_MAX ? controller_names[c] : "?";
}

int cgroup_controller_from_string(const char *s) {
        for (int i = 0; i < _CGROUP_CONTROLLER_MAX; i++)
                if (streq(controller_names[i], s))
                        return i;
        return -EINVAL;
}

static bool name_char_ok(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == '-';
}

bool cgroup_name_valid(const char *name, size_t len) {
        if (len == 0 || len > CORRAL_MAX_NAME)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!name_char_ok(name[i]))
                        return false;
        if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
                return false;
        /* A directory named like an interface file ("cgroup.procs",
         * "memory.max") would collide with one or be refused by mkdir. */
        const char *dot = memchr(name, '.', len);
        if (dot) {
                size_t plen = (size_t)(dot - name);
                if (plen == 6 && strncmp(name, "cgroup", 6) == 0)
                        return false;
                for (int i = 0; i < _CGROUP_CONTROLLER_MAX; i++)
                        if (strlen(controller_names[i]) == plen &&
                            strncmp(name, controller_names[i], plen) == 0)
                                return false;
        }
        return true;
}

bool cgroup_path_valid(const char *path) {
        if (strempty(path))
                return false;
        for (const char *p = path;;) {
                const char *slash = strchr(p, '/');
                size_t len = slash ? (size_t)(slash - p) : strlen(p);
                if (!cgroup_name_valid(p, len))
                        return false;
                if (!slash)
                        return true;
                p = slash + 1;
        }
}

void cgroup_owner_of(const struct model *m, const struct cgroup_node *n, struct cgroup_owner *ret) {
        *ret = (struct cgroup_owner){ .what = "cgroup", .name = n->path };
        if (n->service >= 0) {
                const struct service *s = &m->services[n->service];
                *ret = (struct cgroup_owner){
                        .what = "service", .name = s->name, .file = s->loc.file,
                        .line = s->cgroup_line > 0 ? s->cgroup_line : s->loc.line,
                        .path_key = "cgroup.path", .limits = &s->limits,
                };
        } else if (n->group >= 0) {
                const struct group_decl *g = &m->groups[n->group];
                *ret = (struct cgroup_owner){
                        .what = "group", .name = g->path, .file = g->loc.file,
                        .line = g->loc.line, .path_key = "path", .limits = &g->limits,
                        .threaded = g->threaded,
                };
        }
}

/* Order where '/' sorts before every other character, so that each node's
 * descendants follow it contiguously and a parent precedes its children. */
static int path_cmp(const char *a, const char *b) {
        for (;; a++, b++) {
                unsigned char x = *a == '/' ? 1 : (unsigned char)*a;
                unsigned char y = *b == '/' ? 1 : (unsigned char)*b;
                if (x != y || !x)
                        return (int)x - (int)y;
        }
}

/* Ties: the root and init, then services, groups, implied; then model order. */
static int node_cmp(const void *a, const void *b) {
        const struct cgroup_node *x = a, *y = b;
        int r = path_cmp(x->path, y->path);
        if (r)
                return r;
        if (x->kind != y->kind) {
                static const int rank[] = {
                        [CGROUP_NODE_ROOT] = 0, [CGROUP_NODE_INIT] = 0, [CGROUP_NODE_SERVICE] = 1,
                        [CGROUP_NODE_GROUP] = 2, [CGROUP_NODE_IMPLIED] = 3,
                };
                return rank[x->kind] - rank[y->kind];
        }
        ssize_t xi = x->service >= 0 ? x->service : x->group;
        ssize_t yi = y->service >= 0 ? y->service : y->group;
        return xi < yi ? -1 : xi > yi;
}

static void node_done(struct cgroup_node *n) {
        free(n->path);
        free(n->service_name);
        for (int k = 0; k < _CG_KEY_MAX; k++)
                free(n->limits[k]);
}

void cgroup_plan_free(struct cgroup_plan *p) {
        if (!p)
                return;
        for (size_t i = 0; i < p->n_nodes; i++)
                node_done(&p->nodes[i]);
        free(p->nodes);
        free(p->service_node);
        free(p);
}

struct builder {
        struct cgroup_node *v;
        size_t n, cap;
};

static int builder_add(struct builder *b, const char *path, size_t len, enum cgroup_node_kind kind,
                       ssize_t service, ssize_t group) {
        struct cgroup_node *nv = grow_array(b->v, &b->cap, b->n + 1, sizeof *nv, 16);
        if (!nv)
                return -ENOMEM;
        b->v = nv;
        char *copy = strndup(path, len);
        if (!copy)
                return -ENOMEM;
        b->v[b->n++] = (struct cgroup_node){
                .path = copy, .parent = SIZE_MAX, .kind = kind, .service = service, .group = group,
        };
        return 0;
}

/* Add a declared path and every prefix of it as an implied node. */
static int builder_add_path(struct builder *b, const char *path, enum cgroup_node_kind kind,
                            ssize_t service, ssize_t group) {
        for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
                int r = builder_add(b, path, (size_t)(s - path), CGROUP_NODE_IMPLIED, -1, -1);
                if (r < 0)
                        return r;
        }
        return builder_add(b, path, strlen(path), kind, service, group);
}

static bool path_is_reserved(const char *path) {
        size_t n = strlen(CGROUP_INIT_NAME);
        return strncmp(path, CGROUP_INIT_NAME, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Check one declared path; false (with an error in d) when it cannot be planned. */
static bool declared_path_ok(const struct cgroup_owner *o, const char *path, struct diags *d) {
        if (!cgroup_path_valid(path)) {
                diag_add(d, o->file, o->line,
                         "%s \"%s\": %s: \"%s\" is not a valid cgroup path (parts of [A-Za-z0-9_.-], "
                         "not \".\", \"..\" or an interface file name like \"memory.max\")",
                         o->what, o->name, o->path_key, path);
                return false;
        }
        if (path_is_reserved(path)) {
                diag_add(d, o->file, o->line,
                         "%s \"%s\": %s: \"%s\": the top-level cgroup \"init\" is reserved for corral itself",
                         o->what, o->name, o->path_key, path);
                return false;
        }
        return true;
}

static int collect(const struct model *m, struct builder *b, struct diags *d) {
        int r = builder_add(b, "", 0, CGROUP_NODE_ROOT, -1, -1);
        if (r >= 0)
                r = builder_add(b, CGROUP_INIT_NAME, strlen(CGROUP_INIT_NAME), CGROUP_NODE_INIT, -1, -1);
        for (size_t i = 0; r >= 0 && i < m->n_groups; i++) {
                struct cgroup_node probe = { .service = -1, .group = (ssize_t)i };
                struct cgroup_owner o;
                cgroup_owner_of(m, &probe, &o);
                const char *path = m->groups[i].path ? m->groups[i].path : "";
                if (declared_path_ok(&o, path, d))
                        r = builder_add_path(b, path, CGROUP_NODE_GROUP, -1, (ssize_t)i);
        }
        for (size_t i = 0; r >= 0 && i < m->n_services; i++) {
                struct cgroup_node probe = { .service = (ssize_t)i, .group = -1 };
                struct cgroup_owner o;
                cgroup_owner_of(m, &probe, &o);
                const struct service *s = &m->services[i];
                const char *path = s->cgroup_path ? s->cgroup_path : s->name;
                if (declared_path_ok(&o, path, d))
                        r = builder_add_path(b, path, CGROUP_NODE_SERVICE, (ssize_t)i, -1);
        }
        return r;
}

/* Merge runs of equal paths into one node.  A declared node absorbs implied
 * ones; two declarations of one path are errors. */
static void merge_duplicates(const struct model *m, struct builder *b, struct diags *d) {
        size_t out = 0;
        for (size_t i = 0; i < b->n; i++) {
                if (out > 0 && streq(b->v[out - 1].path, b->v[i].path)) {
                        struct cgroup_node *keep = &b->v[out - 1], *dup = &b->v[i];
                        struct cgroup_owner ko, dro;
                        cgroup_owner_of(m, keep, &ko);
                        cgroup_owner_of(m, dup, &dro);
                        if (dup->kind == CGROUP_NODE_SERVICE)
                                diag_add(d, dro.file, dro.line,
                                         "service \"%s\": cgroup.path: \"%s\" is already the leaf of service \"%s\" "
                                         "(%s:%d): two services cannot share a leaf cgroup",
                                         dro.name, dup->path, ko.name, ko.file, ko.line);
                        else if (dup->kind == CGROUP_NODE_GROUP && keep->kind == CGROUP_NODE_GROUP)
                                diag_add(d, dro.file, dro.line,
                                         "group \"%s\": path: declared twice (also at %s:%d)", dro.name,
                                         ko.file, ko.line);
                        else if (dup->kind == CGROUP_NODE_GROUP)
                                diag_add(d, ko.file, ko.line,
                                         "service \"%s\": cgroup.path: group \"%s\" (%s:%d) is its leaf cgroup: "
                                         "no group may sit at or below a service's leaf",
                                         ko.name, dup->path, dro.file, dro.line);
                        node_done(dup);
                        continue;
                }
                b->v[out++] = b->v[i];
        }
        b->n = out;
}

static ssize_t find_node(const struct builder *b, const char *path) {
        size_t lo = 0, hi = b->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = path_cmp(b->v[mid].path, path);
                if (c == 0)
                        return (ssize_t)mid;
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return -1;
}

/* Parent links, depth, names, threaded-ness and limit copies. */
static int link_nodes(const struct model *m, struct builder *b) {
        for (size_t i = 0; i < b->n; i++) {
                struct cgroup_node *n = &b->v[i];
                char *slash = strrchr(n->path, '/');
                n->name = i == 0 ? "/" : slash ? slash + 1 : n->path;
                if (i > 0) {
                        _cleanup_free_ char *pp = strndup(n->path, slash ? (size_t)(slash - n->path) : 0);
                        if (!pp)
                                return -ENOMEM;
                        ssize_t p = find_node(b, pp);
                        n->parent = p >= 0 ? (size_t)p : 0;
                        n->depth = b->v[n->parent].depth + 1;
                        n->threaded = b->v[n->parent].threaded;
                }
                struct cgroup_owner o;
                cgroup_owner_of(m, n, &o);
                n->threaded = n->threaded || o.threaded;
                if (n->service >= 0 && !(n->service_name = strdup(o.name)))
                        return -ENOMEM;
                for (int k = 0; o.limits && k < _CG_KEY_MAX; k++)
                        if (o.limits->value[k] && !(n->limits[k] = strdup(o.limits->value[k])))
                                return -ENOMEM;
        }
        return 0;
}

/* Top-down enabling: each limit's controller in every ancestor of its node. */
static void compute_subtree_control(struct cgroup_plan *p) {
        for (size_t i = 0; i < p->n_nodes; i++) {
                uint32_t need = 0;
                for (int k = 0; k < _CG_KEY_MAX; k++)
                        if (p->nodes[i].limits[k])
                                need |= CGROUP_MASK(cgroup_controller_from_string(cg_keys[k].controller));
                p->needed |= need;
                for (size_t a = p->nodes[i].parent; need && a != SIZE_MAX; a = p->nodes[a].parent)
                        p->nodes[a].subtree_control |= need;
        }
}

static int service_index(const struct model *m, struct cgroup_plan *p) {
        p->n_services = m->n_services;
        p->service_node = calloc(m->n_services ? m->n_services : 1, sizeof *p->service_node);
        if (!p->service_node)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_services; i++)
                p->service_node[i] = SIZE_MAX;
        for (size_t i = 0; i < p->n_nodes; i++)
                if (p->nodes[i].kind == CGROUP_NODE_SERVICE)
                        p->service_node[p->nodes[i].service] = i;
        return 0;
}

int cgroup_plan_build_ex(const struct model *m, const char *root_path,
                         const char *const *root_controllers, struct cgroup_plan **ret,
                         struct diags *d, struct diags *warn) {
        struct builder b = {0};
        size_t errors = d->n;
        int r = collect(m, &b, d);
        if (r >= 0) {
                qsort(b.v, b.n, sizeof *b.v, node_cmp);
                merge_duplicates(m, &b, d);
                r = link_nodes(m, &b);
        }
        struct cgroup_plan *p = calloc(1, sizeof *p);
        if (!p) {
                r = -ENOMEM;
        } else {
                p->nodes = b.v;
                p->n_nodes = b.n;
        }
        if (r < 0 || (r = service_index(m, p)) < 0) {
                if (p)
                        cgroup_plan_free(p);
                else {
                        for (size_t i = 0; i < b.n; i++)
                                node_done(&b.v[i]);
                        free(b.v);
                }
                return r;
        }
        cgroup_check_leaves(m, p, d);
        cgroup_check_threaded(m, p, d);
        cgroup_check_controllers(m, p, root_path, root_controllers, d, warn);
        compute_subtree_control(p);
        if (d->n > errors || d->oom) {
                cgroup_plan_free(p);
                return d->oom ? -ENOMEM : -EINVAL;
        }
        *ret = p;
        return 0;
}

int cgroup_plan_build(const struct model *m, const char *root_path,
                      const char *const *root_controllers, struct cgroup_plan **ret,
                      struct diags *d) {
        return cgroup_plan_build_ex(m, root_path, root_controllers, ret, d, NULL);
}
