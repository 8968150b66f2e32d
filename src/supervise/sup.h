/* Internals of the supervisor, shared by its files.
 *
 * The direction: events in, effects out, no re-entry.  The loop's
 * callbacks (reaper, timers, signals, the control and notify sockets,
 * probes) only post events for services (events.c); once per loop
 * iteration the dispatcher (dispatch.c) feeds them to each service's state
 * machine (lifecycle.c) and carries out the effects, posting what those
 * raise in turn, and lets the start and stop orders (sequence.c) go on.
 * Readiness (ready.c, sdnotify.c), control (control.c) and reload
 * (reconfig.c) are producers of events and consumers of effects: none of
 * them calls back into the dispatcher.  A reload's swap of the service
 * set happens only between dispatcher runs, with no event queued. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "control.h"
#include "loop.h"
#include "model.h"
#include "notify.h"
#include "order.h"
#include "probe.h"
#include "registry.h"
#include "service.h"
#include "supervisor.h"

struct console;
struct output;
struct reload;

/* What watches a service beside its process: probes, the ready deadline,
 * the watchdog, its last STATUS=.  Allocated one by one, so that the
 * pointer held by timers and probe children stays valid when a reload
 * moves the service to a new index. */
struct svc_watch {
        struct sup *s;
        size_t idx;
        struct loop_timer *probe;    /* next attempt, or the running attempt's deadline */
        struct loop_timer *deadline; /* ready timeout_ms */
        struct loop_timer *watchdog; /* watchdog_ms since the last WATCHDOG=1 */
        bool watchdog_due;           /* its expiry is being judged: a WATCHDOG=1
                                        read meanwhile re-arms it */
        int probe_slot;              /* aux slot of the running attempt, -1 */
        bool probing_health;         /* the probe timer serves health, not ready */
        uint32_t health_fails;
        char status[256];            /* last STATUS= */
};

struct svc {
        const struct service *def;
        struct svc_params params;
        pid_t pid;               /* main process while not reaped, else 0 */
        int pidfd;               /* -1 where pidfds are unavailable */
        bool adopted;            /* pid came from MAINPID=: maybe not corral's child,
                                   no process group of its own */
        uint64_t start_time;     /* of an adopted pid (/proc/PID/stat), to verify it
                                   where there is no pidfd */
        struct loop_io *main_io; /* an adopted pid's pidfd, readable once it exits */
        struct output *out;      /* NULL when output is not captured */
        struct svc_watch *watch;
        size_t ns_report;        /* 1 + its slot in sup.ns_reports while its
                                    pid namespace's init runs, 0: none */
};

/* Children of corral that are not services: probe attempts and
 * `corralctl exec`.  Registry values with AUX_PID_TAG are these; the rest
 * of the value is the slot. */
#define AUX_PID_TAG 0x80000000u
#define AUX_MAX 256
struct aux_child;
/* An aux child ended with status (its slot is free again; the callback
 * owns a->conn_fd). */
typedef void (*aux_exit_cb)(struct sup *s, const struct aux_child *a, int status);
struct aux_child {
        pid_t pid;       /* 0: free */
        aux_exit_cb cb;  /* NULL once nobody waits for it */
        void *ud;
        int conn_fd;     /* a connection to answer (or close if corral ends first), -1 */
};

/* A queued event for service idx. */
struct sup_event {
        size_t idx;
        struct svc_event ev;
};

/* A list of services for the start or stop order to look at; out of
 * memory, the order looks at every service instead (all). */
struct worklist {
        size_t *v;
        size_t n, cap;
        bool all;
};

struct sup {
        const struct model *m;
        const struct supervisor_options *opts;
        size_t n;
        struct svc *svcs;
        struct svc_rt *rts; /* one per service, contiguous for order.h */
        struct order order;
        struct registry pids;
        struct loop *loop;
        struct console *console;
        uint64_t rnd_state;

        /* events.c: the queue, a ring */
        struct sup_event *queue;
        size_t q_head, q_len, q_cap;
        void (*step_now)(struct sup *s, const struct sup_event *e); /* out of memory only */

        /* dispatch.c */
        bool dispatching;
        bool recount;           /* the set of services changed: count again */
        size_t n_down, n_ready; /* services down, and ready */
        size_t *batch;          /* SPAWN effects of one run, made at once */
        size_t n_batch, cap_batch;

        /* sequence.c */
        struct worklist starts, stops;

        /* pod.c */
        bool stopping;          /* the pod's ordered stop began */
        int stop_signal;        /* what began it, 0 for a main service's end */
        bool killed_all;        /* the stop budget ran out once */
        bool have_main_status;
        int main_status;        /* wait status of the first main service to end */
        bool any_failed;
        bool sent_ready;        /* READY=1 went to corral's own manager */
        bool done;              /* the loop may end */
        struct loop_timer *budget;

        /* aux.c */
        struct aux_child aux[AUX_MAX];

        /* sockets.c */
        char *control_path;
        struct ctl_server *ctl;
        struct loop_io *ctl_io;
        struct notify_server *notify;
        struct loop_io *notify_io;
        struct loop_io *hook_io; /* hooks.event_fd */

