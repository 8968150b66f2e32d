/* The cgroup v2 hierarchy corral owns (SPEC 3, and the cgroup part of 8).
 *
 * Plan, then apply.  cgroup_plan_build() is a pure function of the model and
 * of the controllers the root offers: it computes every cgroup (the root,
 * corral's own leaf `init`, groups, service leaves and the intermediate
 * cgroups their paths imply), what each one enables in cgroup.subtree_control
 * and the limits written into it, and reports every rule the config breaks.
 * The rest touches cgroupfs, always relative to one directory fd of the root:
 * probing, building the tree, handing leaf fds to spawn (CLONE_INTO_CGROUP),
 * killing a service by its cgroup, OOM and "populated" events, and removal.
 *
 * Kernel reference: Documentation/admin-guide/cgroup-v2.rst. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "diag.h"
#include "model.h"

/* Controllers in the order the kernel lists them in cgroup.controllers. */
enum cgroup_controller {
        CGROUP_CPUSET,
        CGROUP_CPU,
        CGROUP_IO,
        CGROUP_MEMORY,
        CGROUP_HUGETLB,
        CGROUP_PIDS,
        CGROUP_RDMA,
        CGROUP_MISC,
        _CGROUP_CONTROLLER_MAX
};
const char *cgroup_controller_to_string(enum cgroup_controller c);
/* -EINVAL for a name corral does not know. */
int cgroup_controller_from_string(const char *s);
#define CGROUP_MASK(c) (1u << (c))

enum cgroup_node_kind {
        CGROUP_NODE_ROOT,    /* the cgroup root corral owns */
        CGROUP_NODE_INIT,    /* "init": corral itself and whatever was in the root */
        CGROUP_NODE_GROUP,   /* declared in `groups` */
        CGROUP_NODE_SERVICE, /* a service's leaf */
        CGROUP_NODE_IMPLIED, /* an intermediate cgroup of some path */
};

struct cgroup_node {
        char *path;            /* relative to the root: "" for the root, "pod/web" */
        const char *name;      /* last part of path ("/" for the root) */
        size_t parent;         /* node index; SIZE_MAX for the root */
        unsigned depth;        /* 0 for the root */
        enum cgroup_node_kind kind;
        ssize_t service;       /* index in model->services, or -1 */
        ssize_t group;         /* index in model->groups, or -1 */
        char *service_name;    /* copy, for printing; NULL unless a service leaf */
        bool threaded;         /* "threaded" is written to cgroup.type */
        uint32_t subtree_control;  /* CGROUP_MASK() bits enabled for the children */
        char *limits[_CG_KEY_MAX]; /* values written to cg_keys[k].file, or NULL */
};

struct cgroup_plan {
        struct cgroup_node *nodes; /* preorder: a parent always precedes its children */
        size_t n_nodes;
        size_t *service_node;      /* node of each model service (n_services entries) */
        size_t n_services;
        uint32_t needed;           /* every controller some limit needs */
};

/* Plan the tree for model m.  root_controllers (NULL-terminated; NULL means
 * none) is what the root's cgroup.controllers offers and root_path only
 * names the root in messages (NULL: "the cgroup root").  Returns 0 and
 * *ret; -EINVAL with every broken rule added to d, each naming FILE:LINE,
 * the service or group and the key; -ENOMEM.  *ret untouched on failure. */
int cgroup_plan_build(const struct model *m, const char *root_path,
                      const char *const *root_controllers, struct cgroup_plan **ret,
                      struct diags *d);
/* As cgroup_plan_build(), but when warn is not NULL a limit whose controller
 * the root does not offer is dropped and reported in warn instead of d
 * (settings.cgroups = "optional"). */
int cgroup_plan_build_ex(const struct model *m, const char *root_path,
                         const char *const *root_controllers, struct cgroup_plan **ret,
                         struct diags *d, struct diags *warn);
void cgroup_plan_free(struct cgroup_plan *p);
/* The tree as `corral --check` shows it, one cgroup a line:
 *   /  [+cpu +memory +pids]
 *     init  (corral)
 *     pod  [+memory +pids] memory.max=536870912 */
void cgroup_plan_print(const struct cgroup_plan *p, FILE *out);

