/* The lifecycle of one service as an explicit state machine (STYLE 6).
 *
 * svc_step() is the only function that changes a service's state: from
 * (state, event) it computes the new state and a set of effects (spawn,
 * signal, timers, ...) that the supervisor then carries out.  It is pure:
 * the clock and the random source come in through the event and params, so
 * every restart decision is unit-tested without fork or real time. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "backoff.h"
#include "model.h"

enum svc_state {
        SVC_STOPPED,  /* no process, none wanted (or waiting for its `after`) */
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

enum svc_event_kind {
        SVC_EV_START,        /* start requested; its `after` are ready */
        SVC_EV_SPAWNED,      /* exec succeeded */
        SVC_EV_SPAWN_FAILED, /* setup or exec failed; .status is the end to record */
        SVC_EV_READY,        /* READY=1 or readiness probe passed */
        SVC_EV_EXITED,       /* its process ended; .status from waitpid */
        SVC_EV_STOP,         /* stop requested */
        SVC_EV_STOP_TIMEOUT, /* stop_timeout_ms (or the pod budget) passed */
        SVC_EV_BACKOFF_DONE, /* the restart timer fired */
        SVC_EV_HOLD,         /* the pod is stopping: never restart again */
        _SVC_EV_MAX
};
const char *svc_event_to_string(enum svc_event_kind e);

struct svc_event {
        enum svc_event_kind kind;
        int status;      /* wait status for EXITED and SPAWN_FAILED */
        uint64_t now_ms; /* monotonic clock */
        bool manual;     /* START by an operator: start limit and backoff reset */
};

/* Effects, carried out by the supervisor in this order of bits. */
enum {
        SVC_EFF_CANCEL_TIMER = 1u << 0,   /* stop or backoff timer */
        SVC_EFF_CLEANUP = 1u << 1,        /* its process ended: clean up what it left */
        SVC_EFF_SPAWN = 1u << 2,
        SVC_EFF_SIGNAL_STOP = 1u << 3,    /* send stop_signal */
        SVC_EFF_ARM_STOP_TIMER = 1u << 4, /* stop_timeout_ms */
        SVC_EFF_KILL = 1u << 5,           /* SIGKILL every process of the service */
        SVC_EFF_ARM_BACKOFF = 1u << 6,    /* .delay_ms */
        SVC_EFF_READY = 1u << 7,          /* became ready: services after it may start */
        SVC_EFF_DOWN = 1u << 8,           /* no process and none coming: stop order moves on */
        SVC_EFF_FAILED = 1u << 9,         /* gave up: .reason says why */
        SVC_EFF_MAIN_ENDED = 1u << 10,    /* a main service ended for good: stop the pod */
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

/* Runtime state of a service: pure data, changed only by svc_step(). */
struct svc_rt {
        enum svc_state state;
        bool ready;       /* its `after` dependents may start */
        bool hold;        /* no restarts: stop requested or pod stopping */
        uint32_t restarts;
        uint32_t failures; /* consecutive restarts, for the backoff delay */
        uint64_t started_ms;
        struct start_limit limit;
        bool has_exit;
        int last_status;
};

void svc_params_from_service(const struct service *s, struct svc_params *ret);
void svc_rt_init(struct svc_rt *rt);

/* Apply ev to rt; *ret receives the effects.  Events that do not apply to
 * the current state change nothing and return no effects. */
void svc_step(const struct svc_params *p, struct svc_rt *rt, const struct svc_event *ev,
              struct svc_effects *ret);

/* No process exists and none will come without a new START. */
bool svc_state_is_down(enum svc_state s);
/* A process of the service may exist. */
bool svc_state_has_process(enum svc_state s);
