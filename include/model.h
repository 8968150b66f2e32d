/* The validated configuration model: what the config loader produces and
 * every planner consumes.  Pure data: no fds, no pids, no clock.
 *
 * Every object records where it was declared (file, line) so that plan-time
 * errors can name the place.  All strings and arrays are heap-allocated and
 * owned by the model; model_free() releases everything. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/* Load-time bounds (SPEC 2, "Limits and includes"). */
#define CORRAL_MAX_FILE_SIZE (1024 * 1024)
#define CORRAL_MAX_SERVICES 4096
#define CORRAL_MAX_GROUPS 4096
#define CORRAL_MAX_ARGV 1024
#define CORRAL_MAX_STRING 4096
#define CORRAL_MAX_NAME 64
#define CORRAL_MAX_ENV 1024

struct loc {
        const char *file; /* points into model->files, never freed separately */
        int line;
};

enum service_type { SERVICE_SIMPLE, SERVICE_NOTIFY, SERVICE_ONESHOT, _SERVICE_TYPE_MAX };
/* Whose notify messages count (systemd's NotifyAccess=). */
enum notify_access { NOTIFY_ACCESS_MAIN, NOTIFY_ACCESS_ALL, NOTIFY_ACCESS_NONE };
enum restart_policy { RESTART_ALWAYS, RESTART_ON_FAILURE, RESTART_NEVER, _RESTART_MAX };
enum output_mode { OUTPUT_CONSOLE, OUTPUT_INHERIT, OUTPUT_NULL, OUTPUT_FILE, _OUTPUT_MAX };
enum probe_kind { PROBE_NONE, PROBE_TCP, PROBE_EXEC, PROBE_FILE, _PROBE_MAX };
enum cgroups_mode { CGROUPS_REQUIRED, CGROUPS_OPTIONAL };

const char *service_type_to_string(enum service_type t);
const char *restart_policy_to_string(enum restart_policy r);
const char *output_mode_to_string(enum output_mode o);
const char *probe_kind_to_string(enum probe_kind k);

/* cgroup v2 limit keys.  Each maps to the interface file of the same name
 * with '_' as '.', owned by one controller (see cg_key_info). */
enum cg_key {
        CG_MEMORY_MAX,
        CG_MEMORY_HIGH,
        CG_MEMORY_LOW,
        CG_MEMORY_SWAP_MAX,
        CG_CPU_MAX,
        CG_CPU_WEIGHT,
        CG_CPUSET_CPUS,
        CG_PIDS_MAX,
        CG_IO_WEIGHT,
        _CG_KEY_MAX
};

struct cg_key_info {
        const char *key;        /* config key: "memory_max" */
        const char *file;       /* cgroupfs file: "memory.max" */
        const char *controller; /* "memory" */
        bool threaded;          /* controller may be enabled in threaded subtrees */
};
extern const struct cg_key_info cg_keys[_CG_KEY_MAX];
/* Index of a config key name, or -1. */
int cg_key_from_name(const char *key);

/* Limits as the canonical strings written to the cgroup files ("536870912",
 * "max", "50000 100000"); NULL where the key is not set. */
struct cg_limits {
        char *value[_CG_KEY_MAX];
        int line[_CG_KEY_MAX];
};
bool cg_limits_any(const struct cg_limits *l);

struct ns_decl {
        bool pid, mount, net, uts, ipc, cgroup, user;
        char *hostname; /* implies uts */
        char *uid_map;  /* "INSIDE OUTSIDE COUNT", only with user */
        char *gid_map;
        int line;       /* of the namespaces group, 0 when absent */
};
bool ns_decl_any(const struct ns_decl *n);

struct probe {
        enum probe_kind kind;
        char *tcp;        /* "HOST:PORT" as written */
        char **exec_argv; /* NULL-terminated */
        char *file;
        uint32_t interval_ms;
        uint32_t timeout_ms; /* ready only */
        uint32_t failures;   /* health only */
        int line;
};

enum root_kind { ROOT_NONE, ROOT_PATH, ROOT_OVERLAY };
struct root_decl {
        enum root_kind kind;
        char *path;     /* ROOT_PATH */
        bool readonly;
        char **lower;   /* ROOT_OVERLAY, NULL-terminated, in the order written */
        size_t n_lower;
        char *upper;    /* NULL: a tmpfs upper */
        char *work;
        int line;
};

struct bind {
        char *source, *target;
        bool readonly;
        int line;
};

struct rlimit_decl {
        int resource; /* RLIMIT_* */
        rlim_t soft, hard;
        int line;
};

struct env_var {
        char *key, *value;
        int line;
};

struct service {
        char *name;
        struct loc loc;

        char **argv; /* NULL-terminated; argv[0] absolute after load unless
                        command_in_root (then resolved inside the root at start) */
        size_t argc;
        bool command_in_root;
        bool entrypoint; /* the "-- COMMAND" service: resolved at start, 126/127 */

        enum service_type type;
        char **after; /* NULL-terminated names as written */
        size_t n_after;
        size_t *after_idx; /* indices into model->services, filled by the loader */
        int after_line;    /* of the `after` key, 0 when absent */

        enum restart_policy restart;
        uint32_t restart_delay_ms, restart_delay_max_ms, restart_reset_ms;
        uint32_t start_limit_burst, start_limit_interval_ms;

        struct probe ready, health;
        uint32_t watchdog_ms; /* 0: none */
        enum notify_access notify_access;

        bool main;
        int stop_signal;
        uint32_t stop_timeout_ms;

        bool has_user, has_group;
        uid_t uid;
        gid_t gid;        /* of `group`, else the user's primary group */
        char *user_name;  /* for initgroups and HOME; NULL when given as a number */
        char *user_home;

        char *workdir;
        struct env_var *env;
        size_t n_env;
        bool clean_env;
        char *env_file;

        enum output_mode output;
        char *output_file; /* OUTPUT_FILE */

        struct rlimit_decl *rlimits;
        size_t n_rlimits;
        bool no_new_privs;
        bool has_caps;
        uint64_t caps; /* bit n = capability n */

        char *cgroup_path; /* always set after load: cgroup.path or the name */
        int cgroup_line;
        struct cg_limits limits;

        struct ns_decl ns;
        struct root_decl root;
        struct bind *binds;
        size_t n_binds;
};

/* An interior cgroup of `groups` (named _decl: <grp.h> owns "struct group"). */
struct group_decl {
        char *path;
        struct loc loc;
        struct cg_limits limits;
        bool threaded;
        struct ns_decl ns; /* net, ipc, uts, hostname only */
};

struct settings {
        uint32_t shutdown_timeout_ms;
        int log_level; /* enum log_level, -1 when not set */
        enum cgroups_mode cgroups;
        struct loc loc;
};

struct model {
        struct settings settings;
        struct service *services;
        size_t n_services;
        struct group_decl *groups;
        size_t n_groups;
        char **files; /* every file read, for struct loc */
        size_t n_files;
};

/* Defaults of SPEC 2 for a service named `name` (takes no ownership). */
void service_init_defaults(struct service *s);
void settings_init_defaults(struct settings *s);
void service_free(struct service *s);
void group_decl_free(struct group_decl *g);
void model_free(struct model *m);
/* Index of the service called name, or -1. */
ssize_t model_find_service(const struct model *m, const char *name);