/* Pure parsers of cgroupfs and procfs text, exposed for tests. */
/* The v2 line "0::/path" of /proc/PID/cgroup. */
int cgroup_parse_proc_cgroup(const char *text, char **ret_path);
/* Mount point of the first cgroup2 mount in /proc/PID/mountinfo text
 * (octal escapes undone); -ENOENT when none.  *ret_root is the mount's root
 * inside the hierarchy (field 4), "/" unless a sub-tree was bind mounted. */
int cgroup_parse_mountinfo(const char *text, char **ret_mount, char **ret_root);
/* Split a space-separated list ("cpu memory pids\n") into a NULL-terminated
 * array. */
int cgroup_parse_list(const char *text, char ***ret);
void cgroup_strv_free(char **v);
/* The value of "KEY N" in flat-keyed files (cgroup.events, memory.events). */
int cgroup_parse_keyed(const char *text, const char *key, uint64_t *ret);

/* What the kernel and the container runtime give corral (SPEC 8). */
struct cgroup_probe {
        char *mount;       /* cgroup2 mount point, NULL when none is mounted */
        char *root;        /* absolute path of the cgroup root corral would own */
        bool hierarchy_root; /* root is the hierarchy's top cgroup (holds kernel threads) */
        bool writable;
        char **controllers; /* the root's cgroup.controllers, NULL-terminated */
        bool has_kill;      /* cgroup.kill exists (Linux 5.14) */
        bool clone_into_cgroup;
        char *problem;      /* why cgroup2 is not usable, NULL when it is */
};

/* Probe.  root_override is --cgroup-root or NULL (then corral's own cgroup
 * from /proc/self/cgroup under the cgroup2 mount).  Never fails for a
 * missing cgroup2: that is described in ret->problem.  Only creates a
 * short-lived child to test clone3(CLONE_INTO_CGROUP).  -ENOMEM. */
int cgroup_probe(const char *root_override, struct cgroup_probe *ret);
void cgroup_probe_done(struct cgroup_probe *p);
void cgroup_probe_print(const struct cgroup_probe *p, FILE *out);

/* The load-time decision of SPEC 3 and 8 in one place: plan against what
 * the probe found.  *ret is NULL when corral runs without cgroups: cgroup2
 * is unusable and either settings.cgroups is "optional" or nothing needs a
 * cgroup (a warning is added to warn then).  With "required", declared
 * limits and an unusable cgroup2 it is an error in d naming what is missing. */
int cgroup_plan_load(const struct model *m, const struct cgroup_probe *probe,
                     struct cgroup_plan **ret, struct diags *d, struct diags *warn);

/* The applied tree. */
struct cgroup_tree;

/* Build the tree: open the root, create `init`, move corral and every other
 * process of the root into it before any controller is enabled, then create
 * the cgroups top-down, set cgroup.type, enable controllers and write the
 * limits.  The plan must outlive the tree.  On failure what was made is
 * removed again and the step is named in d ("cgroup pod/web: mkdir: ..."). */
int cgroup_tree_apply(const struct cgroup_plan *plan, const struct cgroup_probe *probe,
                      struct cgroup_tree **ret, struct diags *d);
/* Remove every cgroup the tree made except `init`, deepest first, then free
 * it.  Returns 0 or the first error (-EBUSY: a cgroup still populated). */
int cgroup_tree_destroy(struct cgroup_tree *t);

/* O_DIRECTORY|O_CLOEXEC fd of the service's leaf, owned by the tree (for
 * spawn_plan.cgroup_fd); the leaf is made again (with its limits) when it
 * was removed.  A leaf killed through cgroup.kill is removed and made anew
 * first; -EBUSY while such a leaf still holds exiting processes on a
 * kernel that would SIGKILL a child cloned into it (retry on
 * CGROUP_EVENT_EMPTIED). */
int cgroup_service_fd(struct cgroup_tree *t, size_t service);
/* Relative path of the service's leaf under the root. */
const char *cgroup_service_path(const struct cgroup_tree *t, size_t service);
/* Kill every process of the service's leaf: cgroup.kill where the kernel has
 * it, else freeze the leaf and SIGKILL each member (through a pidfd, once
 * it is known to be still in the leaf) until a pass finds none new.
 * Returns 1 when the cgroup is already empty, 0 when processes were killed
 * (wait for CGROUP_EVENT_EMPTIED or poll cgroup_service_populated()).
 * CGROUP_EVENT_EMPTIED is reported only for leaves killed this way. */
