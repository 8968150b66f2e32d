/* Pieces of the spawn module shared between its files. */
#pragma once

#include <stdbool.h>
#include <signal.h>
#include <stddef.h>

#include "model.h"
#include "spawn.h"

#define SPAWN_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The service's environment (see spawn_plan_build()), NULL-terminated and
 * heap-allocated.  *ret_what names the failing item and what is wrong with
 * it ("env_file /etc/web.env:3: a NUL byte"), valid until the next call. */
int spawn_env_build(const struct service *s, char **base_env, const char *notify_socket, char ***ret,
                    const char **ret_what);
void spawn_strv_free(char **v);
/* One line of an env_file (NUL-terminated, without its newline; changed in
 * place): KEY=value, optionally preceded by "export " and with the value
 * optionally in matching single or double quotes (taken literally, no
 * escapes).  0 with key NULL for a blank line or a '#' comment; 0 with
 * the pair (pointers into line, not NUL-terminated); -EINVAL for anything
 * else. */
struct env_line {
        const char *key, *value;
        size_t keylen, valuelen;
};
int spawn_env_file_line(char *line, struct env_line *ret);
/* A heap copy of a NULL-terminated vector; NULL on OOM. */
char **spawn_strv_copy(char *const *v);

/* The namespaces of a running service that exec joins (plan.c): those of
 * its process that differ from corral's.  The child opens them with
 * sys_ns_open() (in corral's /proc): the PID one first, which it joins
 * before anything else; the others all before it joins any, in this
 * order, with setns(). */
#define SPAWN_ENTER_KINDS 6
#define SPAWN_ENTER_USER (SPAWN_ENTER_KINDS - 1) /* the last one */
struct spawn_enter {
        pid_t pid;                   /* the service's process */
        int flag[SPAWN_ENTER_KINDS]; /* CLONE_NEWNET, ... */
};
void spawn_enter_free(struct spawn_enter *e);
/* "net", "mnt", ... of a kind (spawn_error.arg of STAGE_ENTER); "pid" else. */
const char *spawn_enter_kind_name(int kind);

/* errfd of a child that shares its parent's memory (CLONE_VM | CLONE_VFORK):
 * a failure is written to *spawn_child_report instead, which the parent
 * reads once vfork returns. */
#define SPAWN_ERRFD_SHARED (-2)
extern __thread struct spawn_error *spawn_child_report;

/* How the child is told what to do beyond the plan. */
struct spawn_child_args {
        const struct spawn_plan *plan;
        int errfd;            /* CLOEXEC write end of the error pipe, >= 3,
                                 or SPAWN_ERRFD_SHARED */
        int syncfd;           /* read end: wait for the parent's go, or -1 */
        int close_fds[2];     /* the parent's pipe ends, closed first (-1: none) */
        bool join_cgroup;     /* write "0" to cgroup.procs (no CLONE_INTO_CGROUP) */
        int unshare_fds_below; /* > 0: the fd table is corral's (CLONE_FILES);
                                  first keep a private copy of the fds below */
        const sigset_t *reset_signals; /* dispositions to set to SIG_DFL */
};

/* For the child's functions that end in _exit() or exec: ASan would make
 * them unpoison "the stack" before a noreturn call, which it cannot find
 * on the child's own stack, and warn on the service's stderr. */
#define SPAWN_CHILD_NO_ASAN __attribute__((no_sanitize_address))

/* Runs in the new process: setup, then exec.  Never returns; on failure
 * writes a struct spawn_error to errfd and exits 127.  No malloc. */
_Noreturn void spawn_child(const struct spawn_child_args *a);

/* Report a failure of the child and exit 127. */
_Noreturn void spawn_child_fail(int errfd, enum spawn_stage stage, int err, int arg);

/* Capabilities, in the child (caps.c).  The bounding set is trimmed while
 * still privileged; the rest happens around and after the uid change. */
int spawn_caps_drop_bounding(uint64_t keep, int *ret_cap);
int spawn_caps_apply(uint64_t keep, bool raise_ambient, int *ret_cap);
