/* Building and removing the planned tree.  Every access is relative to the
 * root's directory fd (or a node's fd below it), with names the planner
 * validated, so nothing can reach outside the root. */
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "cgroup-internal.h"

static void tree_free(struct cgroup_tree *t) {
        if (!t)
                return;
        for (size_t i = 0; t->fd && i < t->plan->n_nodes; i++)
                safe_close(t->fd[i]);
        safe_close(t->root_fd);
        safe_close(t->inotify_fd);
        free(t->fd);
        free(t->created);
        free(t->stale);
        free(t->cg_root);
        for (size_t i = 0; i < t->n_orphans; i++)
                free(t->orphans[i]);
        free(t->orphans);
        free(t->wd_orphan);
        free(t->wd_events);
        free(t->wd_memory);
        free(t->oom_base);
        free(t->oom_total);
        free(t->root_path);
        free(t);
}

static struct cgroup_tree *tree_new(const struct cgroup_plan *plan, const char *root) {
        struct cgroup_tree *t = calloc(1, sizeof *t);
        if (!t)
                return NULL;
        size_t n = plan->n_nodes, s = plan->n_services ? plan->n_services : 1;
        t->plan = plan;
        t->root_fd = t->inotify_fd = -1;
        t->open_node = SIZE_MAX;
        t->fd = malloc(n * sizeof *t->fd);
        t->created = calloc(n, sizeof *t->created);
        t->stale = calloc(n, sizeof *t->stale);
        t->wd_events = malloc(s * sizeof *t->wd_events);
        t->wd_memory = malloc(s * sizeof *t->wd_memory);
        t->oom_base = calloc(s, sizeof *t->oom_base);
        t->oom_total = calloc(s, sizeof *t->oom_total);
        t->root_path = strdup(root);
        if (!t->fd || !t->created || !t->stale || !t->wd_events || !t->wd_memory || !t->oom_base || !t->oom_total ||
            !t->root_path) {
                tree_free(t);
                return NULL;
        }
        for (size_t i = 0; i < n; i++)
                t->fd[i] = -1;
        for (size_t i = 0; i < s; i++)
                t->wd_events[i] = t->wd_memory[i] = -1;
        return t;
}

static int write_pid(int dirfd, const char *file, const char *pid) {
        return write_file_at(dirfd, file, pid);
}

/* One pass over the root's cgroup.procs: *ret_moved counts the processes
 * moved into init. */
static int migrate_pass(struct cgroup_tree *t, int init_fd, size_t *ret_moved) {
        _cleanup_free_ char *procs = NULL;
        int r = cgroup_read_members_at(t->root_fd, "cgroup.procs", &procs);
        if (r < 0)
                return r;
        size_t moved = 0;
        for (char *l = procs, *save = NULL; (l = strtok_r(l, "\n", &save)); l = NULL) {
                /* "0": a process outside corral's PID namespace, which it
                 * cannot name (writing 0 would move corral itself). */
                if (streq(l, "0"))
                        continue;
                r = write_pid(init_fd, "cgroup.procs", l);
                if (r >= 0)
                        moved++;
                else if (r == -ESRCH)
                        continue; /* exited meanwhile */
                else if (!(t->hierarchy_root && r == -EINVAL))
                        return r; /* EINVAL at the top: a kernel thread, which stays */
        }
        *ret_moved = moved;
        return 0;
}

/* Move every process of the root into init, corral included, before any
 * controller is enabled (no-internal-process rule).  Processes may fork
 * meanwhile, so repeat until a pass finds nothing left to move. */
static int migrate_to_init(struct cgroup_tree *t, int init_fd) {
        for (int pass = 0; pass < 1000; pass++) {
                size_t moved = 0;
                int r = migrate_pass(t, init_fd, &moved);
                if (r < 0)
                        return r;
                if (moved > 0)
                        continue;
                if (t->hierarchy_root || !t->plan->nodes[0].subtree_control)
                        return 0;
                /* What is left cannot be moved by corral, and enabling a
                 * controller in the root would fail: say so now. */
                _cleanup_free_ char *left = NULL;
                r = cgroup_read_members_at(t->root_fd, "cgroup.procs", &left);
                return r < 0 ? r : *left ? -EBUSY : 0;
        }
        return -EBUSY;
}