int cgroup_service_kill(struct cgroup_tree *t, size_t service);
/* 1 when some process is in the leaf, 0 when not, -errno. */
int cgroup_service_populated(struct cgroup_tree *t, size_t service);
/* Remove the leaf (after the service stopped for good); 0 when it does not
 * exist.  -EBUSY while it is populated: it is removed then as soon as it
 * is empty (on the event fd's dispatch), or made ready again by the next
 * cgroup_service_fd(). */
int cgroup_service_remove(struct cgroup_tree *t, size_t service);

struct cgroup_stats {
        bool has_memory;        /* memory.current exists in the leaf */
        uint64_t memory_current;
        bool memory_limited;    /* memory.max is not "max" */
        uint64_t memory_max;
        uint64_t oom_kills;     /* oom_kill of the leaf's memory.events */
};
int cgroup_service_stats(struct cgroup_tree *t, size_t service, struct cgroup_stats *ret);

/* Events for the supervisor's loop: an inotify fd, readable when some leaf's
 * cgroup.events or memory.events changed.  dispatch reads it (non-blocking)
 * and calls cb for each change found. */
enum cgroup_event_kind {
        CGROUP_EVENT_OOM,     /* oom_kill grew: count is the new total, delta the growth */
        CGROUP_EVENT_EMPTIED, /* the leaf's cgroup.events says populated 0 */
};
struct cgroup_event {
        enum cgroup_event_kind kind;
        size_t service;
        uint64_t count, delta;
};
typedef void (*cgroup_event_cb)(void *userdata, const struct cgroup_event *ev);
int cgroup_tree_event_fd(const struct cgroup_tree *t);
int cgroup_tree_dispatch(struct cgroup_tree *t, cgroup_event_cb cb, void *userdata);

/* corral's cgroup life in one object, as main.c drives it: probe and plan at
 * load (nothing is created), apply before the first service starts, remove
 * at exit. */
struct cgroup_ctl {
        struct cgroup_probe probe;
        struct cgroup_plan *plan; /* NULL: corral runs without cgroups */
        struct cgroup_tree *tree; /* once applied */
        const struct model *m;
};
/* Probe (root_override: --cgroup-root) and plan.  Load errors go to d
 * (-EINVAL), warnings (cgroups unusable and "optional") to warn. */
int cgroup_ctl_load(struct cgroup_ctl *c, const struct model *m, const char *root_override,
                    struct diags *d, struct diags *warn);
/* For --check: what the probe found and the planned tree. */
void cgroup_ctl_print(const struct cgroup_ctl *c, FILE *out);
/* Build the tree (nothing to do without a plan). */
int cgroup_ctl_apply(struct cgroup_ctl *c, struct diags *d);
/* The leaf fd for spawn_plan.cgroup_fd, -1 when corral runs without cgroups. */
int cgroup_ctl_service_fd(struct cgroup_ctl *c, size_t service);
/* For status: the leaf's path under the root and its memory and OOM figures;
 * -ENODATA when corral runs without cgroups. */
const char *cgroup_ctl_service_path(const struct cgroup_ctl *c, size_t service);
int cgroup_ctl_stats(struct cgroup_ctl *c, size_t service, struct cgroup_stats *ret);
/* Reload: build nc's tree where old's stands (nc loaded with old's root),
 * taking over the cgroups old made and removing those the new plan lacks
 * (one whose processes are still exiting once it is empty, through nc's
 * event fd, or at the end).  old is left without a tree.  -EOPNOTSUPP when nc has no plan but old has
 * a tree. */
int cgroup_ctl_adopt(struct cgroup_ctl *nc, struct cgroup_ctl *old, struct diags *d);
/* At exit: kill whatever is left in the leaves, wait (up to timeout_ms, on
 * cgroup.events) until they are empty, remove every cgroup corral made
 * except init, free everything.  Returns 0 or the first removal error. */
int cgroup_ctl_done(struct cgroup_ctl *c, int timeout_ms);
