#include <signal.h>

#include "model.h"
#include "util.h"

const struct cg_key_info cg_keys[_CG_KEY_MAX] = {
        [CG_MEMORY_MAX] = { "memory_max", "memory.max", "memory", false },
        [CG_MEMORY_HIGH] = { "memory_high", "memory.high", "memory", false },
        [CG_MEMORY_LOW] = { "memory_low", "memory.low", "memory", false },
        [CG_MEMORY_SWAP_MAX] = { "memory_swap_max", "memory.swap.max", "memory", false },
        [CG_CPU_MAX] = { "cpu_max", "cpu.max", "cpu", true },
        [CG_CPU_WEIGHT] = { "cpu_weight", "cpu.weight", "cpu", true },
        [CG_CPUSET_CPUS] = { "cpuset_cpus", "cpuset.cpus", "cpuset", true },
        [CG_PIDS_MAX] = { "pids_max", "pids.max", "pids", true },
        [CG_IO_WEIGHT] = { "io_weight", "io.weight", "io", false },
};

int cg_key_from_name(const char *key) {
        for (int i = 0; i < _CG_KEY_MAX; i++)
                if (streq(cg_keys[i].key, key))
                        return i;
        return -1;
}

bool cg_limits_any(const struct cg_limits *l) {
        for (int i = 0; i < _CG_KEY_MAX; i++)
                if (l->value[i])
                        return true;
        return false;
}

bool ns_decl_any(const struct ns_decl *n) {
        return n->pid || n->mount || n->net || n->uts || n->ipc || n->cgroup || n->user || n->hostname;
}

#define STRING_TABLE(fn, type, ...)                                                        \
        const char *fn(type v) {                                                           \
                static const char *const t[] = { __VA_ARGS__ };                            \
                return (size_t)v < ARRAY_SIZE(t) ? t[v] : "?";                             \
        }
STRING_TABLE(service_type_to_string, enum service_type, "simple", "notify", "oneshot")
STRING_TABLE(restart_policy_to_string, enum restart_policy, "always", "on-failure", "never")
STRING_TABLE(output_mode_to_string, enum output_mode, "console", "inherit", "null", "file")
STRING_TABLE(probe_kind_to_string, enum probe_kind, "none", "tcp", "exec", "file")

void settings_init_defaults(struct settings *s) {
        *s = (struct settings){
                .shutdown_timeout_ms = 8000,
                .log_level = -1,
                .cgroups = CGROUPS_REQUIRED,
        };
}

void service_init_defaults(struct service *s) {
        *s = (struct service){
                .type = SERVICE_SIMPLE,
                .restart = RESTART_ALWAYS,
                .restart_delay_ms = 100,
                .restart_delay_max_ms = 30000,
                .restart_reset_ms = 10000,
                .start_limit_burst = 5,
                .start_limit_interval_ms = 10000,
                .ready = { .kind = PROBE_NONE, .interval_ms = 200, .timeout_ms = 30000 },
                .health = { .kind = PROBE_NONE, .interval_ms = 10000, .failures = 3 },
                .stop_signal = SIGTERM,
                .stop_timeout_ms = 5000,
                .output = OUTPUT_CONSOLE,
                .no_new_privs = true,
        };
}

static void strv_free(char **v) {
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

static void cg_limits_free(struct cg_limits *l) {
        for (int i = 0; i < _CG_KEY_MAX; i++)
                free(l->value[i]);
}

static void ns_decl_free(struct ns_decl *n) {
        free(n->hostname);
        free(n->uid_map);
        free(n->gid_map);
}

static void probe_free(struct probe *p) {
        free(p->tcp);
        strv_free(p->exec_argv);
        free(p->file);
}

void service_free(struct service *s) {
        free(s->name);
        strv_free(s->argv);
        strv_free(s->after);
        free(s->after_idx);
        probe_free(&s->ready);
        probe_free(&s->health);
        free(s->user_name);
        free(s->user_home);
        free(s->workdir);
        for (size_t i = 0; i < s->n_env; i++) {
                free(s->env[i].key);
                free(s->env[i].value);
        }
        free(s->env);
        free(s->env_file);
        free(s->output_file);
        free(s->rlimits);
        free(s->cgroup_path);
        cg_limits_free(&s->limits);
        ns_decl_free(&s->ns);
        free(s->root.path);
        strv_free(s->root.lower);
        free(s->root.upper);
        free(s->root.work);
        for (size_t i = 0; i < s->n_binds; i++) {
                free(s->binds[i].source);
                free(s->binds[i].target);
        }
        free(s->binds);
}

void group_decl_free(struct group_decl *g) {
        free(g->path);
        cg_limits_free(&g->limits);
        ns_decl_free(&g->ns);
}

void model_free(struct model *m) {
        if (!m)
                return;
        for (size_t i = 0; i < m->n_services; i++)
                service_free(&m->services[i]);
        free(m->services);
        for (size_t i = 0; i < m->n_groups; i++)
                group_decl_free(&m->groups[i]);
        free(m->groups);
        for (size_t i = 0; i < m->n_files; i++)
                free(m->files[i]);
        free(m->files);
        *m = (struct model){0};
}

ssize_t model_find_service(const struct model *m, const char *name) {
        for (size_t i = 0; i < m->n_services; i++)
                if (streq(m->services[i].name, name))
                        return (ssize_t)i;
        return -1;
}
