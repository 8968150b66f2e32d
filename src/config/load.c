/* config_load(): which files, merging them, names across files, `after`,
 * the entrypoint service, and the start-order check. */
#include <dirent.h>
#include <sys/stat.h>

#include "config-internal.h"
#include "config.h"
#include "plan.h"

struct loader {
        struct model m;
        struct file_list files;
        struct diags *d;
        struct name_index services; /* name -> index in m.services */
        struct name_index groups;   /* path -> index in m.groups */
        size_t cap_services, cap_groups;
        bool have_settings, too_many;
        bool exhausted; /* a bound of the whole load was reached: read no more */
        struct config_stats stats;
        size_t n0, dropped0; /* messages in d before loading */
};

static void loader_free(struct loader *l) {
        model_free(&l->m);
        cfg_file_list_free(&l->files);
        cfg_index_free(&l->services);
        cfg_index_free(&l->groups);
}

/* Room for one more service at the end of the model; NULL without memory. */
static struct service *append_service(struct loader *l) {
        struct service *v = grow_array(l->m.services, &l->cap_services, l->m.n_services + 1, sizeof *v, 16);
        if (!v)
                return NULL;
        l->m.services = v;
        return &v[l->m.n_services++];
}

static int add_service(struct loader *l, const struct cnode *n, size_t n_th) {
        if (l->m.n_services >= CORRAL_MAX_SERVICES) {
                if (!l->too_many)
                        diag_add(l->d, n->loc.file, n->loc.line, "services: more than %d services",
                                 CORRAL_MAX_SERVICES);
                l->too_many = true;
                return 0;
        }
        struct service *s = append_service(l);
        if (!s)
                return -ENOMEM;
        cfg_service_from_cnode(n, n_th, s, l->d);
        if (!s->name)
                return 0;
        size_t first;
        int r = cfg_index_put(&l->services, s->name, l->m.n_services - 1, &first);
        if (r == -EEXIST) {
                const struct loc *f = &l->m.services[first].loc;
                diag_add(l->d, s->loc.file, s->loc.line, "service \"%s\": duplicate name, first declared at %s:%d",
                         s->name, f->file, f->line);
                return 0;
        }
        return r;
}

static int add_group(struct loader *l, const struct cnode *n, size_t n_th) {
        if (l->m.n_groups >= CORRAL_MAX_GROUPS) {
                if (!l->too_many)
                        diag_add(l->d, n->loc.file, n->loc.line, "groups: more than %d groups", CORRAL_MAX_GROUPS);
                l->too_many = true;
                return 0;
        }
        struct group_decl *v = grow_array(l->m.groups, &l->cap_groups, l->m.n_groups + 1, sizeof *v, 16);
        if (!v)
                return -ENOMEM;
        l->m.groups = v;
        struct group_decl *g = &l->m.groups[l->m.n_groups++];
        cfg_group_from_cnode(n, n_th, g, l->d);
        if (!g->path)
                return 0;
        size_t first;
        int r = cfg_index_put(&l->groups, g->path, l->m.n_groups - 1, &first);
        if (r == -EEXIST) {
                const struct loc *f = &l->m.groups[first].loc;
                diag_add(l->d, g->loc.file, g->loc.line, "group \"%s\": duplicate path, first declared at %s:%d",
                         g->path, f->file, f->line);
                return 0;
        }
        return r;
}

