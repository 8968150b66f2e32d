/* Internals of the supervisor shared by its files: the per-service runtime,
 * the event dispatch (supervisor.c), process handling (process.c) and the
 * event loop (loop.c, the only file that includes <ev.h>). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model.h"
#include "order.h"
#include "registry.h"
#include "service.h"
#include "supervisor.h"

struct loop;
struct console;
struct output;
struct sup_ext;

struct svc {
        const struct service *def;
        struct svc_params params;
        pid_t pid;  /* main process while not reaped, else 0 */
        int pidfd;  /* -1 where pidfds are unavailable */
        bool want_start;     /* waits for its `after` to become ready */
        bool stop_requested; /* STOP sent during the pod's shutdown */
        struct output *out;  /* NULL when output is not captured */
        size_t ns_report;    /* 1 + its slot in sup.ns_reports while its
                                pid namespace's init runs, 0: none */
};

struct sup {
        const struct model *m;
        const struct supervisor_options *opts;
        struct svc *svcs;
        struct svc_rt *rts; /* one per service, contiguous for order.h */
        size_t n;
        struct order order;
        struct registry pids;
        struct loop *loop;
        struct console *console;
        uint64_t rnd_state;

        bool shutting_down;
        bool killed_all;       /* the shutdown budget ran out once */
        int shutdown_signal;   /* what started it, 0 for a main service's end */
        bool have_main_status;
        int main_status;       /* wait status of the first main service to end */
        bool any_failed;
        int exit_code;
        bool done;             /* the loop may end */
        struct sup_ext *ext;   /* control, readiness and reload (ext.h) */

        /* Starts collected during one pass of the start order, made at
         * once (proc_spawn_many) when the pass ends. */
        bool collecting;
        bool advancing;        /* inside advance_start() */
        size_t *batch;
        size_t n_batch, cap_batch;
        /* Where a waiting service may have become startable: every service
         * (scan_all: at start and after a reload), else the dependents of
         * the services that became ready since the last look. */
        size_t n_down, n_ready; /* services down, and ready (kept by
                                   sup_dispatch_event(), recounted by
                                   sup_rescan()) */
        bool scan_all;
        size_t *readied;
        size_t n_readied, cap_readied;
        /* The same for the stop order: every service once when the pod's
         * stop begins, then the `after` services of what went down. */
        bool stop_scan_all;
        size_t *downed;
        size_t n_downed, cap_downed;
        /* Shared with the inits of services' PID namespaces (MAP_SHARED),
         * made on the first such start; ns_used says which slots are taken. */
        struct ns_exit_report *ns_reports;
        bool *ns_used;
        size_t ns_cursor;
};

/* ---- supervisor.c: events in, effects out ---------------------------- */

/* Restart jitter (svc_params.rnd), userdata the struct sup. */
double sup_random(void *userdata);

/* Feed one event to service idx and carry out the effects. */
void sup_dispatch(struct sup *s, size_t idx, enum svc_event_kind kind, int status);
/* The same with a whole event (a START by an operator: .manual). */
void sup_dispatch_event(struct sup *s, size_t idx, struct svc_event *ev);
/* The set of services changed (a reload): count them again, and look at
 * every one for a start. */
void sup_rescan(struct sup *s);
/* Move the start or stop order on after an event from outside the
 * supervisor's own watchers (control, notify, probes). */
void sup_settle(struct sup *s);
/* A child was reaped (pid may be an orphan of anyone). */
void sup_on_child(struct sup *s, pid_t pid, int status);
/* The per-service timer fired (backoff or stop timeout). */
void sup_on_timer(struct sup *s, size_t idx);
/* The pod's shutdown budget ran out. */
void sup_on_shutdown_timeout(struct sup *s);
/* A signal arrived (SIGCHLD excepted). */
void sup_on_signal(struct sup *s, int sig);
/* Begin the ordered stop of the pod. */
void sup_shutdown(struct sup *s, int sig);

/* ---- process.c: the kernel side of one service ----------------------- */

/* Spawn service idx.  0 on success (pid registered); otherwise a failed
 * start, already logged, with *ret_status the end to record. */
int proc_spawn(struct sup *s, size_t idx, int *ret_status);
/* Spawn services idx[0..n) together, then feed each SPAWNED or
 * SPAWN_FAILED: first every SPAWNED, so that all pids are known before any
 * event can stop the pod. */
void proc_spawn_many(struct sup *s, const size_t *idx, size_t n);
/* Send sig to the service's main process (group: to its process group when
 * it has its own session).  Never hits a recycled pid: pid is only set while
 * the process is unreaped, and the pidfd is used where it exists. */
int proc_signal(struct sup *s, size_t idx, int sig, bool group);
/* SIGKILL everything of the service (the kill_all hook, else its group). */
void proc_kill_all(struct sup *s, size_t idx);
/* The main process was reaped with status: forget pid and pidfd, run
 * after_exit.  Returns the status to record: the service's own when the
 * main process was the init of its PID namespace and left a report. */
int proc_reaped(struct sup *s, size_t idx, int status);
/* Unmap what proc_reaped() reads. */
void proc_done(struct sup *s);

/* ---- loop.c: libev ---------------------------------------------------- */

int loop_new(struct sup *s, struct loop **ret);
void loop_free(struct loop *l);
/* Run until loop_quit(). */
void loop_run(struct loop *l);
void loop_quit(struct loop *l);
/* One timer per service: a backoff and a stop timeout never overlap. */
void loop_timer_arm(struct loop *l, size_t idx, uint32_t ms);
void loop_timer_cancel(struct loop *l, size_t idx);
void loop_shutdown_timer_arm(struct loop *l, uint32_t ms);
/* Watch the console's fds (call after console_init; loop_output_attach()
 * does it too). */
void loop_console_attach(struct loop *l);
/* Watch the output of service idx (call after output_new). */
void loop_output_attach(struct loop *l, size_t idx);
/* The set of services changed: old_of_new[i] is the old index of new
 * service i (-1: new); its timer keeps running with the time it had left. */
int loop_resize(struct loop *l, size_t n, const ssize_t *old_of_new, size_t old_n);

/* One-shot timers and read watchers for everything beyond the per-service
 * timer: sockets, probes, watchdogs.  NULL when out of memory. */
/* Watch fd instead of hooks.event_fd from now on (-1: none). */
void loop_hook_fd(struct loop *l, int fd);
typedef void (*loop_cb)(void *ud);
struct loop_timer *loop_timer_new(struct loop *l, loop_cb cb, void *ud);
void loop_timer_start(struct loop_timer *t, uint32_t ms);
void loop_timer_stop(struct loop_timer *t);
bool loop_timer_active(const struct loop_timer *t);
void loop_timer_free(struct loop_timer *t);
struct loop_io *loop_io_new(struct loop *l, int fd, loop_cb cb, void *ud);
void loop_io_free(struct loop_io *io);
