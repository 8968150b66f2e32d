/* The supervisor: runs the services of a validated model as PID 1 (or as a
 * child subreaper), reaps every child, restarts by policy, forwards signals
 * and stops the pod in reverse start order (SPEC 7). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"
#include "model.h"
#include "spawn.h"

struct cgroup_stats; /* cgroup.h */

/* Seams for what cgroups and namespaces add to a service's life.  Every
 * function may be NULL. */
struct sup_hooks {
        /* Before each spawn: set p->cgroup_fd and p->ns.  Returns 0 or -errno
         * (the start then fails like a failed exec, logged with context). */
        int (*prepare_spawn)(void *ud, const struct service *s, struct spawn_plan *p);
        /* After the spawn attempt: release what prepare_spawn opened. */
        void (*spawn_done)(void *ud, const struct service *s, struct spawn_plan *p);
        /* Send sig to every process of the service (cgroup.kill for SIGKILL).
         * -EOPNOTSUPP: the supervisor falls back to the process group. */
        int (*kill_all)(void *ud, const struct service *s, int sig);
        /* Its main process was reaped: kill and collect what it left, remove
         * per-run state. */
        void (*after_exit)(void *ud, const struct service *s);
        /* It was stopped on request and nothing of it runs any more: remove
         * what belongs to it alone (its leaf cgroup). */
        void (*stopped)(void *ud, const struct service *s);
        /* An fd the loop watches for reading (-1: none); on_event is then
         * called (cgroup OOM and "populated" events). */
        int event_fd;
        void (*on_event)(void *ud);
        /* The service's leaf cgroup (an fd owned by the hooks, for probes and
         * `corralctl exec` to join), or -errno. */
        int (*cgroup_fd)(void *ud, const struct service *s);
        /* Memory and OOM figures for status; -errno when there are none. */
        int (*stats)(void *ud, const struct service *s, struct cgroup_stats *ret);
        /* Reload accepted: check the new model m as --check does (cgroup and
         * namespace plans), adding every error to d (-EINVAL), and keep the
         * plans made for it; nothing changes on the system yet.  m stays
         * until reload_commit or reload_abort. */
        int (*reload_prepare)(void *ud, const struct model *m, struct diags *d);
        /* From now on services are those of the prepared model (every
         * changed and removed service of the old model is down): apply its
         * plans.  0 with *ret_event_fd the fd to watch instead of event_fd
         * (-1: none); or -errno, with nothing changed: the old plans stay
         * in force and the prepared ones are dropped. */
        int (*reload_commit)(void *ud, int *ret_event_fd);
        /* The prepared plans are not used (the pod stops first). */
        void (*reload_abort)(void *ud);
        void *ud;
};

struct supervisor_options {
        const char *run_dir;
        /* What a reload reads again; NULL: reload is refused. */
        const struct config_request *config;
        /* The real PID 1 of a machine: run until asked to power off, reboot
         * or halt (SPEC 7), even with no service left. */
        bool machine;
        /* Set to the signal that ended the run (SIGTERM for `corralctl
         * shutdown`), 0 when the pod ended on its own.  May be NULL. */
        int *ret_signal;
        /* Where the model of the last reload is handed over at the end
         * (NULL when there was none), for hooks that still read it; the
         * caller frees it with model_free() and free().  When this is NULL
         * the supervisor frees it itself. */
        struct model **ret_model;
        char **base_env;        /* the environment corral was given */
        bool tini_mode;         /* `-- COMMAND` without config: forward every signal (tini) */
        struct sup_hooks hooks;
};

/* Run every service of m until the pod ends (its main service ended for
 * good, a SIGTERM/SIGINT shutdown finished, or nothing is left to run).
 * Returns corral's exit status: the main service's code or 128+signal, 0
 * after a requested shutdown without a main service, 1 when a service
 * failed for good or on a runtime failure. */
int supervisor_run(const struct model *m, const struct supervisor_options *o);
