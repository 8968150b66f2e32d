/* Reload: the tree of a new plan built where the old one stands, so that
 * services that keep running keep their leaves. */
#include <fcntl.h>

#include "cgroup-internal.h"

static ssize_t node_by_path(const struct cgroup_plan *p, const char *path) {
        for (size_t i = 0; i < p->n_nodes; i++)
                if (streq(p->nodes[i].path, path))
                        return (ssize_t)i;
        return -1;
}

/* What a cgroup file holds when nothing was written to it: a limit the new
 * plan no longer sets goes back to this (cgroup-v2.rst defaults). */
static const char *const key_default[_CG_KEY_MAX] = {
        [CG_MEMORY_MAX] = "max", [CG_MEMORY_HIGH] = "max", [CG_MEMORY_LOW] = "0",
        [CG_MEMORY_SWAP_MAX] = "max", [CG_CPU_MAX] = "max", [CG_CPU_WEIGHT] = "100",
        [CG_CPUSET_CPUS] = "\n", [CG_PIDS_MAX] = "max", [CG_IO_WEIGHT] = "100",
};

/* Limits of node i of the old plan that node k of the new one dropped. */
static void reset_dropped(const struct cgroup_tree *o, size_t i, struct cgroup_tree *t, size_t k) {
        for (int key = 0; key < _CG_KEY_MAX; key++) {
                int fd;
                if (o->plan->nodes[i].limits[key] && !t->plan->nodes[k].limits[key] && (fd = cgroup_node_fd(t, k)) >= 0)
                        (void)write_file_at(fd, cg_keys[key].file, key_default[key]);
        }
}

/* A leaf still emptying after a kill stays stale in the new tree: removed
 * once empty, never given to a start as it is. */
static void carry_stale(const struct cgroup_tree *o, size_t i, struct cgroup_tree *t, size_t k) {
        ssize_t s = t->plan->nodes[k].service;
        if (!o->stale[i] || s < 0)
                return;
        t->stale[k] = true;
        if (cgroup_watch_populated(t, (size_t)s) < 0 || cgroup_service_populated(t, (size_t)s) == 0)
                (void)cgroup_leaf_retire(t, k);
}

/* Controllers the new plan no longer enables, deepest first (a parent can
 * only drop what no child enables).  Best effort: a busy cgroup keeps them. */
static void disable_dropped(const struct cgroup_plan *old, struct cgroup_tree *t) {
        for (size_t k = t->plan->n_nodes; k-- > 0;) {
                ssize_t i = node_by_path(old, t->plan->nodes[k].path);
                uint32_t drop = i < 0 ? 0 : old->nodes[i].subtree_control & ~t->plan->nodes[k].subtree_control;
                char buf[128] = "";
                int fd = drop ? cgroup_node_fd(t, k) : -1;
                for (int c = 0; c < _CGROUP_CONTROLLER_MAX && fd >= 0; c++)
                        if (drop & CGROUP_MASK(c))
                                snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s-%s", *buf ? " " : "",
                                         cgroup_controller_to_string(c));
                if (*buf)
                        (void)write_file_at(fd, "cgroup.subtree_control", buf);
        }
}

/* Cgroups corral made that only the old plan has, deepest first.  One
 * whose last processes are still exiting (rmdir: EBUSY), and the cgroups
 * above it, become orphans of the new tree: removed once empty.  Orphans
 * of the old tree go over too. */
static void remove_dropped(struct cgroup_tree *o, struct cgroup_tree *t) {
        for (size_t i = o->plan->n_nodes; i-- > 1;) {
                const char *path = o->plan->nodes[i].path;
                if (!o->created[i] || o->plan->nodes[i].kind == CGROUP_NODE_INIT || node_by_path(t->plan, path) >= 0)
                        continue;
                if (o->fd[i] >= 0)
                        o->fd[i] = safe_close(o->fd[i]);
                if (unlinkat(o->root_fd, path, AT_REMOVEDIR) < 0 && errno == EBUSY)
                        (void)cgroup_orphan_add(t, path);
                o->created[i] = false;
        }
        for (size_t i = 0; i < o->n_orphans; i++)
                if (node_by_path(t->plan, o->orphans[i]) < 0)
                        (void)cgroup_orphan_add(t, o->orphans[i]);
        cgroup_orphans_retry(t);
}

int cgroup_ctl_adopt(struct cgroup_ctl *nc, struct cgroup_ctl *old, struct diags *d) {
        if (!old->tree)
                return cgroup_ctl_apply(nc, d);
        if (!nc->plan)
                return -EOPNOTSUPP; /* services still live in the old leaves */
        int r = cgroup_tree_apply(nc->plan, &nc->probe, &nc->tree, d);
        if (r < 0)
                return r;
        /* What corral made stays corral's to remove at the end; what only
         * the old plan had is removed now (its services are down). */
        struct cgroup_tree *o = old->tree;
        for (size_t i = 0; i < o->plan->n_nodes; i++) {
                ssize_t k = node_by_path(nc->plan, o->plan->nodes[i].path);
                if (k < 0)
                        continue;
                reset_dropped(o, i, nc->tree, (size_t)k);
                carry_stale(o, i, nc->tree, (size_t)k);
                if (!o->created[i])
                        continue;
                nc->tree->created[k] = true;
                o->created[i] = false;
        }
        remove_dropped(o, nc->tree);
        const struct cgroup_plan *old_plan = o->plan;
        (void)cgroup_tree_destroy(o);
        old->tree = NULL;
        disable_dropped(old_plan, nc->tree);
        return 0;
}
