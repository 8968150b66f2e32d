/* The service state machine as a table: (state, intent, event, clock) ->
 * (state, intent, effects), with a fake clock.  Each scenario is a life of
 * one service; each step says what must come out. */
#include <signal.h>
#include <stdbool.h>

#include "service.h"
#include "tap.h"
#include "util.h"

#define ST_EXIT(c) (((c) & 0xff) << 8)
#define ST_SIG(s) ((s) & 0x7f)

enum { SIMPLE_ALWAYS, SIMPLE_ONFAIL, SIMPLE_NEVER, ONESHOT, MAIN_NEVER, MAIN_ALWAYS, NOTIFY, TIGHT_LIMIT };

static struct svc_params params(int kind) {
        struct service s;
        service_init_defaults(&s);
        switch (kind) {
        case SIMPLE_ONFAIL: s.restart = RESTART_ON_FAILURE; break;
        case SIMPLE_NEVER: s.restart = RESTART_NEVER; break;
        case ONESHOT: s.type = SERVICE_ONESHOT; s.restart = RESTART_NEVER; break;
        case MAIN_NEVER: s.main = true; s.restart = RESTART_NEVER; break;
        case MAIN_ALWAYS: s.main = true; break;
        case NOTIFY: s.type = SERVICE_NOTIFY; break;
        case TIGHT_LIMIT: s.start_limit_burst = 2; s.start_limit_interval_ms = 1000; break;
        default: break;
        }
        struct svc_params p;
        svc_params_from_service(&s, &p);
        return p;
}

/* An event: kind, and what goes with it. */
struct in {
        enum svc_event_kind ev;
        uint64_t now;
        int status;           /* EXITED, SPAWN_FAILED */
        enum svc_stop reason; /* HOLD */
        bool manual;          /* WANT */
};

/* What must come out. */
struct want {
        enum svc_state state;
        unsigned effects; /* exact mask */
        uint32_t delay;   /* checked when ARM_BACKOFF */
        int intent;       /* checked when not ANY: see below */
        bool ready;
};

/* The intent after the step, as one code: want, hold, stop. */
#define INTENT(w, h, s) (1 + ((w) << 8 | (h) << 4 | (s)))
#define ANY 0
#define UP(s) INTENT(SVC_WANT_UP, SVC_STOP_NONE, SVC_STOP_##s)
#define DOWN(s) INTENT(SVC_WANT_DOWN, SVC_STOP_NONE, SVC_STOP_##s)
#define NONE(s) INTENT(SVC_WANT_NONE, SVC_STOP_NONE, SVC_STOP_##s)
#define HELD(w, h, s) INTENT(SVC_WANT_##w, SVC_STOP_##h, SVC_STOP_##s)

struct step {
        struct in in;
        struct want out;
};

#define E(x) SVC_EFF_##x
#define EV(k, ...) { SVC_EV_##k, __VA_ARGS__ }
#define S(st) SVC_##st
#define END { { _SVC_EV_MAX }, { 0 } }

/* The prologue of most lives: wanted, let go by the start order, spawned,
 * ready at exec. */
#define UP_AND_READY(t)                                                                            \
        { EV(WANT, t), { S(STOPPED), E(WAIT_START), 0, UP(NONE) } },                               \
        { EV(START, t), { S(STARTING), E(SPAWN), 0, UP(NONE) } },                                  \
        { EV(SPAWNED, t), { S(READY), E(READY), 0, UP(NONE), true } }

