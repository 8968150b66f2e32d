/* The lifecycle of one service as an explicit state machine (STYLE 6).
 *
 * svc_step() is the only function that changes a service's runtime record:
 * from (state, intent, event, clock) it computes the new state and intent
 * and a set of effects (spawn, signal, timers, ...) that the supervisor
 * then carries out.  It is pure: the clock and the random source come in
 * through the event and params, so every restart decision is unit-tested
 * without fork or real time.
 *
 * The intent says what corral means to do with the service, whatever its
 * process does meanwhile: whether it is wanted (an operator's `stop` makes
 * it unwanted until `start`), whether the pod holds it down (a reload that
 * replaces or removes it, the pod's stop), and why its current stop
 * happens.  From it follow whether an end may be restarted by the restart
 * policy and whether the end of a main service ends the pod: only an end
 * for good does (not one restarted by policy, by `corralctl restart` or by
 * a reload's replacement, nor one stopped by request). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "backoff.h"
#include "model.h"

enum svc_state {
        SVC_STOPPED,  /* no process (none wanted, or waiting for its `after`) */
        SVC_STARTING, /* being spawned */
        SVC_RUNNING,  /* process up, not ready yet (oneshot, notify) */
        SVC_READY,    /* process up and ready */
        SVC_STOPPING, /* stop signal sent, waiting for the end */
        SVC_BACKOFF,  /* ended, restart timer armed */
        SVC_FAILED,   /* ended in failure, or start limit hit: no more restarts */
        SVC_EXITED,   /* ended successfully, no restart */
        _SVC_STATE_MAX
};
const char *svc_state_to_string(enum svc_state s);

/* Why a service is stopped by something other than itself, by rank: a
 * stop for a reason is never turned into one of a lower rank, except by an
 * operator's `start` or `restart`. */
enum svc_stop {
        SVC_STOP_NONE,     /* it runs, or ended on its own */
        SVC_STOP_FAILURE,  /* readiness, health or watchdog gave up on it: killed, its restart policy decides */
        SVC_STOP_RESTART,  /* `corralctl restart`: it starts again once down */
        SVC_STOP_OPERATOR, /* `corralctl stop`: it stays down until started, across reloads */
        SVC_STOP_RELOAD,   /* a reload replaces its definition */
        SVC_STOP_REMOVED,  /* a reload removes it */
        SVC_STOP_POD,      /* the pod stops */
        _SVC_STOP_MAX
};
const char *svc_stop_to_string(enum svc_stop r);

enum svc_event_kind {
        /* What is asked of the service (its intent changes). */
        SVC_EV_WANT,    /* run it: at start-up, after a reload, `corralctl start` (.manual) */
        SVC_EV_UNWANT,  /* `corralctl stop`: stop it and keep it down */
        SVC_EV_RESTART, /* `corralctl restart`: stop it now, then start it again */
        SVC_EV_HOLD,    /* the pod holds it down for .reason: RELOAD, REMOVED or POD */
        SVC_EV_RELEASE, /* a reload gave up: its hold ends (a pod's stop never does) */
        SVC_EV_FAIL,    /* health or watchdog gave up: kill it, its policy decides */
        SVC_EV_READY_TIMEOUT, /* not ready within ready.timeout_ms: as FAIL, unless it is ready by now */
        /* The start and stop orders let it go. */
        SVC_EV_START, /* every service in its `after` is ready */
        SVC_EV_STOP,  /* every service that comes after it and stops too is down */
        /* What happened to it. */
        SVC_EV_SPAWNED,      /* exec succeeded */
        SVC_EV_SPAWN_FAILED, /* setup or exec failed: no process; .status is the end to record */
        SVC_EV_READY,        /* READY=1 or readiness probe passed */
        SVC_EV_EXITED,       /* its process ended; .status from waitpid */
        SVC_EV_TIMER,        /* its timer fired: the backoff delay or the stop timeout */
        SVC_EV_KILL,         /* the pod's stop budget ran out: SIGKILL what is left */
        _SVC_EV_MAX
};
const char *svc_event_to_string(enum svc_event_kind e);

