/* The namespace plan as data, shared by the files of src/ns/ and by the
 * unit tests.  Everything the child needs after clone lives here, already
 * formatted: the child only reads it and makes syscalls. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "ns.h"

/* Namespaces a pod (a group) may hold and its services join with setns. */
enum pod_ns { POD_NET, POD_IPC, POD_UTS, _POD_NS_MAX };

enum ns_step_op {
        STEP_MOUNT,      /* mount(source, target, fstype, flags, data) */
        STEP_BIND,       /* bind mount source on target (flags may add MS_REC) */
        STEP_REMOUNT_RO, /* make the mount at target read-only, keeping its locked flags;
                            with MS_REC in flags every mount below it too
                            (below: only those) */
        STEP_MKDIR_P,    /* create target and its parents (persistent upper/work) */
        STEP_SYMLINK,    /* symlink named target pointing at source */
        _STEP_OP_MAX
};

/* How the mount point itself is made before mounting. */
enum ns_mkpoint {
        MKPOINT_NONE,
        MKPOINT_DIR,         /* mkdir, EEXIST is fine */
        MKPOINT_LIKE_SOURCE, /* a directory or an empty file, as the source is */
};

struct ns_step {
        enum ns_step_op op;
        enum ns_mkpoint mkpoint;
        char *source;  /* NULL where the filesystem has none */
        char *target;  /* path as the child sees it before pivot_root */
        char *shown;   /* the same path inside the new root, for messages */
        char *fstype;
        unsigned long flags;
        char *data;
        bool optional; /* a missing source skips the step (host devices) */
        bool below;    /* STEP_REMOUNT_RO: the mounts below target, not target */
        bool in_root;  /* target below the new root: resolved inside it, so a
                          symlink in the image cannot point a mount outside */
};

struct ns_plan {
        char *service;
        const char *file; /* of the service's declaration, for messages */
        int line;

        int clone_flags;   /* CLONE_NEW* of the service's own namespaces */
        bool unshare_cgroup; /* a cgroup namespace is made in the child, once it
                                sits in its own cgroup, so that cgroup is its root */
        char *hostname;    /* set in the service's own uts namespace */
        bool lo_up;        /* own net namespace: bring lo up */
        bool pid_init;     /* own pid namespace: fork, the caller's process is its init */
        bool make_private; /* own mount namespace: MS_REC|MS_PRIVATE on / first */

        /* Pinned pod namespaces joined with setns, NULL where not joined. */
        char *pod_path[_POD_NS_MAX];
        char *pod_group[_POD_NS_MAX];

        char *uid_map, *gid_map; /* kernel format: "IN OUT COUNT\n" lines */

        struct ns_step *steps;
        size_t n_steps;

        bool pivot;     /* change root to new_root after the steps */
        char *stage;    /* tmpfs where the new root is assembled */
        char *new_root; /* stage/root */
};

extern const char *const pod_ns_name[_POD_NS_MAX];
extern const int pod_ns_flag[_POD_NS_MAX];

/* Pure parts, unit-tested (plan.c). */

/* Escape one path for an overlayfs option value: '\\', ',' and ':' get a
 * backslash (fs/overlayfs/params.c splits options on ',' and lower layers on
 * ':' and honours backslash escapes). */
char *ns_overlay_escape(const char *path);
/* "lowerdir=A:B,upperdir=U,workdir=W"; NULL on OOM. */
char *ns_overlay_options(char *const *lower, size_t n_lower, const char *upper, const char *work);
/* Normalize a bind target lexically to "/a/b" below the new root.  -EXDEV
 * when ".." climbs out of the root, -EINVAL for the root itself or "". */
int ns_normalize_target(const char *target, char **ret);
/* Parse "IN OUT COUNT" entries separated by ',' ';' or newlines into the
 * kernel's map format.  -EINVAL on anything else. */
int ns_id_map_format(const char *spec, char **ret);
/* Does group path `group` contain cgroup path `path` ("a" contains "a/b",
 * not "ab")? */
bool ns_group_contains(const char *group, const char *path);

/* "nosuid,nodev,rec" for printing. */
void ns_flags_string(unsigned long flags, char *buf, size_t size);

/* Filesystem checks of a built plan's declaration (validate.c): missing
 * lower, root or bind sources, work on another filesystem than upper,
 * overlayfs missing.  filesystems is the text of /proc/filesystems (NULL:
 * read it). */
void ns_validate_root(const struct service *s, const char *filesystems, struct diags *d);

/* An id map as one line for messages: "0 1000 1;1 2000 5". */
char *ns_map_shown(const char *map);

/* Kernel side, shared by child.c and pod.c. */

/* Bring the loopback interface of the current net namespace up, with
 * SIOCSIFFLAGS on a socket (no ip binary needed).  Async-signal-safe. */
int ns_lo_up(void);
/* Steps below the new root, resolved inside it (inroot.c).  -1 and errno. */
int ns_open_in_root(int rootfd, const char *path, int flags);
int ns_in_root_step(int rootfd, const struct ns_step *st);
/* MS_* flags a read-only remount must keep, from statvfs f_flag. */
unsigned long ns_locked_flags(unsigned long st_flags);
/* "/proc/self/fd/N" without stdio. */
void ns_fd_path(char buf[32], int fd);
/* Make the mount fd (an O_PATH fd of its root) and every mount below it
 * read-only, or with below only those below it (remount.c).  -1 and
 * errno. */
int ns_remount_ro_tree(int fd, bool below);
/* Fork the pid namespace's init (pidinit.c).  Returns 0 in the service
 * process; the calling process becomes the init and never returns.
 * -errno if fork fails. */
int ns_pid_init_fork(const struct ns_plan *p, int errfd, struct ns_exit_report *report);

/* Values of ns_child_failure(): a step index, or one of these. */
enum {
        NS_WHAT_NONE = -1,
        NS_WHAT_SETNS = 10000, /* + enum pod_ns */
        NS_WHAT_HOSTNAME = 10010,
        NS_WHAT_LO,
        NS_WHAT_CGROUP,
        NS_WHAT_PRIVATE,
        NS_WHAT_PIVOT,
        NS_WHAT_FORK,
        NS_WHAT_USER,
        NS_WHAT_UID_MAP, /* in the parent: ns_parent_failure() */
        NS_WHAT_GID_MAP,
};