static const struct scenario {
        const char *name;
        int kind;
        struct step steps[16];
} scenarios[] = {
        /* ---- the restart policy, backoff and start limit ---------------- */
        { "simple: wanted, waits for the order, ready at exec", SIMPLE_ALWAYS, {
                { EV(START, 0), { S(STOPPED), 0, 0, NONE(NONE) } },
                UP_AND_READY(0),
                { EV(WANT, 1), { S(READY), 0, 0, UP(NONE), true } },
                END } },
        { "always: exit 0 restarts after 100, 200, 400 ms", SIMPLE_ALWAYS, {
                UP_AND_READY(0),
                { EV(EXITED, 10, ST_EXIT(0)), { S(BACKOFF), E(CLEANUP) | E(ARM_BACKOFF), 100, UP(NONE) } },
                { EV(TIMER, 110), { S(STARTING), E(SPAWN), 0, UP(NONE) } },
                { EV(SPAWNED, 110), { S(READY), E(READY), 0, ANY, true } },
                { EV(EXITED, 120, ST_EXIT(1)), { S(BACKOFF), E(CLEANUP) | E(ARM_BACKOFF), 200 } },
                { EV(TIMER, 320), { S(STARTING), E(SPAWN) } },
                { EV(SPAWNED, 320), { S(READY), E(READY), 0, ANY, true } },
                { EV(EXITED, 330, ST_SIG(SIGKILL)), { S(BACKOFF), E(CLEANUP) | E(ARM_BACKOFF), 400 } },
                END } },
        { "backoff resets after restart_reset_ms up", SIMPLE_ALWAYS, {
                UP_AND_READY(0),
                { EV(EXITED, 10, ST_EXIT(1)), { S(BACKOFF), E(CLEANUP) | E(ARM_BACKOFF), 100 } },
                { EV(TIMER, 110), { S(STARTING), E(SPAWN) } },
                { EV(SPAWNED, 110), { S(READY), E(READY), 0, ANY, true } },
                { EV(EXITED, 10110, ST_EXIT(1)), { S(BACKOFF), E(CLEANUP) | E(ARM_BACKOFF), 100 } },
                END } },
        { "on-failure: exit 0 is the end, nothing wanted any more", SIMPLE_ONFAIL, {
                UP_AND_READY(0),
                { EV(EXITED, 5, ST_EXIT(0)), { S(EXITED), E(CLEANUP) | E(DOWN), 0, NONE(NONE) } },
                END } },
        { "on-failure: killed by its stop signal is not a failure", SIMPLE_ONFAIL, {
                UP_AND_READY(0),
                { EV(EXITED, 5, ST_SIG(SIGTERM)), { S(EXITED), E(CLEANUP) | E(DOWN) } },
                END } },
        { "on-failure: another signal restarts", SIMPLE_ONFAIL, {
                UP_AND_READY(0),
                { EV(EXITED, 5, ST_SIG(SIGSEGV)), { S(BACKOFF), E(CLEANUP) | E(ARM_BACKOFF), 100 } },
                END } },
        { "never: failure is failed", SIMPLE_NEVER, {
                UP_AND_READY(0),
                { EV(EXITED, 5, ST_EXIT(3)), { S(FAILED), E(CLEANUP) | E(DOWN) | E(FAILED), 0, NONE(NONE) } },
                END } },
        { "oneshot: running until exit 0, then exited and ready", ONESHOT, {
                { EV(WANT, 0), { S(STOPPED), E(WAIT_START) } },
                { EV(START, 0), { S(STARTING), E(SPAWN) } },
                { EV(SPAWNED, 0), { S(RUNNING), 0 } },
                { EV(READY, 1), { S(RUNNING), 0 } },
                { EV(EXITED, 5, ST_EXIT(0)), { S(EXITED), E(CLEANUP) | E(READY) | E(DOWN), 0, ANY, true } },
                END } },
        { "oneshot: failure is failed, never ready", ONESHOT, {
                { EV(WANT, 0), { S(STOPPED), E(WAIT_START) } },
                { EV(START, 0), { S(STARTING), E(SPAWN) } },
                { EV(SPAWNED, 0), { S(RUNNING), 0 } },
                { EV(EXITED, 5, ST_EXIT(1)), { S(FAILED), E(CLEANUP) | E(DOWN) | E(FAILED) } },
                END } },
        { "notify: ready on READY", NOTIFY, {
                { EV(WANT, 0), { S(STOPPED), E(WAIT_START) } },
                { EV(START, 0), { S(STARTING), E(SPAWN) } },
                { EV(SPAWNED, 0), { S(RUNNING), 0 } },
                { EV(READY, 1), { S(READY), E(READY), 0, ANY, true } },
                END } },
        { "start limit: third start within the interval fails; an operator's start goes", TIGHT_LIMIT, {
                { EV(WANT, 0), { S(STOPPED), E(WAIT_START) } },
                { EV(START, 0), { S(STARTING), E(SPAWN) } },
                { EV(SPAWN_FAILED, 0, ST_EXIT(127)), { S(BACKOFF), E(CLEANUP) | E(ARM_BACKOFF), 100 } },
                { EV(TIMER, 100), { S(STARTING), E(SPAWN) } },
                { EV(SPAWNED, 100), { S(READY), E(READY), 0, ANY, true } },
                { EV(EXITED, 101, ST_EXIT(1)), { S(BACKOFF), E(CLEANUP) | E(ARM_BACKOFF), 200 } },
                { EV(TIMER, 301), { S(FAILED), E(DOWN) | E(FAILED), 0, NONE(NONE) } },
                { EV(TIMER, 401), { S(FAILED), 0 } },
                { EV(WANT, 500), { S(FAILED), E(WAIT_START), 0, UP(NONE) } },
                { EV(START, 500), { S(FAILED), E(DOWN) | E(FAILED), 0, NONE(NONE) } },
                { EV(WANT, 501, 0, 0, true), { S(FAILED), E(WAIT_START), 0, UP(NONE) } },
                { EV(START, 501), { S(STARTING), E(SPAWN) } },
                END } },

        /* ---- operator: stop, start, restart ----------------------------- */
        { "operator stop: in the stop order, stop signal, timeout, kill, stays down", SIMPLE_ALWAYS, {
                UP_AND_READY(0),
                { EV(UNWANT, 5), { S(READY), E(WAIT_STOP), 0, DOWN(OPERATOR), true } },
                { EV(STOP, 5), { S(STOPPING), E(SIGNAL_STOP) | E(ARM_STOP_TIMER), 0, DOWN(OPERATOR), false } },
                { EV(STOP, 6), { S(STOPPING), 0 } },
                { EV(TIMER, 5005), { S(STOPPING), E(KILL) } },
                { EV(EXITED, 5006, ST_SIG(SIGKILL)),
                  { S(STOPPED), E(CANCEL_TIMER) | E(CLEANUP) | E(DOWN), 0, DOWN(OPERATOR) } },
                { EV(TIMER, 6000), { S(STOPPED), 0 } },
                { EV(START, 6001), { S(STOPPED), 0 } },
                END } },
        { "operator stop during backoff cancels the restart", SIMPLE_ALWAYS, {
                UP_AND_READY(0),
                { EV(EXITED, 5, ST_EXIT(1)), { S(BACKOFF), E(CLEANUP) | E(ARM_BACKOFF), 100 } },
                { EV(UNWANT, 6), { S(STOPPED), E(CANCEL_TIMER) | E(DOWN), 0, DOWN(OPERATOR) } },
                END } },
        { "operator start after a stop: waits for the order again", SIMPLE_ALWAYS, {
                UP_AND_READY(0),
                { EV(UNWANT, 5), { S(READY), E(WAIT_STOP), 0, DOWN(OPERATOR), true } },
                { EV(STOP, 5), { S(STOPPING), E(SIGNAL_STOP) | E(ARM_STOP_TIMER) } },
                { EV(EXITED, 6, ST_SIG(SIGTERM)), { S(STOPPED), E(CANCEL_TIMER) | E(CLEANUP) | E(DOWN) } },
                { EV(WANT, 7, 0, 0, true), { S(STOPPED), E(WAIT_START), 0, UP(NONE) } },
                { EV(START, 7), { S(STARTING), E(SPAWN), 0, UP(NONE) } },
                END } },
        { "operator start while stopping: it starts again once down", SIMPLE_ALWAYS, {
                UP_AND_READY(0),
                { EV(UNWANT, 5), { S(READY), E(WAIT_STOP), 0, DOWN(OPERATOR), true } },
                { EV(STOP, 5), { S(STOPPING), E(SIGNAL_STOP) | E(ARM_STOP_TIMER) } },
                { EV(WANT, 6, 0, 0, true), { S(STOPPING), 0, 0, UP(RESTART) } },
                { EV(EXITED, 7, ST_SIG(SIGTERM)),
                  { S(STOPPED), E(CANCEL_TIMER) | E(CLEANUP) | E(DOWN) | E(WAIT_START), 0, UP(RESTART) } },
                END } },
        { "operator start before the stop order reached it: it keeps running", SIMPLE_ALWAYS, {
                UP_AND_READY(0),
                { EV(UNWANT, 5), { S(READY), E(WAIT_STOP), 0, DOWN(OPERATOR), true } },
                { EV(WANT, 6, 0, 0, true), { S(READY), 0, 0, UP(NONE), true } },
                { EV(STOP, 7), { S(READY), 0, 0, UP(NONE), true } },
                END } },
        { "operator restart: stop now, start again through the order, start limit reset", TIGHT_LIMIT, {
                UP_AND_READY(0),
                { EV(RESTART, 5), { S(STOPPING), E(SIGNAL_STOP) | E(ARM_STOP_TIMER), 0, UP(RESTART), false } },
                { EV(EXITED, 6, ST_SIG(SIGTERM)),
                  { S(STOPPED), E(CANCEL_TIMER) | E(CLEANUP) | E(DOWN) | E(WAIT_START), 0, UP(RESTART) } },
                { EV(START, 7), { S(STARTING), E(SPAWN), 0, UP(NONE) } },
                { EV(SPAWNED, 7), { S(READY), E(READY), 0, ANY, true } },
                { EV(RESTART, 8), { S(STOPPING), E(SIGNAL_STOP) | E(ARM_STOP_TIMER) } },
                { EV(EXITED, 9, ST_SIG(SIGTERM)), { S(STOPPED), E(CANCEL_TIMER) | E(CLEANUP) | E(DOWN) | E(WAIT_START) } },
                { EV(START, 10), { S(STARTING), E(SPAWN) } },
                END } },
        { "operator restart in backoff: no waiting for the delay", SIMPLE_ALWAYS, {
                UP_AND_READY(0),
                { EV(EXITED, 5, ST_EXIT(1)), { S(BACKOFF), E(CLEANUP) | E(ARM_BACKOFF), 100 } },
                { EV(RESTART, 6), { S(STOPPED), E(CANCEL_TIMER) | E(WAIT_START), 0, UP(NONE) } },
                { EV(START, 6), { S(STARTING), E(SPAWN) } },
                END } },
        { "operator restart of a stopped service starts it", SIMPLE_ALWAYS, {
                UP_AND_READY(0),
                { EV(UNWANT, 5), { S(READY), E(WAIT_STOP), 0, DOWN(OPERATOR), true } },
                { EV(STOP, 5), { S(STOPPING), E(SIGNAL_STOP) | E(ARM_STOP_TIMER) } },
                { EV(EXITED, 6, ST_SIG(SIGTERM)), { S(STOPPED), E(CANCEL_TIMER) | E(CLEANUP) | E(DOWN) } },
                { EV(RESTART, 7), { S(STOPPED), E(WAIT_START), 0, UP(NONE) } },
                END } },

        /* ---- the main service: only an end for good ends the pod -------- */
        { "main: its end for good stops the pod", MAIN_NEVER, {
                UP_AND_READY(0),
                { EV(EXITED, 5, ST_EXIT(0)), { S(EXITED), E(CLEANUP) | E(DOWN) | E(POD_END), 0, NONE(NONE) } },
                END } },
        { "main: failed exec ends it", MAIN_NEVER, {
                { EV(WANT, 0), { S(STOPPED), E(WAIT_START) } },
                { EV(START, 0), { S(STARTING), E(SPAWN) } },
                { EV(SPAWN_FAILED, 0, ST_EXIT(127)),
                  { S(FAILED), E(CLEANUP) | E(DOWN) | E(FAILED) | E(POD_END), 0, NONE(NONE) } },
                END } },
        { "main: restarted by its policy, the pod goes on", MAIN_ALWAYS, {
                UP_AND_READY(0),
                { EV(EXITED, 5, ST_EXIT(1)), { S(BACKOFF), E(CLEANUP) | E(ARM_BACKOFF), 100 } },
                END } },
        { "main: an operator's restart does not end the pod", MAIN_NEVER, {
                UP_AND_READY(0),
                { EV(RESTART, 5), { S(STOPPING), E(SIGNAL_STOP) | E(ARM_STOP_TIMER), 0, UP(RESTART) } },
                { EV(EXITED, 6, ST_SIG(SIGTERM)),
                  { S(STOPPED), E(CANCEL_TIMER) | E(CLEANUP) | E(DOWN) | E(WAIT_START), 0, UP(RESTART) } },
                END } },
        { "main: an operator's stop does not end the pod", MAIN_NEVER, {
                UP_AND_READY(0),
                { EV(UNWANT, 5), { S(READY), E(WAIT_STOP), 0, DOWN(OPERATOR), true } },
                { EV(STOP, 5), { S(STOPPING), E(SIGNAL_STOP) | E(ARM_STOP_TIMER) } },
                { EV(EXITED, 6, ST_SIG(SIGTERM)), { S(STOPPED), E(CANCEL_TIMER) | E(CLEANUP) | E(DOWN) } },
                END } },
        { "main: its replacement by a reload does not end the pod", MAIN_NEVER, {
                UP_AND_READY(0),
                { EV(HOLD, 5, 0, SVC_STOP_RELOAD), { S(READY), E(WAIT_STOP), 0, HELD(UP, RELOAD, RELOAD), true } },
                { EV(STOP, 5), { S(STOPPING), E(SIGNAL_STOP) | E(ARM_STOP_TIMER) } },
                { EV(EXITED, 6, ST_SIG(SIGTERM)),
                  { S(STOPPED), E(CANCEL_TIMER) | E(CLEANUP) | E(DOWN), 0, HELD(UP, RELOAD, RELOAD) } },
                END } },
        { "main: its removal by a reload does not end the pod", MAIN_NEVER, {
                UP_AND_READY(0),
                { EV(HOLD, 5, 0, SVC_STOP_REMOVED), { S(READY), E(WAIT_STOP), 0, HELD(UP, REMOVED, REMOVED), true } },
                { EV(STOP, 5), { S(STOPPING), E(SIGNAL_STOP) | E(ARM_STOP_TIMER) } },
                { EV(EXITED, 6, ST_EXIT(0)), { S(STOPPED), E(CANCEL_TIMER) | E(CLEANUP) | E(DOWN) } },
                END } },
        { "main: its end while the pod stops gives the pod's status", MAIN_ALWAYS, {
                UP_AND_READY(0),
                { EV(HOLD, 5, 0, SVC_STOP_POD), { S(READY), E(WAIT_STOP), 0, HELD(UP, POD, POD), true } },
                { EV(STOP, 5), { S(STOPPING), E(SIGNAL_STOP) | E(ARM_STOP_TIMER) } },
                { EV(EXITED, 6, ST_SIG(SIGTERM)),
                  { S(STOPPED), E(CANCEL_TIMER) | E(CLEANUP) | E(DOWN) | E(POD_END), 0, HELD(UP, POD, POD) } },
                END } },
        { "main: restart asked for, then the pod stops: the end is the pod's", MAIN_ALWAYS, {
                UP_AND_READY(0),
                { EV(RESTART, 5), { S(STOPPING), E(SIGNAL_STOP) | E(ARM_STOP_TIMER), 0, UP(RESTART) } },
                { EV(HOLD, 6, 0, SVC_STOP_POD), { S(STOPPING), 0, 0, HELD(UP, POD, POD) } },
                { EV(EXITED, 7, ST_SIG(SIGTERM)),
                  { S(STOPPED), E(CANCEL_TIMER) | E(CLEANUP) | E(DOWN) | E(POD_END) } },
                END } },

        /* ---- the pod holds it down -------------------------------------- */
        { "pod stop: an exit before its turn does not restart", SIMPLE_ALWAYS, {
                UP_AND_READY(0),
                { EV(HOLD, 5, 0, SVC_STOP_POD), { S(READY), E(WAIT_STOP), 0, HELD(UP, POD, POD), true } },
                { EV(EXITED, 6, ST_EXIT(0)), { S(EXITED), E(CLEANUP) | E(DOWN) } },
                { EV(WANT, 7, 0, 0, true), { S(EXITED), 0 } },
                { EV(RELEASE, 8), { S(EXITED), 0, 0, HELD(UP, POD, POD) } },
                END } },
        { "pod stop during backoff: stopped at once", SIMPLE_ALWAYS, {
                UP_AND_READY(0),
                { EV(EXITED, 5, ST_EXIT(1)), { S(BACKOFF), E(CLEANUP) | E(ARM_BACKOFF), 100 } },
                { EV(HOLD, 6, 0, SVC_STOP_POD), { S(STOPPED), E(CANCEL_TIMER) | E(DOWN) } },
                { EV(TIMER, 106), { S(STOPPED), 0 } },
                END } },
        { "pod stop of a service already down: the stop order moves on", SIMPLE_ALWAYS, {
                { EV(HOLD, 0, 0, SVC_STOP_POD), { S(STOPPED), E(DOWN) } },
                END } },
        { "pod budget: KILL of what runs, in the order or not yet", SIMPLE_ALWAYS, {
                UP_AND_READY(0),
                { EV(HOLD, 5, 0, SVC_STOP_POD), { S(READY), E(WAIT_STOP), 0, ANY, true } },
                { EV(KILL, 3005), { S(STOPPING), E(KILL) } },
                { EV(KILL, 5005), { S(STOPPING), E(KILL) } },
                { EV(EXITED, 5006, ST_SIG(SIGKILL)), { S(STOPPED), E(CANCEL_TIMER) | E(CLEANUP) | E(DOWN) } },
                END } },

        /* ---- a reload ----------------------------------------------------- */
        { "reload replacement: held down, an operator's start waits for it", SIMPLE_ALWAYS, {
                UP_AND_READY(0),
                { EV(HOLD, 5, 0, SVC_STOP_RELOAD), { S(READY), E(WAIT_STOP), 0, HELD(UP, RELOAD, RELOAD), true } },
                { EV(STOP, 5), { S(STOPPING), E(SIGNAL_STOP) | E(ARM_STOP_TIMER) } },
                { EV(WANT, 6, 0, 0, true), { S(STOPPING), 0, 0, HELD(UP, RELOAD, RELOAD) } },
                { EV(RESTART, 6), { S(STOPPING), 0, 0, HELD(UP, RELOAD, RELOAD) } },
                { EV(EXITED, 7, ST_SIG(SIGTERM)), { S(STOPPED), E(CANCEL_TIMER) | E(CLEANUP) | E(DOWN) } },
                { EV(WANT, 8, 0, 0, true), { S(STOPPED), 0 } },
                { EV(START, 8), { S(STOPPED), 0 } },
                END } },
        { "reload replacement of a service stopped by request: it stays so", SIMPLE_ALWAYS, {
                UP_AND_READY(0),
                { EV(UNWANT, 5), { S(READY), E(WAIT_STOP), 0, DOWN(OPERATOR), true } },
                { EV(HOLD, 5, 0, SVC_STOP_RELOAD), { S(READY), E(WAIT_STOP), 0, HELD(DOWN, RELOAD, RELOAD), true } },
                { EV(STOP, 5), { S(STOPPING), E(SIGNAL_STOP) | E(ARM_STOP_TIMER) } },
                { EV(EXITED, 6, ST_SIG(SIGTERM)), { S(STOPPED), E(CANCEL_TIMER) | E(CLEANUP) | E(DOWN) } },
                { EV(RELEASE, 7), { S(STOPPED), 0, 0, DOWN(OPERATOR) } },
                END } },
        { "reload given up: the hold ends, what was wanted starts again", SIMPLE_ALWAYS, {
                UP_AND_READY(0),
                { EV(HOLD, 5, 0, SVC_STOP_REMOVED), { S(READY), E(WAIT_STOP), 0, HELD(UP, REMOVED, REMOVED), true } },
                { EV(STOP, 5), { S(STOPPING), E(SIGNAL_STOP) | E(ARM_STOP_TIMER) } },
                { EV(EXITED, 6, ST_SIG(SIGTERM)), { S(STOPPED), E(CANCEL_TIMER) | E(CLEANUP) | E(DOWN) } },
                { EV(RELEASE, 7), { S(STOPPED), E(WAIT_START), 0, UP(NONE) } },
                { EV(START, 7), { S(STARTING), E(SPAWN) } },
                END } },
        { "reload given up before the stop order reached it: it runs on", SIMPLE_ALWAYS, {
                UP_AND_READY(0),
                { EV(HOLD, 5, 0, SVC_STOP_RELOAD), { S(READY), E(WAIT_STOP), 0, ANY, true } },
                { EV(RELEASE, 6), { S(READY), 0, 0, UP(NONE), true } },
                { EV(STOP, 6), { S(READY), 0, 0, UP(NONE), true } },
                END } },
        { "a finished oneshot held by a reload given up stays finished", ONESHOT, {
                { EV(WANT, 0), { S(STOPPED), E(WAIT_START) } },
                { EV(START, 0), { S(STARTING), E(SPAWN) } },
                { EV(SPAWNED, 0), { S(RUNNING), 0 } },
                { EV(EXITED, 5, ST_EXIT(0)), { S(EXITED), E(CLEANUP) | E(READY) | E(DOWN), 0, NONE(NONE), true } },
                { EV(HOLD, 6, 0, SVC_STOP_RELOAD), { S(EXITED), E(DOWN), 0, ANY, true } },
                { EV(RELEASE, 7), { S(EXITED), 0, 0, NONE(NONE), true } },
                END } },

        /* ---- readiness and liveness give up ----------------------------- */
        { "health failure: killed, its end a failure, the policy restarts", SIMPLE_ONFAIL, {
                UP_AND_READY(0),
                { EV(FAIL, 5), { S(STOPPING), E(KILL) | E(ARM_STOP_TIMER), 0, UP(FAILURE) } },
                { EV(EXITED, 6, ST_SIG(SIGKILL)),
                  { S(BACKOFF), E(CANCEL_TIMER) | E(CLEANUP) | E(ARM_BACKOFF), 100, UP(FAILURE) } },
                END } },
        { "health failure of a main service that never restarts: the pod ends", MAIN_NEVER, {
                UP_AND_READY(0),
                { EV(FAIL, 5), { S(STOPPING), E(KILL) | E(ARM_STOP_TIMER) } },
                { EV(EXITED, 6, ST_SIG(SIGKILL)),
                  { S(FAILED), E(CANCEL_TIMER) | E(CLEANUP) | E(DOWN) | E(FAILED) | E(POD_END) } },
                END } },
        { "ready timeout: only while not ready", NOTIFY, {
                { EV(WANT, 0), { S(STOPPED), E(WAIT_START) } },
                { EV(START, 0), { S(STARTING), E(SPAWN) } },
                { EV(SPAWNED, 0), { S(RUNNING), 0 } },
                { EV(READY, 29999), { S(READY), E(READY), 0, ANY, true } },
                { EV(READY_TIMEOUT, 30000), { S(READY), 0, 0, ANY, true } },
                { EV(RESTART, 30001), { S(STOPPING), E(SIGNAL_STOP) | E(ARM_STOP_TIMER) } },
                { EV(EXITED, 30002, ST_SIG(SIGTERM)), { S(STOPPED), E(CANCEL_TIMER) | E(CLEANUP) | E(DOWN) | E(WAIT_START) } },
                { EV(START, 30003), { S(STARTING), E(SPAWN) } },
                { EV(SPAWNED, 30003), { S(RUNNING), 0 } },
                { EV(READY_TIMEOUT, 60003), { S(STOPPING), E(KILL) | E(ARM_STOP_TIMER), 0, UP(FAILURE) } },
                END } },
        { "a restart asked for during a failure's kill is a restart", SIMPLE_NEVER, {
                UP_AND_READY(0),
                { EV(FAIL, 5), { S(STOPPING), E(KILL) | E(ARM_STOP_TIMER), 0, UP(FAILURE) } },
                { EV(RESTART, 6), { S(STOPPING), 0, 0, UP(RESTART) } },
                { EV(EXITED, 7, ST_SIG(SIGKILL)),
                  { S(STOPPED), E(CANCEL_TIMER) | E(CLEANUP) | E(DOWN) | E(WAIT_START), 0, UP(RESTART) } },
                END } },

        /* ---- starts that never made a process --------------------------- */
        { "stopped while its start was under way, its start failed: never waited for", SIMPLE_ALWAYS, {
                { EV(WANT, 0), { S(STOPPED), E(WAIT_START) } },
                { EV(START, 0), { S(STARTING), E(SPAWN) } },
                { EV(HOLD, 0, 0, SVC_STOP_POD), { S(STARTING), E(WAIT_STOP) } },
                { EV(STOP, 0), { S(STOPPING), E(SIGNAL_STOP) | E(ARM_STOP_TIMER) } },
                { EV(SPAWN_FAILED, 1, ST_EXIT(127)), { S(STOPPED), E(CANCEL_TIMER) | E(CLEANUP) | E(DOWN) } },
                END } },
        { "stopped while its start was under way, then spawned: signalled then", SIMPLE_ALWAYS, {
                { EV(WANT, 0), { S(STOPPED), E(WAIT_START) } },
                { EV(START, 0), { S(STARTING), E(SPAWN) } },
                { EV(UNWANT, 0), { S(STARTING), E(WAIT_STOP) } },
                { EV(STOP, 0), { S(STOPPING), E(SIGNAL_STOP) | E(ARM_STOP_TIMER) } },
                { EV(SPAWNED, 1), { S(STOPPING), E(SIGNAL_STOP) } },
                END } },
        { "a start that failed while its stop waited for the order: down", SIMPLE_ALWAYS, {
                { EV(WANT, 0), { S(STOPPED), E(WAIT_START) } },
                { EV(START, 0), { S(STARTING), E(SPAWN) } },
                { EV(HOLD, 0, 0, SVC_STOP_POD), { S(STARTING), E(WAIT_STOP) } },
                { EV(SPAWN_FAILED, 1, ST_EXIT(127)), { S(FAILED), E(CLEANUP) | E(DOWN) | E(FAILED) } },
                END } },

        { "ignored events change nothing", SIMPLE_ALWAYS, {
                { EV(SPAWNED, 0), { S(STOPPED), 0 } },
                { EV(EXITED, 0, ST_EXIT(0)), { S(STOPPED), 0 } },
                { EV(READY, 0), { S(STOPPED), 0 } },
                { EV(TIMER, 0), { S(STOPPED), 0 } },
                { EV(STOP, 0), { S(STOPPED), 0 } },
                { EV(FAIL, 0), { S(STOPPED), 0 } },
                { EV(KILL, 0), { S(STOPPED), 0 } },
                { EV(RELEASE, 0), { S(STOPPED), 0 } },
                { EV(HOLD, 0, 0, SVC_STOP_OPERATOR), { S(STOPPED), 0, 0, NONE(NONE) } },
                END } },
};