static int subtree_string(uint32_t mask, char *buf, size_t size) {
        size_t len = 0;
        buf[0] = '\0';
        for (int c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (mask & CGROUP_MASK(c)) {
                        int n = snprintf(buf + len, size - len, "%s+%s", len ? " " : "",
                                         cgroup_controller_to_string(c));
                        if (n < 0 || (size_t)n >= size - len)
                                return -ENOBUFS;
                        len += (size_t)n;
                }
        return 0;
}

static int fail(struct diags *d, const struct cgroup_tree *t, size_t i, const char *step, int r) {
        const char *path = t->plan->nodes[i].path;
        diag_add(d, NULL, 0, "cgroup %s%s%s: %s: %s", t->root_path, *path ? "/" : "", path, step, strerror(-r));
        return r;
}

int cgroup_node_make(struct cgroup_tree *t, size_t i, struct diags *d) {
        const struct cgroup_node *n = &t->plan->nodes[i];
        int r;
        if (i == 0) {
                t->fd[i] = fcntl(t->root_fd, F_DUPFD_CLOEXEC, 3);
        } else if (t->fd[i] < 0) {
                if (mkdirat(t->root_fd, n->path, 0755) == 0)
                        t->created[i] = true;
                else if (errno != EEXIST)
                        return fail(d, t, i, "mkdir", -errno);
                t->fd[i] = openat(t->root_fd, n->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        }
        if (t->fd[i] < 0)
                return fail(d, t, i, "open", -errno);
        /* Before anything populates it or enables controllers below it. */
        if (n->threaded && (r = write_file_at(t->fd[i], "cgroup.type", "threaded")) < 0)
                return fail(d, t, i, "write cgroup.type threaded", r);
        char ctl[128];
        if (n->subtree_control && (r = subtree_string(n->subtree_control, ctl, sizeof ctl)) >= 0 &&
            (r = write_file_at(t->fd[i], "cgroup.subtree_control", ctl)) < 0) {
                char step[192];
                snprintf(step, sizeof step, "write cgroup.subtree_control \"%s\"", ctl);
                return fail(d, t, i, step, r);
        }
        for (int k = 0; k < _CG_KEY_MAX; k++) {
                if (!n->limits[k] || (r = write_file_at(t->fd[i], cg_keys[k].file, n->limits[k])) >= 0)
                        continue;
                char step[192];
                snprintf(step, sizeof step, "write %s \"%s\"", cg_keys[k].file, n->limits[k]);
                return fail(d, t, i, step, r);
        }
        return 0;
}

/* The root as /proc/PID/cgroup names it, from corral's own line once it
 * sits in init: "/a/b/init" gives "/a/b" ("" at the top of a cgroup
 * namespace).  NULL when that cannot be read. */
static char *own_root_path(void) {
        _cleanup_free_ char *text = NULL, *self = NULL;
        if (read_file_at(AT_FDCWD, "/proc/self/cgroup", 64 * 1024, &text, NULL) < 0 ||
            cgroup_parse_proc_cgroup(text, &self) < 0)
                return NULL;
        size_t n = strlen(self), k = strlen("/" CGROUP_INIT_NAME);
        if (n < k || !streq(self + n - k, "/" CGROUP_INIT_NAME))
                return NULL;
        self[n - k] = '\0';
        return TAKE_PTR(self);
}

static size_t init_node(const struct cgroup_plan *p) {
        for (size_t i = 0; i < p->n_nodes; i++)
                if (p->nodes[i].kind == CGROUP_NODE_INIT)
                        return i;
        return SIZE_MAX;
}

static int build(struct cgroup_tree *t, struct diags *d) {
        size_t init = init_node(t->plan);
        if (init == SIZE_MAX)
                return -EINVAL;
        /* init first, without touching the root's subtree_control. */
        int r = cgroup_node_make(t, init, d);
        if (r < 0)
                return r;
        /* corral lives in init even when the root it was given is not the
         * cgroup it started in (--cgroup-root). */
        char self[32];
        snprintf(self, sizeof self, "%d", (int)getpid());
        if ((r = write_file_at(t->fd[init], "cgroup.procs", self)) < 0)
                return fail(d, t, init, "move corral into init", r);
        if ((r = migrate_to_init(t, t->fd[init])) < 0)
                return fail(d, t, init,
                            r == -EBUSY ? "move the root's processes into init (some are outside corral's PID "
                                          "namespace and stay in the root)"
                                        : "move the root's processes into init",
                            r);
        t->has_kill = faccessat(t->fd[init], "cgroup.kill", F_OK, 0) == 0;
        t->cg_root = own_root_path();
        for (size_t i = 0; i < t->plan->n_nodes; i++)
                if (i != init && (r = cgroup_node_make(t, i, d)) < 0)
                        return r;
        t->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (t->inotify_fd < 0)
                return fail(d, t, 0, "inotify_init1", -errno);
        for (size_t s = 0; s < t->plan->n_services; s++)
                if ((r = cgroup_watch_service(t, s)) < 0)
                        return fail(d, t, t->plan->service_node[s], "inotify_add_watch", r);
        cgroup_park_nodes(t, init);
        return 0;
}

/* A leaf removed after a stop or a kill is made again, with its limits,
 * when the service starts next. */
int cgroup_service_fd(struct cgroup_tree *t, size_t service) {
        size_t i = cgroup_leaf(t, service);
        if (i == SIZE_MAX)
                return -EINVAL;
        int r = cgroup_leaf_prepare(t, i);
        if (r < 0)
                return r;
        int fd = cgroup_node_fd(t, i);
        if (fd != -ENOENT)
                return fd;
        /* Removed (or gone): make it again, with its limits. */
        t->fd[i] = -1;
        struct diags d = {0};
        r = cgroup_node_make(t, i, &d);
        diags_free(&d);
        if (r >= 0) {
                cgroup_node_hold(t, i);
                r = cgroup_watch_service(t, service);
        }
        if (r < 0) {
                t->fd[i] = safe_close(t->fd[i]);
                if (t->open_node == i)
                        t->open_node = SIZE_MAX;
                return r;
        }
        return t->fd[i];
}

/* Remove what the tree made, deepest first; init stays (corral lives in it). */
static int remove_made(struct cgroup_tree *t) {
        int first = 0;
        for (size_t i = t->plan->n_nodes; i-- > 1;) {
                t->fd[i] = safe_close(t->fd[i]);
                if (!t->created[i] || t->plan->nodes[i].kind == CGROUP_NODE_INIT)
                        continue;
                if (unlinkat(t->root_fd, t->plan->nodes[i].path, AT_REMOVEDIR) < 0 && errno != ENOENT && !first)
                        first = -errno;
                t->created[i] = false;
        }
        cgroup_orphans_retry(t);
        if (t->n_orphans > 0 && !first)
                first = -EBUSY;
        return first;
}

int cgroup_tree_apply(const struct cgroup_plan *plan, const struct cgroup_probe *probe,
                      struct cgroup_tree **ret, struct diags *d) {
        if (probe->problem)
                return -EOPNOTSUPP;
        struct cgroup_tree *t = tree_new(plan, probe->root);
        if (!t)
                return -ENOMEM;
        t->hierarchy_root = probe->hierarchy_root;
        t->root_fd = open(probe->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r = t->root_fd < 0 ? fail(d, t, 0, "open", -errno) : build(t, d);
        if (r < 0) {
                remove_made(t);
                tree_free(t);
                return r;
        }
        *ret = t;
        return 0;
}

int cgroup_tree_destroy(struct cgroup_tree *t) {
        if (!t)
                return 0;
        int r = remove_made(t);
        tree_free(t);
        return r;
}
