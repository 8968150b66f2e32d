/* Namespaces and root filesystems of services (SPEC 4 and 5).
 *
 * Plan in the parent, apply in the child: ns_plan_build() computes clone
 * flags, setns targets, id maps and the ordered mount list; the child runs
 * ns_child_setup() right after clone, before ids are dropped and exec. */
#pragma once

#include <stdbool.h>
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

/* CLONE_NEW* flags the child is created with. */
int ns_plan_clone_flags(const struct ns_plan *p);

/* In the parent, after clone, before the child is released: uid/gid maps. */
int ns_parent_setup(const struct ns_plan *p, pid_t child);

/* In the child: join pod namespaces, hostname, lo up, mounts, pivot_root.
 * With a new PID namespace this forks: the caller's process becomes the
 * namespace's small init (reaps, forwards signals, exits with the service's
 * status, never returns) and the function returns in the service process.
 * errfd is the spawn error pipe, which the init must close.  No malloc.
 * Returns 0 or -errno. */
int ns_child_setup(const struct ns_plan *p, int errfd);

/* Print the namespace and mount plan of a service for --check. */
void ns_plan_print(const struct ns_plan *p, FILE *out);