static int add_list(struct loader *l, const struct cnode *n, int (*add)(struct loader *, const struct cnode *, size_t)) {
        if (n->type != CNODE_LIST && !(n->type == CNODE_ARRAY && n->n == 0)) {
                diag_add(l->d, n->loc.file, n->loc.line, "%s: expected a list ( { ... }, ... ), got %s", n->name,
                         cfg_node_type_name(n->type));
                return 0;
        }
        for (size_t i = 0; i < n->n; i++) {
                int r = add(l, &n->v[i], i + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_root(struct loader *l, const struct cnode *root) {
        for (size_t i = 0; i < root->n; i++) {
                const struct cnode *n = &root->v[i];
                int r = 0;
                if (streq(n->name, "services"))
                        r = add_list(l, n, add_service);
                else if (streq(n->name, "groups"))
                        r = add_list(l, n, add_group);
                else if (!streq(n->name, "settings"))
                        diag_add(l->d, n->loc.file, n->loc.line,
                                 "%s: unknown key (expected settings, groups, services)", n->name);
                else if (l->have_settings)
                        diag_add(l->d, n->loc.file, n->loc.line, "settings: declared twice, first at %s:%d",
                                 l->m.settings.loc.file, l->m.settings.loc.line);
                else {
                        l->have_settings = true;
                        cfg_settings_from_cnode(n, &l->m.settings, l->d);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The result of a step of load_file(): 1 when it reported why the file
 * goes no further (and, for -E2BIG, the whole load), else r. */
static int step(struct loader *l, int r) {
        if (r == -E2BIG)
                l->exhausted = true;
        return r == -EINVAL || r == -E2BIG ? 1 : r;
}

/* One file: expand, check, parse, add.  -ENOENT is passed up for the
 * caller to decide whether a missing file matters. */
static int load_file(struct loader *l, const char *path) {
        _cleanup_(cfg_source_free) struct source src = { 0 };
        struct cnode root = { 0 };
        size_t values = 0;
        if (l->exhausted)
                return 0;
        int r = step(l, cfg_source_load(&src, path, &l->files, &l->stats, l->d));
        if (r == 0)
                r = step(l, cfg_syntax_check(&src, CONFIG_MAX_VALUES - l->stats.values, &values, l->d));
        if (r != 0)
                return r > 0 ? 0 : r;
        l->stats.values += values;
        r = cfg_parse_source(&src, &root, l->d);
        if (r == -EINVAL)
                return 0;
        if (r < 0)
                return r;
        r = add_root(l, &root);
        cfg_node_free(&root);
        return r;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool conf_name(const char *dir, const char *name) {
        size_t n = strlen(name);
        struct stat st;
        if (name[0] == '.' || n < 6 || !streq(name + n - 5, ".conf"))
                return false;
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
        /* Follow symlinks, as a shell glob would; skip what is not a file. */
        return p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Every DIR/\*.conf, in byte order. */
static int load_dir(struct loader *l, const char *dir) {
        DIR *dp = opendir(dir);
        if (!dp)
                return -errno;
        char **names = NULL;
        size_t n = 0, cap = 0;
        int r = 0;
        for (struct dirent *de; n <= CONFIG_MAX_FILES && (de = readdir(dp));) {
                if (!conf_name(dir, de->d_name))
                        continue;
                char **nv = grow_array(names, &cap, n + 1, sizeof *nv, 16);
                if (nv)
                        names = nv;
                if (!nv || !(names[n] = strdup(de->d_name))) {
                        r = -ENOMEM;
                        break;
                }
                n++;
        }
        closedir(dp);
        if (r == 0 && n > CONFIG_MAX_FILES) {
                diag_add(l->d, dir, 0, "more than %d *.conf files", CONFIG_MAX_FILES);
                l->exhausted = true;
        }
        if (r == 0 && n > 0)
                qsort(names, n, sizeof *names, cmp_str);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, names[i]);
                if (r == 0 && !l->exhausted)
                        r = p ? load_file(l, p) : -ENOMEM;
                free(names[i]);
        }
        free(names);
        return r;
}

/* -c PATH: a directory or a file, which must exist. */
static int load_path(struct loader *l, const char *path) {
        struct stat st;
        int r;
        if (stat(path, &st) < 0) {
                diag_add(l->d, path, 0, "%s", strerror(errno));
                return -ENOENT;
        }
        r = S_ISDIR(st.st_mode) ? load_dir(l, path) : load_file(l, path);
        if (r < 0 && r != -ENOMEM) {
                diag_add(l->d, path, 0, "%s", strerror(-r));
                r = -EINVAL;
        }
        return r;
}

/* No -c: the default file and directory, either of which may be absent. */
static int load_defaults(struct loader *l, bool have_entrypoint) {
        bool found = false;
        struct stat st;
        int r = load_file(l, CONFIG_DEFAULT_FILE);
        if (r < 0 && r != -ENOENT)
                return r;
        found = r == 0;
        if (stat(CONFIG_DEFAULT_DIR, &st) == 0 && S_ISDIR(st.st_mode)) {
                found = true;
                r = load_dir(l, CONFIG_DEFAULT_DIR);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        diag_add(l->d, CONFIG_DEFAULT_DIR, 0, "%s", strerror(-r));
        }
        if (!found && !have_entrypoint) {
                diag_add(l->d, NULL, 0, "no configuration: neither %s nor %s/ exists, and no -- COMMAND given",
                         CONFIG_DEFAULT_FILE, CONFIG_DEFAULT_DIR);
                return -ENOENT;
        }
        return 0;
}

/* `-- COMMAND ARGS`: the service "main", resolved only when it starts so
 * that a missing command ends corral with 127 as tini would. */
static int add_entrypoint(struct loader *l, char **argv) {
        size_t argc = 0, first;
        while (argv[argc])
                argc++;
        if (argc == 0 || argc > CORRAL_MAX_ARGV) {
                diag_add(l->d, NULL, 0, "-- COMMAND: expected 1 to %d arguments", CORRAL_MAX_ARGV);
                return 0;
        }
        if (cfg_index_get(&l->services, "main", &first) == 0) {
                const struct loc *f = &l->m.services[first].loc;
                diag_add(l->d, f->file, f->line,
                         "service \"main\": the name is taken by the -- COMMAND service; rename this one");
                return 0;
        }
        struct service *s = append_service(l);
        if (!s)
                return -ENOMEM;
        service_init_defaults(s);
        s->entrypoint = s->main = true;
        s->restart = RESTART_NEVER;
        s->output = OUTPUT_INHERIT;
        s->name = strdup("main");
        s->cgroup_path = strdup("main");
        s->argv = calloc(argc + 1, sizeof *s->argv);
        if (!s->name || !s->cgroup_path || !s->argv)
                return -ENOMEM;
        for (size_t i = 0; i < argc; i++)
                if (!(s->argv[i] = strdup(argv[i])))
                        return -ENOMEM;
        s->argc = argc;
        return cfg_index_put(&l->services, s->name, l->m.n_services - 1, NULL);
}

/* Names of `after` -> indices, through the index: O(edges). */
static int resolve_after(struct loader *l) {
        for (size_t i = 0; i < l->m.n_services; i++) {
                struct service *s = &l->m.services[i];
                if (s->n_after == 0)
                        continue;
                if (!(s->after_idx = calloc(s->n_after, sizeof *s->after_idx)))
                        return -ENOMEM;
                for (size_t k = 0; k < s->n_after; k++) {
                        size_t j;
                        if (cfg_index_get(&l->services, s->after[k], &j) == 0) {
                                s->after_idx[k] = j;
                                continue;
                        }
                        s->after_idx[k] = SIZE_MAX;
                        if (s->name)
                                diag_add(l->d, s->loc.file, s->after_line ?: s->loc.line,
                                         "service \"%s\": after: no service called %s", s->name,
                                         QUOTED(s->after[k]));
                }
        }
        return 0;
}

static int load_all(struct loader *l, const struct config_request *req) {
        int r = req->path ? load_path(l, req->path) : load_defaults(l, !!req->entrypoint_argv);
        if (r < 0)
                return r;
        if (req->entrypoint_argv && (r = add_entrypoint(l, req->entrypoint_argv)) < 0)
                return r;
        if (l->m.n_services == 0 && l->d->n == l->n0 && l->d->dropped == l->dropped0 && !l->d->oom) {
                diag_add(l->d, req->path, 0, "no service declared");
                return 0;
        }
        if ((r = resolve_after(l)) < 0)
                return r;
        _cleanup_free_ size_t *order = NULL;
        r = plan_start_order(&l->m, &order, l->d);
        return r == -EINVAL ? 0 : r;
}

int config_load(const struct config_request *req, struct model *ret, struct diags *d) {
        struct loader l = { .d = d, .n0 = d->n, .dropped0 = d->dropped };
        size_t max0 = d->max;
        /* A config can hold an error per value: keep the first ones only. */
        if (!d->max || d->max > d->n + CONFIG_MAX_ERRORS)
                d->max = d->n + CONFIG_MAX_ERRORS;
        settings_init_defaults(&l.m.settings);
        int r = load_all(&l, req);
        d->max = max0;
        if (req->stats)
                *req->stats = l.stats;
        if (r == 0 && (d->n > l.n0 || d->dropped > l.dropped0 || d->oom))
                r = -EINVAL;
        if (r < 0) {
                loader_free(&l);
                return r;
        }
        l.m.files = TAKE_PTR(l.files.v);
        l.m.n_files = l.files.n;
        l.files = (struct file_list){ 0 };
        *ret = l.m;
        l.m = (struct model){ 0 };
        loader_free(&l);
        return 0;
}