static int intent_of(const struct svc_rt *rt) {
        return INTENT(rt->want, rt->hold, rt->stop);
}

static void run(const struct scenario *sc) {
        struct svc_params p = params(sc->kind);
        struct svc_rt rt;
        svc_rt_init(&rt);
        for (size_t i = 0; sc->steps[i].in.ev != _SVC_EV_MAX; i++) {
                const struct step *st = &sc->steps[i];
                struct svc_event ev = { .kind = st->in.ev, .now_ms = st->in.now, .status = st->in.status,
                                        .reason = st->in.reason, .manual = st->in.manual };
                struct svc_effects eff;
                svc_step(&p, &rt, &ev, &eff);
                const struct want *w = &st->out;
                bool good = rt.state == w->state && eff.to == w->state && eff.mask == w->effects &&
                            (!(eff.mask & SVC_EFF_ARM_BACKOFF) || eff.delay_ms == w->delay) &&
                            (w->intent == ANY || intent_of(&rt) == w->intent) && rt.ready == w->ready;
                ok(good, "%s: step %zu %s -> %s (got %s, effects 0x%x want 0x%x, delay %u, intent %s/%s/%s, ready %d)",
                   sc->name, i, svc_event_to_string(st->in.ev), svc_state_to_string(w->state),
                   svc_state_to_string(rt.state), eff.mask, w->effects, eff.delay_ms,
                   rt.want == SVC_WANT_UP ? "up" : rt.want == SVC_WANT_DOWN ? "down" : "none",
                   svc_stop_to_string(rt.hold), svc_stop_to_string(rt.stop), rt.ready);
        }
}

