/* The spawn plan: everything the child needs, computed in the parent, and
 * the words used to report what went wrong. */
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <sys/stat.h>

#include "idfile.h"
#include "ns.h"
#include "spawn-internal.h"
#include "util.h"

static const char *const stage_names[_STAGE_MAX] = {
        [STAGE_NONE] = "none",
        [STAGE_CLONE] = "clone",
        [STAGE_CGROUP] = "cgroup",
        [STAGE_NAMESPACE] = "namespace",
        [STAGE_ENTER] = "setns",
        [STAGE_SETSID] = "setsid",
        [STAGE_SETPGID] = "setpgid",
        [STAGE_FDS] = "fds",
        [STAGE_SIGNALS] = "signals",
        [STAGE_RLIMIT] = "setrlimit",
        [STAGE_WORKDIR] = "chdir",
        [STAGE_GROUPS] = "setgroups",
        [STAGE_GID] = "setgid",
        [STAGE_UID] = "setuid",
        [STAGE_CAPS] = "capabilities",
        [STAGE_NO_NEW_PRIVS] = "no_new_privs",
        [STAGE_EXEC] = "exec",
};

const char *spawn_stage_to_string(enum spawn_stage s) {
        if ((int)s < 0 || s >= _STAGE_MAX)
                return NULL;
        return stage_names[s];
}

char **spawn_strv_copy(char *const *v) {
        size_t n = 0;
        while (v && v[n])
                n++;
        char **c = calloc(n + 1, sizeof(char *));
        if (!c)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                c[i] = strdup(v[i]);
                if (!c[i]) {
                        spawn_strv_free(c);
                        return NULL;
                }
        }
        return c;
}

/* Supplementary groups of a named user from the group database; none for a
 * numeric user or a group alone (cleared, so root's groups do not leak). */
static int plan_groups(const struct service *s, gid_t **ret, size_t *ret_n) {
        *ret = NULL;
        *ret_n = 0;
        if (!s->has_user || !s->user_name)
                return 0;
        int n = 32;
        for (int tries = 0; tries < 8; tries++) {
                _cleanup_free_ gid_t *g = calloc((size_t)n, sizeof(gid_t));
                if (!g)
                        return -ENOMEM;
                int want = n;
                if (id_grouplist(s->user_name, s->gid, g, &want) >= 0) {
                        *ret = TAKE_PTR(g);
                        *ret_n = (size_t)want;
                        return 0;
                }
                /* glibc stores the number needed in want. */
                n = want > n ? want : n * 2;
        }
        return -E2BIG;
}

/* Who the service's processes run as (see struct spawn_plan), the same
 * for its own process and for exec into it. */
static int plan_identity(const struct service *s, char **base_env, const char *notify_socket,
                         struct spawn_plan *p, const char **ret_what) {
        p->workdir = s->workdir;
        p->userns = s->ns.user;
        p->rlimits = s->rlimits;
        p->n_rlimits = s->n_rlimits;
        p->no_new_privs = s->no_new_privs;
        p->has_caps = s->has_caps;
        p->caps = s->caps;
        p->uid = (uid_t)-1;
        p->gid = (gid_t)-1;
        int r = spawn_env_build(s, base_env, notify_socket, &p->envp, ret_what);
        if (r < 0 || !(s->has_user || s->has_group))
                return r;
        p->set_ids = true;
        if (s->has_user)
                p->uid = s->uid;
        p->gid = s->gid;
        return plan_groups(s, &p->groups, &p->n_groups);
}

int spawn_plan_build(const struct service *s, char **base_env, const char *notify_socket,
                     struct spawn_plan *ret, const char **ret_what) {
        struct spawn_plan p = {
                .stdio = { -1, -1, -1 },
                .cgroup_fd = -1,
                .new_session = !s->entrypoint,
                .foreground = s->entrypoint,
        };
        if (!s->argv || !s->argv[0])
                return -EINVAL;
        p.argv = spawn_strv_copy(s->argv);
        if (!p.argv)
                return -ENOMEM;
        /* Entrypoint commands and commands inside a root are resolved by
         * the child, where the PATH and the filesystem are the service's. */
        if (p.argv[0][0] == '/' && !s->entrypoint && !s->command_in_root)
                p.path = p.argv[0];
        int r = plan_identity(s, base_env, notify_socket, &p, ret_what);
        if (r < 0) {
                spawn_plan_done(&p);
                return r;
        }
        *ret = p;
        return 0;
}

/* The namespaces exec joins besides the PID one, in this order: the user
 * namespace last, since a corral that is root in its own user namespace
 * joins every other one with those rights, and after setns(CLONE_NEWUSER)
 * it would have rights only in the service's. */
static const struct {
        const char *name;
        int flag;
} enter_kinds[SPAWN_ENTER_KINDS] = {
        { "cgroup", CLONE_NEWCGROUP }, { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },
        { "net", CLONE_NEWNET },       { "mnt", CLONE_NEWNS },  { "user", CLONE_NEWUSER },
};

const char *spawn_enter_kind_name(int kind) {
        return kind >= 0 && kind < SPAWN_ENTER_KINDS ? enter_kinds[kind].name : "pid";
}

/* The service's namespaces are opened by the child (sys_ns_open()); a
 * process already gone fails here, before anything is started. */
