/* The spawn plan: everything the child needs, computed in the parent, and
 * the words used to report what went wrong. */
#include <grp.h>
#include <stdio.h>

#include "ns.h"
#include "spawn-internal.h"
#include "util.h"

static const char *const stage_names[_STAGE_MAX] = {
        [STAGE_NONE] = "none",
        [STAGE_CLONE] = "clone",
        [STAGE_CGROUP] = "cgroup",
        [STAGE_NAMESPACE] = "namespace",
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

static char **strv_copy(char *const *v, size_t *ret_n) {
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
        if (ret_n)
                *ret_n = n;
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
                if (getgrouplist(s->user_name, s->gid, g, &want) >= 0) {
                        *ret = TAKE_PTR(g);
                        *ret_n = (size_t)want;
                        return 0;
                }
                /* glibc stores the number needed in want. */
                n = want > n ? want : n * 2;
        }
        return -E2BIG;
}

int spawn_plan_build(const struct service *s, char **base_env, const char *notify_socket,
                     struct spawn_plan *ret, const char **ret_what) {
        struct spawn_plan p = {
                .stdio = { -1, -1, -1 },
                .cgroup_fd = -1,
                .new_session = !s->entrypoint,
                .foreground = s->entrypoint,
                .workdir = s->workdir,
                .rlimits = s->rlimits,
                .n_rlimits = s->n_rlimits,
                .no_new_privs = s->no_new_privs,
                .has_caps = s->has_caps,
                .caps = s->caps,
                .uid = (uid_t)-1,
                .gid = (gid_t)-1,
        };
        int r;

        if (!s->argv || !s->argv[0])
                return -EINVAL;
        p.argv = strv_copy(s->argv, NULL);
        if (!p.argv)
                return -ENOMEM;
        /* Entrypoint commands and commands inside a root are resolved by
         * the child, where the PATH and the filesystem are the service's. */
        if (p.argv[0][0] == '/' && !s->entrypoint && !s->command_in_root)
                p.path = p.argv[0];

        r = spawn_env_build(s, base_env, notify_socket, &p.envp, ret_what);
        if (r < 0)
                goto fail;

        if (s->has_user || s->has_group) {
                p.set_ids = true;
                if (s->has_user)
                        p.uid = s->uid;
                p.gid = s->gid;
                r = plan_groups(s, &p.groups, &p.n_groups);
                if (r < 0)
                        goto fail;
        }
        *ret = p;
        return 0;
fail:
        spawn_plan_done(&p);
        return r;
}

void spawn_plan_done(struct spawn_plan *p) {
        if (!p)
                return;
        spawn_strv_free(p->argv);
        spawn_strv_free(p->envp);
        free(p->groups);
        p->argv = p->envp = NULL;
        p->groups = NULL;
        p->n_groups = 0;
        p->path = NULL;
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