        /* sdnotify.c, mainpid.c */
        struct notify_target *targets; /* one per service, refreshed per datagram */
        size_t cap_targets;
        int cg_known;                  /* 0: not yet asked, 1: cg_base holds corral's
                                          cgroup root as /proc/PID/cgroup shows it, -1:
                                          services run without cgroups */
        char cg_base[1024];
        uint64_t notify_dropped;       /* datagrams no service's notify_access let in */
        uint64_t notify_warned_ms;     /* the last warning about them */

        /* reconfig.c */
        struct reload *reload;

        /* process.c: shared with the inits of services' PID namespaces
         * (MAP_SHARED), made on the first such start; ns_used says which
         * slots are taken. */
        struct ns_exit_report *ns_reports;
        bool *ns_used;
        size_t ns_cursor;
};


/* A service's record from its definition: no process, jitter from s. */
static inline void svc_setup(struct sup *s, struct svc *v, const struct service *def) {
        *v = (struct svc){ .def = def, .pidfd = -1 };
        svc_params_from_service(def, &v->params);
        v->params.rnd = backoff_random;
        v->params.rnd_data = &s->rnd_state;
}

/* ---- events.c: the queue between producers and the dispatcher --------- */

/* Room for cap events without allocating (at start and after a reload).
 * 0 or -ENOMEM. */
int events_reserve(struct sup *s, size_t cap);
/* Free the queue (at the end, with nothing left in it to take). */
void events_free(struct sup *s);
/* Queue ev for service idx (now_ms is filled when it is taken). */
void sup_post(struct sup *s, size_t idx, const struct svc_event *ev);
void sup_post_kind(struct sup *s, size_t idx, enum svc_event_kind kind);
/* The oldest queued event; false when none is queued. */
bool events_pop(struct sup *s, struct sup_event *ret);
/* Nothing is queued (a reload swaps the services only then). */
bool events_empty(const struct sup *s);

/* ---- dispatch.c: events in, effects out ------------------------------- */

/* Feed every queued event to its service's state machine and carry out the
 * effects, spawn what they started, let the start and stop orders go on,
 * until nothing is left to do.  Never re-entered.  With s->recount (the
 * set of services changed) it counts them again first. */
void dispatch_run(struct sup *s);

/* ---- sequence.c: the start and stop orders in motion ------------------ */

/* Look at idx for the start order (it waits to start), at the dependents
 * of idx (it became ready), for the stop order (it is to stop), at the
 * `after` services of idx (it went down). */
void seq_want_start(struct sup *s, size_t idx);
void seq_ready(struct sup *s, size_t idx);
void seq_want_stop(struct sup *s, size_t idx);
void seq_down(struct sup *s, size_t idx);
/* Look at every service again (a reload changed them). */
void seq_rescan(struct sup *s);
/* Post START and STOP for what may go now.  true when it posted. */
bool seq_pass(struct sup *s);
/* Services still waiting for an `after` that will never be ready. */
void seq_log_stranded(const struct sup *s);
/* Free the lists. */
void seq_done(struct sup *s);

/* ---- pod.c: the pod as a whole ---------------------------------------- */

/* The stop budget's timer; -ENOMEM.  pod_done() frees it. */
int pod_init(struct sup *s);
void pod_done(struct sup *s);
/* Begin the ordered stop of the pod (sig: what asked for it, 0 when a main
 * service ended). */
void pod_stop(struct sup *s, int sig);
/* A main service ended for good (effect POD_END). */
void pod_main_ended(struct sup *s, size_t idx);
/* A signal arrived (SIGCHLD excepted): shutdown, reload or forward. */
void pod_on_signal(struct sup *s, int sig);
/* After the dispatcher ran: READY=1 upward, and the end of the loop when
 * nothing is left to run. */
void pod_settle(struct sup *s);
/* corral's exit status (SPEC 7). */
int pod_exit_code(const struct sup *s);

/* ---- process.c: the kernel side of one service ------------------------ */

/* Spawn services idx[0..n) together, then post SPAWNED or SPAWN_FAILED for
 * each: every SPAWNED first, so that all pids are known before any event
 * can stop the pod. */
void proc_spawn_many(struct sup *s, const size_t *idx, size_t n);
/* Send sig to the service's main process (group: to its process group when
 * it has its own session).  Never hits a recycled pid: pid is only set while
 * the process is unreaped, and the pidfd is used where it exists. */
int proc_signal(struct sup *s, size_t idx, int sig, bool group);
/* SIGKILL everything of the service (the kill_all hook, else its group). */
void proc_kill_all(struct sup *s, size_t idx);
/* The main process of idx ended (status: its wait status), whether reaped
 * here or seen through its pidfd: forget it and post EXITED. */
void proc_main_ended(struct sup *s, size_t idx, int status);
/* A child was reaped: a service's main process (EXITED is posted), an aux
 * child, or an orphan. */