/* What is meant for the service, whatever it does meanwhile. */
enum svc_want {
        SVC_WANT_NONE, /* nothing: not asked yet, or it ended for good */
        SVC_WANT_UP,   /* run it (start-up, reload, `corralctl start` or `restart`) */
        SVC_WANT_DOWN, /* stopped by request: stays down until started, across reloads */
};

struct svc_event {
        enum svc_event_kind kind;
        int status;          /* wait status for EXITED and SPAWN_FAILED */
        enum svc_stop reason; /* HOLD */
        bool manual;         /* WANT by an operator: start limit and backoff start over */
        uint64_t now_ms;     /* monotonic clock */
};

/* Effects, carried out by the supervisor in this order of bits. */
enum {
        SVC_EFF_CANCEL_TIMER = 1u << 0,   /* stop or backoff timer */
        SVC_EFF_CLEANUP = 1u << 1,        /* its process ended (or never was): record and log the end */
        SVC_EFF_SPAWN = 1u << 2,
        SVC_EFF_SIGNAL_STOP = 1u << 3,    /* send stop_signal */
        SVC_EFF_ARM_STOP_TIMER = 1u << 4, /* stop_timeout_ms */
        SVC_EFF_KILL = 1u << 5,           /* SIGKILL every process of the service */
        SVC_EFF_ARM_BACKOFF = 1u << 6,    /* .delay_ms */
        SVC_EFF_READY = 1u << 7,          /* became ready: services after it may start */
        SVC_EFF_DOWN = 1u << 8,           /* went down (or was asked to stop while down): the stop order moves on */
        SVC_EFF_FAILED = 1u << 9,         /* gave up: .reason says why */
        SVC_EFF_POD_END = 1u << 10,       /* a main service ended for good (or with the pod): the pod stops */
        SVC_EFF_WAIT_START = 1u << 11,    /* wants to start: the start order lets it go (START) */
        SVC_EFF_WAIT_STOP = 1u << 12,     /* is to stop: the stop order lets it go (STOP) */
};

struct svc_effects {
        unsigned mask;
        uint32_t delay_ms;  /* ARM_BACKOFF */
        const char *reason; /* FAILED: "start limit reached", "failed" */
        enum svc_state from, to;
};

struct svc_params {
        enum service_type type;
        enum restart_policy restart;
        bool main;
        bool waits_ready; /* ready comes as an event, not at exec */
        int stop_signal;
        struct backoff_params backoff;
        random_fn rnd; /* jitter; NULL for none */
        void *rnd_data;
};

/* Runtime record of a service: pure data, changed only by svc_step(). */
struct svc_rt {
        enum svc_state state;
        /* Intent. */
        enum svc_want want;
        enum svc_stop hold; /* held down by the pod: NONE, RELOAD, REMOVED or POD */
        enum svc_stop stop; /* why its current (or last) stop was asked for */
        bool waiting;       /* waits for the start order (WAIT_START given, no START yet) */
        bool manual;        /* its next start is an operator's */
        /* What it did. */
        bool ready;         /* its `after` dependents may start */
        uint32_t restarts;
        uint32_t failures;  /* consecutive restarts, for the backoff delay */
        uint64_t started_ms;
        struct start_limit limit;
        bool has_exit;
        int last_status;
};

void svc_params_from_service(const struct service *s, struct svc_params *ret);
/* Stopped, not wanted yet: a WANT starts its life. */
void svc_rt_init(struct svc_rt *rt);

/* Apply ev to rt; *ret receives the effects.  Events that do not apply to
 * the current state change nothing and return no effects. */
void svc_step(const struct svc_params *p, struct svc_rt *rt, const struct svc_event *ev,
              struct svc_effects *ret);

/* corral means the service to run now: wanted up, and not held down. */
bool svc_rt_goal_up(const struct svc_rt *rt);
/* Down because an operator stopped it (corral stays up for it, SPEC 7). */
bool svc_rt_stopped_by_request(const struct svc_rt *rt);

/* No process exists and none will come without a new START. */
bool svc_state_is_down(enum svc_state s);
/* A process of the service may exist. */
bool svc_state_has_process(enum svc_state s);
