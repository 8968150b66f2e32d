/* What corral sets up around its services, in one place for main.c: the
 * cgroup hierarchy (cgroup.h) and the namespaces and roots (ns.h), loaded
 * and checked with the config, applied before the first service starts,
 * plugged into the supervisor through its hooks, removed at exit. */
#pragma once

#include <stdio.h>

#include "cgroup.h"
#include "diag.h"
#include "model.h"
#include "supervisor.h"

struct host {
        const struct model *m;
        const char *run_dir;
        const char *cgroup_root; /* --cgroup-root, NULL: corral's own cgroup */
        struct cgroup_ctl cg;
        struct ns_ctl *ns;
        struct host *next;       /* a reload's plans, prepared and not applied yet */
};

/* Probe and plan (changes nothing).  Errors go to d (-EINVAL), warnings
 * (cgroups unusable and optional) to warn. */
int host_load(struct host *h, const struct model *m, const char *cgroup_root, const char *run_dir,
              struct diags *d, struct diags *warn);
/* --check: the cgroup tree and each service's namespaces and mounts. */
void host_print(const struct host *h, FILE *out);
/* Create the cgroup tree and the pods' namespaces.  Errors go to d. */
int host_apply(struct host *h, struct diags *d);
/* The supervisor's hooks for h: leaf cgroup and namespace plan at spawn,
 * kill by cgroup, OOM reports, and a reload's plans: made and checked
 * when it is accepted, applied when its services are swapped (or, when
 * that fails, dropped with the old ones left in force). */
struct sup_hooks host_hooks(struct host *h);
/* Kill what is left in the cgroups (waiting up to timeout_ms), remove what
 * corral made, unpin the pods. */
void host_done(struct host *h, int timeout_ms);
