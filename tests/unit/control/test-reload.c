/* The reload diff: added, removed, changed and unchanged services. */
#include "reload.h"
#include "tap.h"
#include "util.h"

static char **argv_of(const char *a, const char *b) {
        char **v = calloc(3, sizeof *v);
        v[0] = strdup(a);
        v[1] = b ? strdup(b) : NULL;
        return v;
}

static void add_service(struct model *m, const char *name, const char *arg, int line) {
        m->services = realloc(m->services, (m->n_services + 1) * sizeof *m->services);
        struct service *s = &m->services[m->n_services++];
        service_init_defaults(s);
        s->name = strdup(name);
        s->argv = argv_of("/bin/sleep", arg);
        s->argc = 2;
        s->cgroup_path = strdup(name);
        s->loc.line = line;
}

static void add_group(struct model *m, const char *path, const char *memory_max) {
        m->groups = realloc(m->groups, (m->n_groups + 1) * sizeof *m->groups);
        struct group_decl *g = &m->groups[m->n_groups++];
        *g = (struct group_decl){ .path = strdup(path) };
        g->limits.value[CG_MEMORY_MAX] = strdup(memory_max);
}

int main(void) {
        plan(12);
        struct model a = {0}, b = {0};
        add_service(&a, "db", "10", 1);
        add_service(&a, "web", "10", 2);
        add_service(&a, "old", "10", 3);
        add_service(&a, "pod-svc", "10", 4);
        free(a.services[3].cgroup_path);
        a.services[3].cgroup_path = strdup("pod/svc");
        add_group(&a, "pod", "100M");

        add_service(&b, "web", "20", 7);  /* argument changed */
        add_service(&b, "db", "10", 9);   /* moved in the file only */
        add_service(&b, "new", "10", 10);
        add_service(&b, "pod-svc", "10", 11);
        free(b.services[3].cgroup_path);
        b.services[3].cgroup_path = strdup("pod/svc");
        add_group(&b, "pod", "100M");

        struct reload_diff d;
        ok(reload_diff_build(&a, &b, &d) == 0, "diff built");
        is_int(d.new_change[0], RELOAD_CHANGED, "web: changed command means restart");
        is_int(d.new_change[1], RELOAD_UNCHANGED, "db: same settings on another line is unchanged");
        is_int(d.old_index[1], 0, "db maps to its old index");
        is_int(d.new_change[2], RELOAD_ADDED, "new: added");
        is_int(d.old_change[2], RELOAD_REMOVED, "old: removed");
        is_int(d.new_change[3], RELOAD_UNCHANGED, "service below an unchanged group is unchanged");
        ok(d.n_added == 1 && d.n_removed == 1 && d.n_changed == 1 && d.n_unchanged == 2, "counts");
        reload_diff_free(&d);

        free(b.groups[0].limits.value[CG_MEMORY_MAX]);
        b.groups[0].limits.value[CG_MEMORY_MAX] = strdup("200M");
        ok(reload_diff_build(&a, &b, &d) == 0, "diff built after a group change");
        is_int(d.new_change[3], RELOAD_CHANGED, "service below a changed group restarts");
        is_int(d.new_change[1], RELOAD_UNCHANGED, "service outside it does not");
        reload_diff_free(&d);

        b.services[1].stop_timeout_ms = 1;
        ok(!service_same(&a.services[0], &b.services[1]), "stop_timeout_ms is compared");
        model_free(&a);
        model_free(&b);
        return done_testing();
}