static void step(const struct svc_params *p, struct svc_rt *rt, enum svc_event_kind k, uint64_t now, int status) {
        struct svc_effects eff;
        svc_step(p, rt, &(struct svc_event){ .kind = k, .now_ms = now, .status = status }, &eff);
}

static void test_counters(void) {
        struct svc_params p = params(SIMPLE_ALWAYS);
        struct svc_rt rt;
        svc_rt_init(&rt);
        step(&p, &rt, SVC_EV_WANT, 0, 0);
        step(&p, &rt, SVC_EV_START, 0, 0);
        for (int i = 0; i < 3; i++) {
                step(&p, &rt, SVC_EV_SPAWNED, 1000 * i, 0);
                step(&p, &rt, SVC_EV_EXITED, 1000 * i + 1, ST_EXIT(2));
                step(&p, &rt, SVC_EV_TIMER, 1000 * i + 900, 0);
        }
        ok(rt.restarts == 3, "three restarts counted (%u)", rt.restarts);
        ok(rt.has_exit && rt.last_status == ST_EXIT(2), "last exit recorded");
        struct svc_effects stop;
        svc_step(&p, &rt, &(struct svc_event){ .kind = SVC_EV_RESTART }, &stop);
        ok(stop.from == SVC_STARTING && stop.to == SVC_STOPPING, "effects name from and to");
}

