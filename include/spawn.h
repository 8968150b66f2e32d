/* Starting one service process.
 *
 * The parent computes a complete spawn_plan (argv, envp, ids, rlimits, fds,
 * cgroup, namespaces) before it clones; the child then only makes syscalls
 * (no malloc, no stdio) and reports the first failure as {stage, errno} over
 * a CLOEXEC pipe, so "exec /bin/nope: No such file or directory" reaches the
 * supervisor instead of a bare exit 127. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model.h"

struct ns_plan; /* ns.h */
struct ns_exit_report; /* ns.h */

enum spawn_stage {
        STAGE_NONE,
        STAGE_CLONE,
        STAGE_CGROUP,    /* joining the cgroup when CLONE_INTO_CGROUP is unavailable */
        STAGE_NAMESPACE, /* ns_child_setup(): setns, unshare, mounts, pivot_root */
        STAGE_ENTER,     /* exec: joining a namespace of the running service */
        STAGE_SETSID,
        STAGE_SETPGID,   /* own process group, the terminal's foreground */
        STAGE_FDS,
        STAGE_SIGNALS,
        STAGE_RLIMIT,
        STAGE_WORKDIR,
        STAGE_GROUPS,
        STAGE_GID,
        STAGE_UID,
        STAGE_CAPS,
        STAGE_NO_NEW_PRIVS,
        STAGE_EXEC,
        _STAGE_MAX
};
/* "exec", "chdir", "setpgid", ... for messages. */
const char *spawn_stage_to_string(enum spawn_stage s);

struct spawn_error {
        int32_t stage; /* enum spawn_stage */
        int32_t err;   /* errno */
        int32_t arg;   /* stage-specific detail (rlimit index, ...), -1 if none */
};

struct spawn_enter; /* the namespaces of a running service, for exec */

struct spawn_plan {
        const char *path;   /* executable; NULL: argv[0] looked up in PATH of envp
                               (entrypoint mode, commands inside a root, exec) */
        char **argv;

        /* The service's identity: who its processes run as, the same for
         * its own process and for `corralctl exec` into it (built by
         * spawn_plan_build(), applied by the child in this order:
         * rlimits, bounding set, ids, capabilities, workdir, no_new_privs). */
        char **envp;
        const char *workdir; /* NULL: keep; borrowed from the service; entered
                                once the ids are the service's */
        /* In the service's own user namespace the ids below are those of
         * that namespace: the child first becomes its root (0:0 inside). */
        bool userns;
        /* With set_ids: setgroups(groups), then gid and uid, each skipped
         * when (gid_t)-1 / (uid_t)-1 (a group without a user keeps the uid). */
        bool set_ids;
        uid_t uid;
        gid_t gid;
        gid_t *groups;
        size_t n_groups;
        const struct rlimit_decl *rlimits; /* borrowed from the service */
        size_t n_rlimits;
        bool no_new_privs;
        bool has_caps;
        uint64_t caps; /* bit n: keep capability n (bounding, permitted, ambient) */

        /* fds for the child's 0, 1, 2; -1 keeps corral's own. */
        int stdio[3];
        /* Extra fds passed through at 3, 4, ... (none yet); -1 terminated. */
        const int *pass_fds;

        bool new_session; /* setsid(): services get their own session; false for
                             the entrypoint, which keeps corral's terminal */
        bool foreground;  /* own process group, made the foreground group of the
                             terminal on fd 0 if there is one (the entrypoint,
                             as tini does: ^C reaches it once, not via corral) */
        int cgroup_fd;    /* -1: stay in corral's cgroup */
        const struct ns_plan *ns; /* NULL: corral's namespaces */
        struct ns_exit_report *ns_report; /* with a PID namespace: where its
                                             init leaves the service's status */
        /* exec: the namespaces of the running service to join instead of
         * ns (owned by the plan; see spawn_exec_plan_build()). */
        struct spawn_enter *enter;
};

/* Build the plan for a service.  Allocates argv/envp/groups; free with
 * spawn_plan_done().  workdir and rlimits point into s, which must outlive
 * the plan.  Environment: corral's (or only PATH with clean_env), then HOME,
 * USER, LOGNAME of a user, env_file, env, NOTIFY_SOCKET; a later key
 * replaces an earlier one; corral's own NOTIFY_SOCKET is never passed on.
 * Does not open fds (stdio, cgroup and ns are set by the caller).  base_env
 * is the environment corral was given.  The env_file is read as root but
 * only through a path its user could not have redirected (SPEC 10): no
 * symlink on the way, a regular file of root's, corral's or the service's
 * user, not hard-linked from elsewhere unless the user's own.  Errors (an
 * env_file that is missing, refused or malformed, ...) are returned as
 * -errno with *ret_what naming the item and what is wrong with it
 * ("env_file /etc/x:3: a NUL byte"; valid until the next call, which must
 * come from the same thread), or NULL.  "service \"x\": " + *ret_what +
 * ": " + strerror is the message. */
