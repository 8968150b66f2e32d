/* The cgroup module's life inside corral: probe and plan at load, apply
 * before the services start, remove at exit. */
#include <poll.h>

#include "cgroup-internal.h"

int cgroup_ctl_load(struct cgroup_ctl *c, const struct model *m, const char *root_override,
                    struct diags *d, struct diags *warn) {
        *c = (struct cgroup_ctl){ .m = m };
        int r = cgroup_probe(root_override, &c->probe);
        if (r < 0)
                return r;
        return cgroup_plan_load(m, &c->probe, &c->plan, d, warn);
}

void cgroup_ctl_print(const struct cgroup_ctl *c, FILE *out) {
        cgroup_probe_print(&c->probe, out);
        if (!c->plan) {
                fputs("cgroup tree: none (corral runs without cgroups)\n", out);
                return;
        }
        fprintf(out, "cgroup tree under %s:\n", c->probe.root);
        cgroup_plan_print(c->plan, out);
}

int cgroup_ctl_apply(struct cgroup_ctl *c, struct diags *d) {
        if (!c->plan || c->tree)
                return 0;
        return cgroup_tree_apply(c->plan, &c->probe, &c->tree, d);
}

int cgroup_ctl_service_fd(struct cgroup_ctl *c, size_t service) {
        if (!c->tree)
                return -1;
        return cgroup_service_fd(c->tree, service);
}

const char *cgroup_ctl_service_path(const struct cgroup_ctl *c, size_t service) {
        return c->tree ? cgroup_service_path(c->tree, service) : NULL;
}

int cgroup_ctl_stats(struct cgroup_ctl *c, size_t service, struct cgroup_stats *ret) {
        return c->tree ? cgroup_service_stats(c->tree, service, ret) : -ENODATA;
}

static void ignore_event(void *userdata, const struct cgroup_event *ev) {
        (void)userdata;
        (void)ev;
}

static bool any_populated(struct cgroup_tree *t) {
        for (size_t s = 0; s < t->plan->n_services; s++)
                if (cgroup_service_populated(t, s) > 0)
                        return true;
        return false;
}

int cgroup_ctl_done(struct cgroup_ctl *c, int timeout_ms) {
        int r = 0;
        if (c->tree) {
                for (size_t s = 0; s < c->plan->n_services; s++)
                        (void)cgroup_service_kill(c->tree, s);
                /* Killed processes leave their cgroup as they exit: wait for
                 * cgroup.events to say so, with a deadline. */
                uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
                for (uint64_t now = now_ms(); any_populated(c->tree) && now < deadline; now = now_ms()) {
                        struct pollfd p = { .fd = cgroup_tree_event_fd(c->tree), .events = POLLIN };
                        (void)poll(&p, 1, (int)(deadline - now));
                        (void)cgroup_tree_dispatch(c->tree, ignore_event, NULL);
                }
                r = cgroup_tree_destroy(c->tree);
        }
        cgroup_plan_free(c->plan);
        cgroup_probe_done(&c->probe);
        *c = (struct cgroup_ctl){0};
        return r;
}
