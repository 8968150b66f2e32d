/* Shared between the files of src/cgroup/: not part of the module's API. */
#pragma once

#include "cgroup.h"

/* Reserved name of corral's own leaf under the root. */
#define CGROUP_INIT_NAME "init"

/* A path part is [A-Za-z0-9_.-]{1,64}, not "." or "..", and does not look
 * like a cgroupfs interface file ("cgroup.procs", "memory.max"). */
bool cgroup_name_valid(const char *name, size_t len);
/* Every part of a relative path ("pod/web") is a valid name. */
bool cgroup_path_valid(const char *path);

/* Where a node was declared, for messages: "service \"web\"" / "group \"pod\"". */
struct cgroup_owner {
        const char *what;  /* "service" or "group" */
        const char *name;
        const char *file;
        int line;
        const char *path_key; /* "cgroup.path" or "path" */
        const struct cg_limits *limits;
        bool threaded;     /* declared type = "threaded" */
};
void cgroup_owner_of(const struct model *m, const struct cgroup_node *n, struct cgroup_owner *ret);

/* Checks of plan-check.c, run on a built tree; each adds its errors to d. */
void cgroup_check_leaves(const struct model *m, const struct cgroup_plan *p, struct diags *d);
void cgroup_check_threaded(const struct model *m, const struct cgroup_plan *p, struct diags *d);
void cgroup_check_controllers(const struct model *m, struct cgroup_plan *p, const char *root_path,
                              const char *const *offered, struct diags *d, struct diags *warn);

/* Read a small cgroupfs file relative to dirfd. */
int cgroup_read_at(int dirfd, const char *path, char **ret);
/* Read a member list (cgroup.procs, cgroup.threads): one pid a line, as
 * many as the kernel has (a fork bomb's list runs to megabytes). */
int cgroup_read_members_at(int dirfd, const char *file, char **ret);

struct cgroup_tree {
        const struct cgroup_plan *plan;
        char *root_path;
        int root_fd;
        int *fd;          /* per node: O_DIRECTORY fd while it exists, else -1;
                             CG_FD_PARKED: exists, fd not held (cgroup_node_fd()) */
        size_t open_node; /* the parked node whose fd is held now, SIZE_MAX none */
        bool *created;    /* per node: made by corral, so removed at the end */
        bool *stale;      /* per node: a leaf to remove once empty, never given
                             to a start again (see kill.c) */
        char *cg_root;    /* the root as /proc/PID/cgroup names it ("/a/b"),
                             NULL when unknown */
        bool has_kill;
        bool hierarchy_root;
        int inotify_fd;
        int *wd_events;   /* per service: watch of the leaf's cgroup.events */
        int *wd_memory;   /* per service: watch of the leaf's memory.events */
        char **orphans;   /* cgroups of an earlier plan still emptying, deepest first */
        int *wd_orphan;   /* their cgroup.events watches (-1: none) */
        size_t n_orphans;
        uint64_t *oom_base;  /* per service: oom_kill of the current leaf already counted */
        uint64_t *oom_total; /* per service: OOM kills since corral started */
};

/* Every node fd held would be inherited (and closed) by every child corral
 * starts, a cost that grows with the number of services: once the tree is
 * built only the root and init keep theirs, and the others are opened when
 * needed, one at a time. */
#define CG_FD_PARKED (-2)
/* The fd of node i, opened again if parked (and the previously reopened
 * one closed: valid until the next call); -ENOENT when the node does not
 * exist, -errno. */
int cgroup_node_fd(struct cgroup_tree *t, size_t i);
/* Hold node i's fd as the one reopened node, closing the previous one. */
void cgroup_node_hold(struct cgroup_tree *t, size_t i);
/* Close the fd of every node but the root and init (after building). */
void cgroup_park_nodes(struct cgroup_tree *t, size_t init);

/* Make node i (mkdir unless it exists, cgroup.type, subtree_control,
 * limits) and open its fd.  Its parent must exist. */
int cgroup_node_make(struct cgroup_tree *t, size_t i, struct diags *d);
/* Watch a service leaf's memory.events (OOM kills). */
int cgroup_watch_service(struct cgroup_tree *t, size_t service);
/* Watch a service leaf's cgroup.events too (CGROUP_EVENT_EMPTIED). */
int cgroup_watch_populated(struct cgroup_tree *t, size_t service);
/* Node of a service's leaf, SIZE_MAX for an index out of range. */
size_t cgroup_leaf(const struct cgroup_tree *t, size_t service);
/* Forget node i's fd and watches after its directory was removed. */
void cgroup_node_gone(struct cgroup_tree *t, size_t i);

/* A cgroup of an earlier plan (path under the root) that rmdir found still
 * populated: removed once it is empty, on the event fd, or at the end. */
int cgroup_orphan_add(struct cgroup_tree *t, const char *path);
/* Try to remove every orphan again, deepest first. */
void cgroup_orphans_retry(struct cgroup_tree *t);

/* SIGKILL every member of node i (kill.c): cgroup.kill where it can, which
 * makes the leaf stale, else freeze and kill each member by pidfd.  0, or
 * -errno. */
int cgroup_leaf_kill(struct cgroup_tree *t, size_t i);
/* Remove node i's leaf if it is empty now: 1 removed (or gone), 0 still
 * populated, -errno. */
int cgroup_leaf_retire(struct cgroup_tree *t, size_t i);
/* Before a start in node i: a stale leaf is removed (the caller makes it
 * again).  One whose last processes are still exiting cannot be: it is
 * used as it is where the kernel lets a child into it, else the start
 * must wait for CGROUP_EVENT_EMPTIED (-EBUSY).  0 or -errno. */
int cgroup_leaf_prepare(struct cgroup_tree *t, size_t i);

/* probe.c: whether this kernel SIGKILLs a clone3(CLONE_INTO_CGROUP) child
 * of a cgroup that cgroup.kill was written to before (Linux 6.18).  Asked
 * once with a scratch cgroup made under root_fd; the child has no exit
 * signal, so a supervisor's waitpid(-1) never sees it. */
bool cgroup_kill_taints_clones(int root_fd);
