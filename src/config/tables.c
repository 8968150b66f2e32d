/* Name tables of the config language: enums, rlimits, capabilities. */
#include <strings.h>
#include <sys/resource.h>

#include "config-internal.h"

static int lookup(const char *const *table, size_t n, const char *s) {
        for (size_t i = 0; i < n; i++)
                if (table[i] && streq(table[i], s))
                        return (int)i;
        return -EINVAL;
}

int cfg_service_type(const char *s) {
        static const char *const t[] = {
                [SERVICE_SIMPLE] = "simple", [SERVICE_NOTIFY] = "notify", [SERVICE_ONESHOT] = "oneshot"
        };
        return lookup(t, ARRAY_SIZE(t), s);
}

int cfg_notify_access(const char *s) {
        static const char *const t[] = {
                [NOTIFY_ACCESS_MAIN] = "main", [NOTIFY_ACCESS_ALL] = "all", [NOTIFY_ACCESS_NONE] = "none"
        };
        return lookup(t, ARRAY_SIZE(t), s);
}

int cfg_restart_policy(const char *s) {
        static const char *const t[] = {
                [RESTART_ALWAYS] = "always", [RESTART_ON_FAILURE] = "on-failure", [RESTART_NEVER] = "never"
        };
        return lookup(t, ARRAY_SIZE(t), s);
}

int cfg_output_mode(const char *s, char **ret_file) {
        static const char *const t[] = {
                [OUTPUT_CONSOLE] = "console", [OUTPUT_INHERIT] = "inherit", [OUTPUT_NULL] = "null"
        };
        if (strncmp(s, "file:", 5) == 0) {
                if (s[5] != '/')
                        return -EINVAL;
                char *f = strdup(s + 5);
                if (!f)
                        return -ENOMEM;
                *ret_file = f;
                return OUTPUT_FILE;
        }
        return lookup(t, ARRAY_SIZE(t), s);
}

/* setrlimit(2) resources by the names of prlimit(1) and limits.conf(5). */
static const struct {
        const char *name;
        int resource;
} rlimit_names[] = {
        { "as", RLIMIT_AS },
        { "core", RLIMIT_CORE },
        { "cpu", RLIMIT_CPU },
        { "data", RLIMIT_DATA },
        { "fsize", RLIMIT_FSIZE },
        { "locks", RLIMIT_LOCKS },
        { "memlock", RLIMIT_MEMLOCK },
        { "msgqueue", RLIMIT_MSGQUEUE },
        { "nice", RLIMIT_NICE },
        { "nofile", RLIMIT_NOFILE },
        { "nproc", RLIMIT_NPROC },
        { "rss", RLIMIT_RSS },
        { "rtprio", RLIMIT_RTPRIO },
        { "rttime", RLIMIT_RTTIME },
        { "sigpending", RLIMIT_SIGPENDING },
        { "stack", RLIMIT_STACK },
};

int cfg_rlimit_from_name(const char *s) {
        for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
                if (streq(rlimit_names[i].name, s))
                        return rlimit_names[i].resource;
        return -EINVAL;
}

const char *config_rlimit_name(int resource) {
        for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
                if (rlimit_names[i].resource == resource)
                        return rlimit_names[i].name;
        return NULL;
}

/* capabilities(7), numbered as in <linux/capability.h>; kept here so that
 * corral needs no libcap. */
static const char *const cap_names[CAPABILITY_MAX + 1] = {
        "CAP_CHOWN",            "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
        "CAP_FSETID",           "CAP_KILL",           "CAP_SETGID",          "CAP_SETUID",
        "CAP_SETPCAP",          "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN",        "CAP_NET_RAW",        "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
        "CAP_SYS_MODULE",       "CAP_SYS_RAWIO",      "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",        "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE",     "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
        "CAP_LEASE",            "CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE",     "CAP_MAC_ADMIN",      "CAP_SYSLOG",          "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND",    "CAP_AUDIT_READ",     "CAP_PERFMON",         "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
};

int cfg_capability_from_name(const char *s) {
        for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
                if (strcasecmp(cap_names[i], s) == 0)
                        return (int)i;
        return -EINVAL;
}

const char *config_capability_name(int cap) {
        return cap >= 0 && (size_t)cap < ARRAY_SIZE(cap_names) ? cap_names[cap] : NULL;
}
