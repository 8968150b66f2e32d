#include <signal.h>

#include "host.h"
#include "log.h"
#include "ns.h"

int host_load(struct host *h, const struct model *m, const char *cgroup_root, const char *run_dir,
              struct diags *d, struct diags *warn) {
        *h = (struct host){ .m = m, .run_dir = run_dir };
        int r = cgroup_ctl_load(&h->cg, m, cgroup_root, d, warn);
        /* Namespaces are checked too, so that every error is reported at once. */
        int k = ns_ctl_new(m, run_dir, -1, &h->ns, d);
        return r < 0 ? r : k;
}

void host_print(const struct host *h, FILE *out) {
        cgroup_ctl_print(&h->cg, out);
        if (h->ns)
                ns_ctl_print(h->ns, out);
}

int host_apply(struct host *h, struct diags *d) {
        int r = cgroup_ctl_apply(&h->cg, d);
        if (r < 0)
                return r;
        return h->ns ? ns_ctl_start(h->ns, d) : 0;
}

static size_t index_of(const struct host *h, const struct service *s) {
        return (size_t)(s - h->m->services);
}

static int prepare_spawn(void *ud, const struct service *s, struct spawn_plan *p) {
        struct host *h = ud;
        p->cgroup_fd = cgroup_ctl_service_fd(&h->cg, index_of(h, s));
        /* A service never runs outside its leaf. */
        if (p->cgroup_fd < 0 && h->cg.tree)
                return p->cgroup_fd;
        p->ns = h->ns ? ns_ctl_plan(h->ns, s->name) : NULL;
        return 0;
}

static int kill_all(void *ud, const struct service *s, int sig) {
        struct host *h = ud;
        if (!h->cg.tree || sig != SIGKILL)
                return -EOPNOTSUPP;
        int r = cgroup_service_kill(h->cg.tree, index_of(h, s));
        return r < 0 ? r : 0;
}

/* What the service left in its leaf when its main process ended. */
static void after_exit(void *ud, const struct service *s) {
        struct host *h = ud;
        if (h->cg.tree)
                (void)cgroup_service_kill(h->cg.tree, index_of(h, s));
}

static void on_cgroup_event(void *ud, const struct cgroup_event *ev) {
        struct host *h = ud;
        if (ev->kind != CGROUP_EVENT_OOM)
                return;
        if (ev->delta == 1)
                log_warn("service \"%s\": OOM killer killed a process (%llu total)", h->m->services[ev->service].name,
                         (unsigned long long)ev->count);
        else
                log_warn("service \"%s\": OOM killer killed %llu processes (%llu total)",
                         h->m->services[ev->service].name, (unsigned long long)ev->delta,
                         (unsigned long long)ev->count);
}

static void on_event(void *ud) {
        struct host *h = ud;
        if (h->cg.tree)
                (void)cgroup_tree_dispatch(h->cg.tree, on_cgroup_event, h);
}

struct sup_hooks host_hooks(struct host *h) {
        return (struct sup_hooks){
                .prepare_spawn = prepare_spawn,
                .kill_all = kill_all,
                .after_exit = after_exit,
                .event_fd = h->cg.tree ? cgroup_tree_event_fd(h->cg.tree) : -1,
                .on_event = on_event,
                .ud = h,
        };
}

void host_done(struct host *h, int timeout_ms) {
        int r = cgroup_ctl_done(&h->cg, timeout_ms);
        if (r < 0)
                log_warn("removing cgroups: %s", strerror(-r));
        ns_ctl_free(h->ns);
        h->ns = NULL;
}
