/* Reload: the tree of a new plan built where the old one stands, so that
 * services that keep running keep their leaves. */
#include "cgroup-internal.h"

static ssize_t node_by_path(const struct cgroup_plan *p, const char *path) {
        for (size_t i = 0; i < p->n_nodes; i++)
                if (streq(p->nodes[i].path, path))
                        return (ssize_t)i;
        return -1;
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
         * the old plan had is removed now (its services are down; a leaf
         * still populated stays until exit). */
        struct cgroup_tree *o = old->tree;
        for (size_t i = 0; i < o->plan->n_nodes; i++) {
                ssize_t k = o->created[i] ? node_by_path(nc->plan, o->plan->nodes[i].path) : -1;
                if (k < 0)
                        continue;
                nc->tree->created[k] = true;
                o->created[i] = false;
        }
        (void)cgroup_tree_destroy(o);
        old->tree = NULL;
        return 0;
}
