#include <signal.h>

#include "host.h"
#include "log.h"
#include "ns.h"

int host_load(struct host *h, const struct model *m, const char *cgroup_root, const char *run_dir,
              struct diags *d, struct diags *warn) {
        *h = (struct host){ .m = m, .run_dir = run_dir, .cgroup_root = cgroup_root };
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

/* SPEC 3: on stop, a service's cgroup is emptied and removed (a leaf still
 * emptying stays until exit; the next start makes it again). */
static void stopped(void *ud, const struct service *s) {
        struct host *h = ud;
        if (h->cg.tree)
                (void)cgroup_service_remove(h->cg.tree, index_of(h, s));
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

static int cgroup_fd(void *ud, const struct service *s) {
        struct host *h = ud;
        return cgroup_ctl_service_fd(&h->cg, index_of(h, s));
}

static int stats(void *ud, const struct service *s, struct cgroup_stats *ret) {
        struct host *h = ud;
        return cgroup_ctl_stats(&h->cg, index_of(h, s), ret);
}

/* The root a reload plans against: the one in use when corral made a tree
 * (corral now lives in its `init`, so its own cgroup is no longer the
 * root); else what the start was given, so that the same rules decide
 * (corral's own cgroup is never taken over unless it was delegated). */
static const char *reload_root(const struct host *h) {
        return h->cg.tree && h->cg.probe.root ? h->cg.probe.root : h->cgroup_root;
}

/* Pods are set up once: a reload keeps them, so their declarations must
 * stay as they are. */
static int check_pods(const struct model *a, const struct model *b, struct diags *d) {
        size_t na = 0, nb = 0;
        for (size_t i = 0; i < a->n_groups; i++)
                na += ns_decl_any(&a->groups[i].ns);
        for (size_t k = 0; k < b->n_groups; k++) {
                const struct group_decl *g = &b->groups[k];
                if (!ns_decl_any(&g->ns))
                        continue;
                nb++;
                const struct group_decl *o = NULL;
                for (size_t i = 0; i < a->n_groups && !o; i++)
                        if (streq(a->groups[i].path, g->path))
                                o = &a->groups[i];
                bool same = o && o->ns.net == g->ns.net && o->ns.ipc == g->ns.ipc && o->ns.uts == g->ns.uts &&
                            streq(o->ns.hostname ? o->ns.hostname : "", g->ns.hostname ? g->ns.hostname : "");
                if (!same) {
                        diag_add(d, g->loc.file, g->loc.line,
                                 "group \"%s\": namespaces: a reload cannot change a pod's namespaces", g->path);
                        return -EINVAL;
                }
        }
        if (na != nb) {
                diag_add(d, NULL, 0, "groups: a reload cannot add or remove a pod's namespaces");
                return -EINVAL;
        }
        return 0;
}

static void reload_abort(void *ud) {
        struct host *h = ud;
        if (!h->next)
                return;
        host_done(h->next, 0);
        free(h->next);
        h->next = NULL;
}

/* The plans of a reload, made and checked once, against the filesystem as
 * it is when the reload is accepted: the swap applies these. */
static int reload_prepare(void *ud, const struct model *m, struct diags *d) {
        struct host *h = ud;
        struct host *t = calloc(1, sizeof *t);
        struct diags warn = {0};
        if (!t)
                return -ENOMEM;
        reload_abort(h);
        int r = host_load(t, m, reload_root(h), h->run_dir, d, &warn);
        for (size_t i = 0; i < warn.n; i++)
                log_warn("reload: %s", warn.v[i].msg);
        diags_free(&warn);
        if (r >= 0 && h->cg.tree && !t->cg.plan) {
                diag_add(d, NULL, 0, "a reload cannot leave the cgroups corral made");
                r = -EINVAL;
        }
        if (r >= 0)
                r = check_pods(h->m, m, d);
        if (r < 0) {
                host_done(t, 0);
                free(t);
                return r;
        }
        h->next = t;
        return 0;
}

/* Apply the prepared plans: the cgroup tree is built where the old one
 * stands, taking it over, and the pods move over as they are.  On failure
 * the old tree and pods stay in force, untouched. */
static int reload_commit(void *ud, int *ret_event_fd) {
        struct host *h = ud;
        struct host *t = h->next;
        struct diags d = {0};
        if (!t)
                return -EINVAL;
        int r = cgroup_ctl_adopt(&t->cg, &h->cg, &d);
        for (size_t i = 0; i < d.n; i++)
                log_error("reload: %s", d.v[i].msg);
        diags_free(&d);
        if (r < 0) {
                reload_abort(h);
                return r;
        }
        if (t->ns && h->ns)
                ns_ctl_take_pods(t->ns, h->ns);
        struct host old = *h;
        *h = *t;
        h->next = NULL;
        free(t);
        old.next = NULL;
        host_done(&old, 0);
        *ret_event_fd = h->cg.tree ? cgroup_tree_event_fd(h->cg.tree) : -1;
        return 0;
}

struct sup_hooks host_hooks(struct host *h) {
        return (struct sup_hooks){
                .prepare_spawn = prepare_spawn,
                .kill_all = kill_all,
                .after_exit = after_exit,
                .stopped = stopped,
                .cgroup_fd = cgroup_fd,
                .stats = stats,
                .reload_prepare = reload_prepare,
                .reload_commit = reload_commit,
                .reload_abort = reload_abort,
                .event_fd = h->cg.tree ? cgroup_tree_event_fd(h->cg.tree) : -1,
                .on_event = on_event,
                .ud = h,
        };
}

void host_done(struct host *h, int timeout_ms) {
        if (h->next) {
                host_done(h->next, 0);
                free(h->next);
                h->next = NULL;
        }
        int r = cgroup_ctl_done(&h->cg, timeout_ms);
        if (r < 0)
                log_warn("removing cgroups: %s", strerror(-r));
        ns_ctl_free(h->ns);
        h->ns = NULL;
}
