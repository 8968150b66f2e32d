/* The reload diff: which services a new config adds, removes or changes. */
#include "reload.h"
#include "util.h"

const char *reload_change_to_string(enum reload_change c) {
        static const char *const t[] = { "unchanged", "changed", "added", "removed" };
        return (size_t)c < ARRAY_SIZE(t) ? t[c] : "?";
}

static bool str_same(const char *a, const char *b) {
        return a == b || (a && b && streq(a, b));
}

static bool strv_same(char *const *a, char *const *b) {
        if (!a || !b)
                return a == b;
        for (; *a && *b; a++, b++)
                if (!streq(*a, *b))
                        return false;
        return !*a && !*b;
}

static bool limits_same(const struct cg_limits *a, const struct cg_limits *b) {
        for (int i = 0; i < _CG_KEY_MAX; i++)
                if (!str_same(a->value[i], b->value[i]))
                        return false;
        return true;
}

static bool ns_same(const struct ns_decl *a, const struct ns_decl *b) {
        return a->pid == b->pid && a->mount == b->mount && a->net == b->net && a->uts == b->uts &&
               a->ipc == b->ipc && a->cgroup == b->cgroup && a->user == b->user &&
               str_same(a->hostname, b->hostname) && str_same(a->uid_map, b->uid_map) &&
               str_same(a->gid_map, b->gid_map);
}

static bool probe_same(const struct probe *a, const struct probe *b) {
        return a->kind == b->kind && str_same(a->tcp, b->tcp) && strv_same(a->exec_argv, b->exec_argv) &&
               str_same(a->file, b->file) && a->interval_ms == b->interval_ms &&
               a->timeout_ms == b->timeout_ms && a->failures == b->failures;
}

static bool root_same(const struct root_decl *a, const struct root_decl *b) {
        return a->kind == b->kind && str_same(a->path, b->path) && a->readonly == b->readonly &&
               strv_same(a->lower, b->lower) && str_same(a->upper, b->upper) && str_same(a->work, b->work);
}

static bool env_same(const struct service *a, const struct service *b) {
        if (a->n_env != b->n_env || a->clean_env != b->clean_env || !str_same(a->env_file, b->env_file))
                return false;
        for (size_t i = 0; i < a->n_env; i++)
                if (!streq(a->env[i].key, b->env[i].key) || !streq(a->env[i].value, b->env[i].value))
                        return false;
        return true;
}

static bool binds_rlimits_same(const struct service *a, const struct service *b) {
        if (a->n_binds != b->n_binds || a->n_rlimits != b->n_rlimits)
                return false;
        for (size_t i = 0; i < a->n_binds; i++)
                if (!streq(a->binds[i].source, b->binds[i].source) ||
                    !streq(a->binds[i].target, b->binds[i].target) || a->binds[i].readonly != b->binds[i].readonly)
                        return false;
        for (size_t i = 0; i < a->n_rlimits; i++)
                if (a->rlimits[i].resource != b->rlimits[i].resource || a->rlimits[i].soft != b->rlimits[i].soft ||
                    a->rlimits[i].hard != b->rlimits[i].hard)
                        return false;
        return true;
}

static bool lifecycle_same(const struct service *a, const struct service *b) {
        return a->type == b->type && a->restart == b->restart && a->restart_delay_ms == b->restart_delay_ms &&
               a->restart_delay_max_ms == b->restart_delay_max_ms && a->restart_reset_ms == b->restart_reset_ms &&
               a->start_limit_burst == b->start_limit_burst &&
               a->start_limit_interval_ms == b->start_limit_interval_ms && a->watchdog_ms == b->watchdog_ms &&
               a->main == b->main && a->stop_signal == b->stop_signal && a->stop_timeout_ms == b->stop_timeout_ms &&
               strv_same(a->after, b->after) && probe_same(&a->ready, &b->ready) &&
               probe_same(&a->health, &b->health);
}

static bool process_same(const struct service *a, const struct service *b) {
        return strv_same(a->argv, b->argv) && a->command_in_root == b->command_in_root &&
               a->entrypoint == b->entrypoint && a->has_user == b->has_user && a->has_group == b->has_group &&
               a->uid == b->uid && a->gid == b->gid && str_same(a->user_name, b->user_name) &&
               str_same(a->workdir, b->workdir) && a->output == b->output &&
               str_same(a->output_file, b->output_file) && a->no_new_privs == b->no_new_privs &&
               a->has_caps == b->has_caps && a->caps == b->caps;
}