static int enter_open(pid_t pid, struct spawn_enter **ret) {
        char path[32];
        snprintf(path, sizeof path, "/proc/%d", (int)pid);
        if (access(path, F_OK) < 0)
                return -errno;
        struct spawn_enter *e = calloc(1, sizeof *e);
        if (!e)
                return -ENOMEM;
        e->pid = pid;
        for (int k = 0; k < SPAWN_ENTER_KINDS; k++)
                e->flag[k] = enter_kinds[k].flag;
        *ret = e;
        return 0;
}

void spawn_enter_free(struct spawn_enter *e) {
        free(e);
}

void spawn_plan_done(struct spawn_plan *p) {
        if (!p)
                return;
        spawn_strv_free(p->argv);
        spawn_strv_free(p->envp);
        free(p->groups);
        spawn_enter_free(p->enter);
        p->argv = p->envp = NULL;
        p->groups = NULL;
        p->enter = NULL;
        p->n_groups = 0;
        p->path = NULL;
}

int spawn_exec_plan_build(const struct service *s, char **base_env, const char *notify_socket,
                          char *const *argv, const int fds[3], pid_t pid, int cgroup_fd,
                          struct spawn_plan *ret, const char **ret_what) {
        if (!argv || !argv[0] || pid <= 0)
                return -EINVAL;
        struct spawn_plan p;
        int r = spawn_plan_build(s, base_env, notify_socket, &p, ret_what);
        if (r < 0)
                return r;
        spawn_strv_free(p.argv);
        p.argv = spawn_strv_copy(argv);
        p.path = NULL;
        p.new_session = true;
        p.foreground = false;
        p.cgroup_fd = cgroup_fd;
        for (int i = 0; i < 3; i++)
                p.stdio[i] = fds ? fds[i] : -1;
        r = p.argv ? enter_open(pid, &p.enter) : -ENOMEM;
        if (r < 0) {
                if (ret_what)
                        *ret_what = NULL;
                spawn_plan_done(&p);
                return r;
        }
        *ret = p;
        return 0;
}

static const char *rlimit_name(int resource) {
        static const char *const names[] = {
                [RLIMIT_CPU] = "cpu",         [RLIMIT_FSIZE] = "fsize",     [RLIMIT_DATA] = "data",
                [RLIMIT_STACK] = "stack",     [RLIMIT_CORE] = "core",       [RLIMIT_RSS] = "rss",
                [RLIMIT_NPROC] = "nproc",     [RLIMIT_NOFILE] = "nofile",   [RLIMIT_MEMLOCK] = "memlock",
                [RLIMIT_AS] = "as",           [RLIMIT_LOCKS] = "locks",     [RLIMIT_SIGPENDING] = "sigpending",
                [RLIMIT_MSGQUEUE] = "msgqueue", [RLIMIT_NICE] = "nice",     [RLIMIT_RTPRIO] = "rtprio",
                [RLIMIT_RTTIME] = "rttime",
        };
        if (resource < 0 || (size_t)resource >= ARRAY_SIZE(names) || !names[resource])
                return "?";
        return names[resource];
}

/* The object a stage acts on, for the message: "exec /bin/x", "setuid 65534". */
static int format_subject(const struct service *s, const struct spawn_plan *p, const struct spawn_error *e,
                          char *buf, size_t n) {
        const char *stage = spawn_stage_to_string(e->stage);
        if (!stage)
                stage = "start";
        switch (e->stage) {
        case STAGE_EXEC:
                if (p && (p->path || (p->argv && p->argv[0])))
                        return snprintf(buf, n, "exec %s", p->path ? p->path : p->argv[0]);
                break;
        case STAGE_WORKDIR:
                if (p && p->workdir)
                        return snprintf(buf, n, "chdir %s", p->workdir);
                break;
        case STAGE_NAMESPACE:
                if (p && p->ns && e->arg >= 0) {
                        ns_failure_describe(p->ns, e->arg, buf, n);
                        return (int)strlen(buf);
                }
                break;
        case STAGE_ENTER:
                return snprintf(buf, n, "setns %s", spawn_enter_kind_name(e->arg));
        case STAGE_CGROUP:
                if (s && s->cgroup_path)
                        return snprintf(buf, n, "cgroup %s", s->cgroup_path);
                break;
        case STAGE_RLIMIT:
                return snprintf(buf, n, "setrlimit %s", rlimit_name(e->arg));
        case STAGE_UID:
                if (p)
                        return snprintf(buf, n, "setuid %u", (unsigned)p->uid);
                break;
        case STAGE_GID:
                if (p)
                        return snprintf(buf, n, "setgid %u", (unsigned)p->gid);
                break;
        case STAGE_CAPS:
                if (e->arg >= 0)
                        return snprintf(buf, n, "capabilities (capability %d)", (int)e->arg);
                break;
        default:
                break;
        }
        return snprintf(buf, n, "%s", stage);
}

int spawn_error_format(const struct service *s, const struct spawn_plan *p, const struct spawn_error *e,
                       char *buf, size_t n) {
        char subject[CORRAL_MAX_STRING + 64];
        format_subject(s, p, e, subject, sizeof subject);
        if (s && s->name)
                return snprintf(buf, n, "service \"%s\": %s: %s", s->name, subject, strerror(e->err));
        return snprintf(buf, n, "%s: %s", subject, strerror(e->err));
}

int spawn_exit_code_for_exec_error(int err) {
        return err == ENOENT || err == ENOTDIR ? 127 : 126;
}