static void test_spawn_failure(void) {
        struct svc_params p = params(SIMPLE_ALWAYS);
        struct svc_rt rt;
        svc_rt_init(&rt);
        struct svc_effects eff;
        step(&p, &rt, SVC_EV_WANT, 0, 0);
        step(&p, &rt, SVC_EV_START, 0, 0);
        svc_step(&p, &rt, &(struct svc_event){ .kind = SVC_EV_SPAWN_FAILED, .status = ST_EXIT(127) }, &eff);
        ok(eff.delay_ms == 100 && rt.last_status == ST_EXIT(127), "spawn failure backs off like any failure");
}

/* Every event in every state leaves a state the machine knows, and a
 * service held down by the pod never asks to spawn. */
static void test_exhaustive(void) {
        bool sane = true, never_spawns = true;
        for (int st = 0; st < _SVC_STATE_MAX; st++)
                for (int h = 0; h < _SVC_STOP_MAX; h++)
                        for (int k = 0; k < _SVC_EV_MAX; k++) {
                                struct svc_params p = params(SIMPLE_ALWAYS);
                                struct svc_rt rt = { .state = st, .want = SVC_WANT_UP, .waiting = true };
                                rt.hold = h >= SVC_STOP_RELOAD ? h : SVC_STOP_NONE;
                                struct svc_effects eff;
                                svc_step(&p, &rt, &(struct svc_event){ .kind = k, .reason = SVC_STOP_POD }, &eff);
                                sane = sane && rt.state < _SVC_STATE_MAX && eff.to == rt.state;
                                if (rt.hold != SVC_STOP_NONE && k != SVC_EV_RELEASE)
                                        never_spawns = never_spawns && !(eff.mask & SVC_EFF_SPAWN);
                        }
        ok(sane, "every (state, hold, event) gives a known state");
        ok(never_spawns, "a service held down never spawns");
}