bool service_same(const struct service *a, const struct service *b) {
        return streq(a->name, b->name) && lifecycle_same(a, b) && process_same(a, b) && env_same(a, b) &&
               binds_rlimits_same(a, b) && str_same(a->cgroup_path, b->cgroup_path) &&
               limits_same(&a->limits, &b->limits) && ns_same(&a->ns, &b->ns) && root_same(&a->root, &b->root);
}

static bool group_same(const struct group_decl *a, const struct group_decl *b) {
        return streq(a->path, b->path) && a->threaded == b->threaded && limits_same(&a->limits, &b->limits) &&
               ns_same(&a->ns, &b->ns);
}

static bool path_below(const char *path, const char *group) {
        size_t n = strlen(group);
        return strncmp(path, group, n) == 0 && path[n] == '/';
}

/* Whether the group at path is declared alike in both models (absent from
 * both counts as alike). */
static bool group_unchanged(const struct model *old, const struct model *new, const char *path) {
        const struct group_decl *a = NULL, *b = NULL;
        for (size_t i = 0; i < old->n_groups && !a; i++)
                if (streq(old->groups[i].path, path))
                        a = &old->groups[i];
        for (size_t i = 0; i < new->n_groups && !b; i++)
                if (streq(new->groups[i].path, path))
                        b = &new->groups[i];
        return a && b ? group_same(a, b) : a == b;
}

/* A service below a group whose limits or namespaces changed restarts too:
 * it shares what the group declares. */
static void mark_group_changes(const struct model *old, const struct model *new, struct reload_diff *d) {
        for (int pass = 0; pass < 2; pass++) {
                const struct model *m = pass ? new : old;
                for (size_t g = 0; g < m->n_groups; g++) {
                        const char *path = m->groups[g].path;
                        if (group_unchanged(old, new, path))
                                continue;
                        for (size_t i = 0; i < new->n_services; i++) {
                                if (d->new_change[i] != RELOAD_UNCHANGED ||
                                    !path_below(new->services[i].cgroup_path, path))
                                        continue;
                                d->new_change[i] = RELOAD_CHANGED;
                                d->old_change[d->old_index[i]] = RELOAD_CHANGED;
                                d->n_unchanged--;
                                d->n_changed++;
                        }
                }
        }
}

struct name_ref {
        const char *name;
        size_t index;
};

static int name_ref_cmp(const void *a, const void *b) {
        return strcmp(((const struct name_ref *)a)->name, ((const struct name_ref *)b)->name);
}

int reload_diff_build(const struct model *old, const struct model *new, struct reload_diff *ret) {
        struct reload_diff d = {
                .new_change = calloc(new->n_services + 1, sizeof *d.new_change),
                .old_index = calloc(new->n_services + 1, sizeof *d.old_index),
                .old_change = calloc(old->n_services + 1, sizeof *d.old_change),
        };
        _cleanup_free_ struct name_ref *idx = calloc(old->n_services + 1, sizeof *idx);
        if (!d.new_change || !d.old_index || !d.old_change || !idx) {
                reload_diff_free(&d);
                return -ENOMEM;
        }
        for (size_t i = 0; i < old->n_services; i++) {
                idx[i] = (struct name_ref){ old->services[i].name, i };
                d.old_change[i] = RELOAD_REMOVED;
        }
        qsort(idx, old->n_services, sizeof *idx, name_ref_cmp);
        for (size_t i = 0; i < new->n_services; i++) {
                struct name_ref key = { new->services[i].name, 0 };
                struct name_ref *hit = bsearch(&key, idx, old->n_services, sizeof *idx, name_ref_cmp);
                if (!hit) {
                        d.new_change[i] = RELOAD_ADDED;
                        d.old_index[i] = -1;
                        d.n_added++;
                        continue;
                }
                bool same = service_same(&old->services[hit->index], &new->services[i]);
                d.new_change[i] = same ? RELOAD_UNCHANGED : RELOAD_CHANGED;
                d.old_index[i] = (ssize_t)hit->index;
                d.old_change[hit->index] = d.new_change[i];
                if (same)
                        d.n_unchanged++;
                else
                        d.n_changed++;
        }
        for (size_t i = 0; i < old->n_services; i++)
                if (d.old_change[i] == RELOAD_REMOVED)
                        d.n_removed++;
        mark_group_changes(old, new, &d);
        *ret = d;
        return 0;
}

void reload_diff_free(struct reload_diff *d) {
        free(d->new_change);
        free(d->old_index);
        free(d->old_change);
        *d = (struct reload_diff){0};
}
