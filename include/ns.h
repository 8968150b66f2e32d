/* Namespaces and root filesystems of services (SPEC 4 and 5).
 *
 * Plan in the parent, apply in the child: ns_plan_build() computes clone
 * flags, setns targets, id maps and the ordered mount list; the child runs
 * ns_child_setup() right after clone, before ids are dropped and exec. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "diag.h"
#include "model.h"

struct ns_plan;

/* Build the plan for one service; NULL *ret when it declares nothing.
 * run_dir locates pinned pod namespaces (RUN_DIR/ns/GROUP/).  Errors are
 * added to d with the service's name and the path. */
int ns_plan_build(const struct model *m, const struct service *s, const char *run_dir,
                  struct ns_plan **ret, struct diags *d);
void ns_plan_free(struct ns_plan *p);

/* CLONE_NEW* flags the child is created with (0 for a NULL plan).  A cgroup
 * namespace is not among them: the child unshares it in ns_child_setup(),
 * once it sits in its own cgroup, so that cgroup becomes its root. */
int ns_plan_clone_flags(const struct ns_plan *p);

/* In the parent, after clone, before the child is released: uid/gid maps
 * (with "deny" written to setgroups first when corral lacks CAP_SETGID). */
int ns_parent_setup(const struct ns_plan *p, pid_t child);
/* The same, with a message for the log on failure:
 * "service \"x\": uid_map \"0 1000 1\": Operation not permitted" (free it). */
int ns_parent_setup_msg(const struct ns_plan *p, pid_t child, char **ret_msg);
/* After ns_parent_setup() failed: the map it was writing, for
 * spawn_error.arg (ns_failure_describe() gives "uid_map \"0 1000 1\""). */
int ns_parent_failure(void);

/* Where a PID namespace's init leaves the service's own wait status as it
 * exits: its exit code can only say 128+N for a service killed by signal N
 * (a namespace's pid 1 cannot die of its own signals).  In memory the init
 * shares with corral (MAP_SHARED), which reads it once it reaped the init,
 * and trusts it when reported equals the gen of that start. */
struct ns_exit_report {
        int32_t gen;      /* set by corral before each start */
        int32_t reported; /* the gen the init saw at its start, set last */
        int32_t status;   /* the service's, as waitpid() gave it */
};

/* In the child: join pod namespaces, hostname, lo up, mounts, pivot_root.
 * With a new PID namespace this forks: the caller's process becomes the
 * namespace's small init (reaps, forwards signals, exits with the service's
 * status, never returns) and the function returns in the service process.
 * errfd is the spawn error pipe, which the init must close; report, if not
 * NULL, where the init leaves the service's status.  No malloc.
 * Returns 0 or -errno. */
int ns_child_setup(const struct ns_plan *p, int errfd, struct ns_exit_report *report);

/* After ns_child_setup() failed, in the child: what it was doing, a small
 * int for spawn_error.arg.  In the parent, ns_failure_describe() turns it
 * into text: "mount overlay on /", "setns net /run/corral/ns/pod/net". */
int ns_child_failure(void);
void ns_failure_describe(const struct ns_plan *p, int what, char *buf, size_t size);

/* The notify socket of a service with its own root (type "notify") is
 * bound on NS_NOTIFY_IN_ROOT inside that root, from RUN_DIR/notify. */
#define NS_NOTIFY_SOCKET_NAME "notify"
#define NS_NOTIFY_IN_ROOT "/run/host/notify"
/* NOTIFY_SOCKET as service s sees it: NS_NOTIFY_IN_ROOT in a root of its
 * own, else host_path (which may be NULL: no socket). */
const char *ns_notify_socket(const struct service *s, const char *host_path);

/* Print the namespace and mount plan of a service for --check. */
void ns_plan_print(const struct ns_plan *p, FILE *out);

/* Pods: the namespaces groups declare (net, ipc, uts, hostname), created
 * once and pinned by bind mounts on RUN_DIR/ns/GROUP/{net,ipc,uts}, so that
 * every service below the group joins them, across restarts.  Call before
 * the first service starts (it forks nothing: a short-lived thread unshares).
 * Errors name the group and the path. */
int ns_pods_setup(const struct model *m, const char *run_dir, struct diags *d);
/* Unmount and remove what ns_pods_setup() made (also what a crashed corral
 * left behind under RUN_DIR/ns).  Safe to call when nothing was set up. */
void ns_pods_teardown(const struct model *m, const char *run_dir);

/* Which namespaces the kernel and the container runtime let corral create,
 * as CLONE_NEW* flags: a short-lived child tries unshare() for each kind and
 * exits (created without an exit signal, so a supervisor's waitpid(-1)
 * never sees it; it is collected here with __WCLONE).  Returns 0 or -errno. */
int ns_probe(int *ret_flags);
/* overlayfs is in /proc/filesystems, or a module the kernel loads on the
 * first mount exists. */
bool ns_overlay_available(void);
/* "pid mount net uts ipc cgroup user" (the kinds present in flags). */
void ns_flags_print(int flags, FILE *out);

/* Everything the supervisor needs from this module, built at load time:
 * every service's plan, checked against what the kernel offers. */
struct ns_ctl;
/* Build the plans of every service of m (which must outlive c).  supported: CLONE_NEW* flags the
 * kernel allows (from ns_probe()), or -1 to probe here.  A declared
 * namespace the kernel refuses is an error naming the service (or group),
 * the key and what is missing.  All errors go to d; -EINVAL then. */
int ns_ctl_new(const struct model *m, const char *run_dir, int supported, struct ns_ctl **ret, struct diags *d);
/* The plan of the service called name (NULL: it declares nothing). */
const struct ns_plan *ns_ctl_plan(const struct ns_ctl *c, const char *name);
/* --check: what the kernel offers (namespaces, overlayfs) and each
 * service's namespaces and mount plan. */
void ns_ctl_print(const struct ns_ctl *c, FILE *out);
/* Before the first service starts: create and pin the pods' namespaces. */
int ns_ctl_start(struct ns_ctl *c, struct diags *d);
/* Reload: the pods old set up are c's now (their groups must be declared
 * alike in both models), to be torn down when c is freed. */
void ns_ctl_take_pods(struct ns_ctl *c, struct ns_ctl *old);
/* Unpin the pods (when started) and free everything. */
void ns_ctl_free(struct ns_ctl *c);