static void test_names(void) {
        bool all = true;
        for (int s = 0; s < _SVC_STATE_MAX; s++)
                all = all && !streq(svc_state_to_string(s), "?");
        for (int e = 0; e < _SVC_EV_MAX; e++)
                all = all && !streq(svc_event_to_string(e), "?");
        for (int r = 0; r < _SVC_STOP_MAX; r++)
                all = all && !streq(svc_stop_to_string(r), "?");
        ok(all && streq(svc_state_to_string(SVC_BACKOFF), "backoff"), "every state, event and stop reason has a name");
        ok(streq(svc_state_to_string(_SVC_STATE_MAX), "?"), "out of range state is ?");
        ok(svc_state_is_down(SVC_EXITED) && !svc_state_is_down(SVC_BACKOFF) &&
                   svc_state_has_process(SVC_STOPPING) && !svc_state_has_process(SVC_BACKOFF),
           "down and has-process classes");
        struct svc_rt rt = { .state = SVC_STOPPED, .want = SVC_WANT_DOWN };
        ok(svc_rt_stopped_by_request(&rt) && !svc_rt_goal_up(&rt), "stopped by request: not meant to run");
}

int main(void) {
        for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++)
                run(&scenarios[i]);
        test_counters();
        test_spawn_failure();
        test_exhaustive();
        test_names();
        return done_testing();
}