void proc_on_child(struct sup *s, pid_t pid, int status);
/* Where probe attempts and exec enter the service (cgroup_fd borrowed). */
void proc_enter_target(struct sup *s, size_t idx, struct enter_target *ret);
/* Unmap what proc_on_child() reads. */
void proc_done(struct sup *s);

/* ---- aux.c: children that are not services ---------------------------- */

/* A free slot registered for pid, whose end goes to cb; or -errno. */
int aux_add(struct sup *s, pid_t pid, aux_exit_cb cb, void *ud, int conn_fd);
/* Nobody waits for the children whose cb data is ud any more. */
void aux_forget(struct sup *s, const void *ud);
/* An aux child was reaped (tag: its registry value). */
void aux_on_child(struct sup *s, pid_t pid, uint32_t tag, int status);
/* corral is going away: kill what is left, close its connections. */
void aux_done(struct sup *s);

/* ---- sockets.c: the run directory and its sockets --------------------- */

/* Make the run dir, open the control and notify sockets, watch them and
 * the hooks' event fd.  Failures are logged: corral still supervises
 * without them. */
void sockets_open(struct sup *s);
/* Watch fd instead of hooks.event_fd from now on (-1: none). */
void sockets_hook_fd(struct sup *s, int fd);
/* Close the sockets (unlinking them) and stop watching. */
void sockets_close(struct sup *s);

/* ---- ready.c: readiness and liveness probes --------------------------- */

/* The watch record of service idx, idle until its process runs; NULL when
 * out of memory.  watch_free() stops its timers and forgets its probe. */
struct svc_watch *watch_new(struct sup *s, size_t idx);
void watch_free(struct sup *s, struct svc_watch *w);
/* After each state-machine step of service idx. */
void ready_on_change(struct sup *s, size_t idx, const struct svc_effects *eff);

/* ---- sdnotify.c: the notify protocol on corral's side ----------------- */

/* NOTIFY_SOCKET for service idx, NULL unless it is of type notify. */
const char *sdnotify_socket(const struct sup *s, size_t idx);
/* Add WATCHDOG_USEC (sd_watchdog_enabled(3)) for a service with
 * watchdog_ms.  0 or -ENOMEM. */
int sdnotify_spawn_env(const struct sup *s, size_t idx, struct spawn_plan *p);
/* The notify socket is readable: each datagram is attributed to a service
 * and becomes events (READY, FAIL) or updates (STATUS=, MAINPID=,
 * WATCHDOG=1). */
void sdnotify_on_readable(void *ud);
/* Read what waits in the notify socket now (a bounded number): a timer that
 * judges a service by its messages calls this first. */
void sdnotify_drain(struct sup *s);
/* After each state-machine step of service idx: its watchdog. */
void sdnotify_on_change(struct sup *s, size_t idx, const struct svc_effects *eff);

/* Free what attribution keeps; log how many datagrams were dropped. */
void sdnotify_done(struct sup *s);

/* ---- mainpid.c: facts of /proc about processes, MAINPID= --------------- */

/* Services run in cgroups whose paths /proc/PID/cgroup shows (learnt once,
 * from corral's own place in its `init` leaf). */
bool mainpid_cgroups(struct sup *s);
/* The cgroup of pid relative to corral's cgroup root into buf: "" when it is
 * outside that root; NULL when services run without cgroups or /proc cannot
 * tell.  One read of /proc/PID/cgroup, no allocation. */
const char *mainpid_cgroup_of(struct sup *s, pid_t pid, char *buf, size_t size);
/* The parent of pid, and its start time (clock ticks since boot) when
 * ret_start is not NULL; 0 when /proc cannot tell. */
pid_t mainpid_parent_of(pid_t pid, uint64_t *ret_start);
/* MAINPID=pid from service idx, whose sender may speak for it: track pid
 * as its main process if it is a process of the service (its own leaf
 * cgroup, or without cgroups a descendant of its main process), opened as
 * a pidfd and watched so that its end is seen at once; refused with a
 * message otherwise. */
void mainpid_accept(struct sup *s, size_t idx, pid_t pid);
/* An adopted main process may still be signalled: its pidfd, or where
 * there is none, its start time still matches. */
bool mainpid_verified(const struct svc *v);

/* ---- control.c: corralctl's commands ---------------------------------- */

void control_handle(void *ud, struct ctl_request *req, struct ctl_reply *reply, int conn_fd);

/* ---- reconfig.c: reload ----------------------------------------------- */

/* The reload's state, none in progress; -ENOMEM. */
int reconfig_init(struct sup *s);
/* Ask for a reload: SIGHUP (why NULL), or `corralctl reload` (why its
 * reply, conn_fd its connection).  With a reload in progress it runs once
 * more after it, and the client's answer waits until then. */
void reconfig_request(struct sup *s, struct ctl_reply *why, int conn_fd);
/* Between dispatcher runs: move a reload on (swap the service set once
 * what it stops is down, give up when the pod stops, begin a queued one).
 * true when it posted events. */
bool reconfig_step(struct sup *s);
/* A reload is in progress or queued (corral stays up for it). */
bool reconfig_busy(const struct sup *s);
/* The model of the last reload is handed over, or freed. */
void reconfig_done(struct sup *s);