int spawn_plan_build(const struct service *s, char **base_env, const char *notify_socket,
                     struct spawn_plan *ret, const char **ret_what);
void spawn_plan_done(struct spawn_plan *p);

/* The plan of `corralctl exec`: argv run inside the running service s as
 * the service runs (runc exec applies the container's process spec so):
 * the identity and environment of spawn_plan_build(), in the namespaces of
 * pid (the service's process, unreaped) that differ from corral's and in
 * the cgroup cgroup_fd (borrowed, -1: none), with fds as its 0, 1, 2
 * (borrowed) in a session of its own.  argv[0] is looked up in the
 * service's PATH by the child once it is the service's user: nothing is
 * opened or executed as corral inside the service's mount namespace.
 * Opens the namespace files of pid.  Errors as spawn_plan_build(). */
int spawn_exec_plan_build(const struct service *s, char **base_env, const char *notify_socket,
                          char *const *argv, const int fds[3], pid_t pid, int cgroup_fd,
                          struct spawn_plan *ret, const char **ret_what);

/* spawn_exec_plan_build() and spawn_start() for the control socket.
 * Returns 0 with *ret_pid (to be reaped by the supervisor), or -errno with
 * the message in msg (`service "web": exec /bin/nope: No such file or
 * directory`) and *ret_code the status for the client: 127 for a command
 * not found, 126 for one that cannot be executed, 1 for anything else. */
int spawn_exec(const struct service *s, char **base_env, const char *notify_socket, pid_t pid,
               int cgroup_fd, char *const *argv, const int fds[3], pid_t *ret_pid, int *ret_code,
               char *msg, size_t n);

/* Clone (clone3 with CLONE_INTO_CGROUP where available, else fork and join
 * the cgroup before exec) and exec.  With enter (exec) and a PID namespace
 * to join, the child made by clone joins it and makes the command there
 * with CLONE_PARENT, then exits (collected here): *ret_pid and *ret_pidfd
 * are the command's, corral's own child.  Returns 0 with *ret_pid and *ret_pidfd
 * (-1 where pidfds are unavailable) once the command is executing.  When the
 * child's setup fails it reports {stage, errno} and exits 127: the function
 * then returns -ECHILD with *ret_err filled and *ret_pid still set (*ret_pidfd
 * is -1), and the child is left for the supervisor's reaper like any other
 * (a failure of the parent's half of the handshake, uid maps or the cgroup
 * join, is reported the same way after the child was sent SIGKILL).  Other
 * negative returns are failures in the parent (no child exists).  Blocks
 * until the child has called execve() or failed.  Never waits for the child. */
int spawn_start(const struct spawn_plan *p, pid_t *ret_pid, int *ret_pidfd, struct spawn_error *ret_err);

/* One start of spawn_start_many(): r, pid, pidfd and err as spawn_start()
 * leaves them (r = -ECANCELED: not attempted). */
struct spawn_job {
        const struct spawn_plan *plan;
        int r;
        pid_t pid;
        int pidfd;
        struct spawn_error err;
};

/* spawn_start() for each job, several at a time on helper threads when
 * there are many and more than one CPU.  Returns once every job was tried;
 * the plans must not change meanwhile.  Nothing else may run in corral's
 * other threads (there are none) while it does. */
void spawn_start_many(struct spawn_job *jobs, size_t n);

/* Reserve the low fds through which children receive theirs (a few per
 * thread that starts children).  Call early, while corral holds few fds
 * and has one thread; otherwise the first start does it.  Idempotent. */
void spawn_reserve_slots(void);

/* The whole message for a failed start, without a trailing newline:
 * `service "web": exec /usr/sbin/nginx: No such file or directory`,
 * `service "web": chdir /srv: Permission denied`.  s may be NULL (no prefix).
 * Returns the length snprintf() would have written. */
int spawn_error_format(const struct service *s, const struct spawn_plan *p, const struct spawn_error *e,
                       char *buf, size_t n);

/* Exit status of the entrypoint when its command cannot be executed, as a
 * shell reports it: 127 for not found (ENOENT, ENOTDIR), 126 otherwise. */
int spawn_exit_code_for_exec_error(int err);

/* Tests only: never use clone3, so that the fork path (joining the cgroup
 * from the child, pidfd_open afterwards) is exercised on new kernels too. */
extern bool spawn_force_fork_fallback;
/* Whether the last spawn_start() ran its child in corral's address space
 * until exec (clone3 with CLONE_VM | CLONE_VFORK); for tests. */
extern bool spawn_last_shared_vm;
/* Whether that child also shared corral's fd table until it unshared the
 * few fds below the spawn slots (CLONE_FILES); for tests. */
extern bool spawn_last_shared_files;

/* Children reset to SIG_DFL only the signals whose disposition was not
 * SIG_DFL when the first child was started (SIG_IGN survives exec).  Call
 * this after changing a disposition so that the set is computed again. */
void spawn_signals_changed(void);
