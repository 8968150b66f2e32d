/* The lifecycle of one service (service.h): states and intent, changed by
 * svc_step() alone. */
#include <signal.h>

#include "exitstatus.h"
#include "service.h"
#include "util.h"

static const char *const state_names[_SVC_STATE_MAX] = {
        [SVC_STOPPED] = "stopped", [SVC_STARTING] = "starting", [SVC_RUNNING] = "running",
        [SVC_READY] = "ready",     [SVC_STOPPING] = "stopping", [SVC_BACKOFF] = "backoff",
        [SVC_FAILED] = "failed",   [SVC_EXITED] = "exited",
};

const char *svc_state_to_string(enum svc_state s) {
        return (size_t)s < ARRAY_SIZE(state_names) ? state_names[s] : "?";
}

static const char *const stop_names[_SVC_STOP_MAX] = {
        [SVC_STOP_NONE] = "none",         [SVC_STOP_FAILURE] = "failure", [SVC_STOP_RESTART] = "restart",
        [SVC_STOP_OPERATOR] = "operator", [SVC_STOP_RELOAD] = "reload",   [SVC_STOP_REMOVED] = "removed",
        [SVC_STOP_POD] = "pod",
};

const char *svc_stop_to_string(enum svc_stop r) {
        return (size_t)r < ARRAY_SIZE(stop_names) ? stop_names[r] : "?";
}

static const char *const event_names[_SVC_EV_MAX] = {
        [SVC_EV_WANT] = "want",         [SVC_EV_UNWANT] = "unwant",
        [SVC_EV_RESTART] = "restart",   [SVC_EV_HOLD] = "hold",
        [SVC_EV_RELEASE] = "release",   [SVC_EV_FAIL] = "fail",
        [SVC_EV_READY_TIMEOUT] = "ready-timeout",
        [SVC_EV_START] = "start",       [SVC_EV_STOP] = "stop",
        [SVC_EV_SPAWNED] = "spawned",   [SVC_EV_SPAWN_FAILED] = "spawn-failed",
        [SVC_EV_READY] = "ready",       [SVC_EV_EXITED] = "exited",
        [SVC_EV_TIMER] = "timer",       [SVC_EV_KILL] = "kill",
};

const char *svc_event_to_string(enum svc_event_kind e) {
        return (size_t)e < ARRAY_SIZE(event_names) ? event_names[e] : "?";
}

bool svc_state_is_down(enum svc_state s) {
        return s == SVC_STOPPED || s == SVC_FAILED || s == SVC_EXITED;
}

bool svc_state_has_process(enum svc_state s) {
        return s == SVC_STARTING || s == SVC_RUNNING || s == SVC_READY || s == SVC_STOPPING;
}

bool svc_rt_goal_up(const struct svc_rt *rt) {
        return rt->want == SVC_WANT_UP && rt->hold == SVC_STOP_NONE;
}

bool svc_rt_stopped_by_request(const struct svc_rt *rt) {
        return rt->want == SVC_WANT_DOWN && svc_state_is_down(rt->state);
}

void svc_params_from_service(const struct service *s, struct svc_params *ret) {
        *ret = (struct svc_params){
                .type = s->type,
                .restart = s->restart,
                .main = s->main,
                /* A ready probe makes even a simple service wait for it. */
                .waits_ready = s->type != SERVICE_SIMPLE || s->ready.kind != PROBE_NONE,
                .stop_signal = s->stop_signal > 0 ? s->stop_signal : SIGTERM,
                .backoff = {
                        .delay_ms = s->restart_delay_ms,
                        .delay_max_ms = s->restart_delay_max_ms,
                        .reset_ms = s->restart_reset_ms,
                        .burst = s->start_limit_burst,
                        .interval_ms = s->start_limit_interval_ms,
                },
        };
}

void svc_rt_init(struct svc_rt *rt) {
        *rt = (struct svc_rt){ .state = SVC_STOPPED };
}

static bool is_running(enum svc_state s) {
        return s == SVC_STARTING || s == SVC_RUNNING || s == SVC_READY;
}

static void raise_stop(struct svc_rt *rt, enum svc_stop r) {
        if (r > rt->stop)
                rt->stop = r;
}

static void wait_start(struct svc_rt *rt, struct svc_effects *out) {
        if (rt->waiting)
                return;
        rt->waiting = true;
        out->mask |= SVC_EFF_WAIT_START;
}

/* Its process is asked to end now. */
static void begin_stop(struct svc_rt *rt, enum svc_stop why, unsigned effects, struct svc_effects *out) {
        rt->state = SVC_STOPPING;
        rt->ready = false;
        raise_stop(rt, why);
        out->mask |= effects;
}

/* Its process ended, or never came: recorded.  Whether that is a failure
 * (forced: killed for failing its checks). */
static bool record_end(const struct svc_params *p, struct svc_rt *rt, const struct svc_event *ev, bool forced,
                       struct svc_effects *out) {
        struct exit_info e = exit_info_from_wait(ev->status);
        rt->has_exit = true;
        rt->last_status = ev->status;
        rt->ready = false;
        out->mask |= SVC_EFF_CLEANUP;
        return forced || exit_info_is_failure(&e, p->stop_signal);
}

/* A oneshot that did its work on its own stays ready for what comes after it. */
static void oneshot_done(const struct svc_params *p, struct svc_rt *rt, bool failure, struct svc_effects *out) {
        if (p->type != SERVICE_ONESHOT || failure)
                return;
        rt->ready = true;
        out->mask |= SVC_EFF_READY;
}

/* It will not run again on its own: EXITED after a success, FAILED
 * otherwise.  ends_pod: the end of a main service stops the pod. */
static void end_for_good(const struct svc_params *p, struct svc_rt *rt, bool failure, bool ends_pod,
                         struct svc_effects *out) {
        rt->state = failure ? SVC_FAILED : SVC_EXITED;
        rt->waiting = false;
        out->mask |= SVC_EFF_DOWN;
        if (failure) {
                out->mask |= SVC_EFF_FAILED;
                if (!out->reason)
                        out->reason = "failed";
        }
        if (p->main && ends_pod)
                out->mask |= SVC_EFF_POD_END;
}

/* Admit a start against the start limit: spawn, or give up. */
static void try_start(const struct svc_params *p, struct svc_rt *rt, uint64_t now, struct svc_effects *out) {
        rt->waiting = false;
        rt->ready = false;
        if (rt->manual) {
                start_limit_reset(&rt->limit);
                rt->failures = 0;
                rt->manual = false;
        }
        if (!start_limit_admit(&rt->limit, &p->backoff, now)) {
                out->reason = "start limit reached";
                rt->want = SVC_WANT_NONE;
                end_for_good(p, rt, true, true, out);
                return;
        }
        rt->state = SVC_STARTING;
        rt->stop = SVC_STOP_NONE;
        out->mask |= SVC_EFF_SPAWN;
}

/* It ended while it was meant to run: its restart policy decides. */
static void judge_end(const struct svc_params *p, struct svc_rt *rt, const struct svc_event *ev, bool failure,
                      struct svc_effects *out) {
        if (ev->now_ms - rt->started_ms >= p->backoff.reset_ms)
                rt->failures = 0; /* it stayed up long enough: start over */
        oneshot_done(p, rt, failure, out);
        bool restart = p->restart == RESTART_ALWAYS || (p->restart == RESTART_ON_FAILURE && failure);
        if (!restart) {
                rt->want = SVC_WANT_NONE;
                end_for_good(p, rt, failure, true, out);
                return;
        }
        out->delay_ms = backoff_delay(&p->backoff, rt->failures, p->rnd, p->rnd_data);
        if (rt->failures < UINT32_MAX)
                rt->failures++;
        rt->state = SVC_BACKOFF;
        out->mask |= SVC_EFF_ARM_BACKOFF;
}

/* Its process ended (EXITED) or never came (SPAWN_FAILED). */
static void on_end(const struct svc_params *p, struct svc_rt *rt, const struct svc_event *ev,
                   struct svc_effects *out) {
        if (is_running(rt->state)) {
                bool failure = record_end(p, rt, ev, false, out);
                if (svc_rt_goal_up(rt)) {
                        judge_end(p, rt, ev, failure, out);
                        return;
                }
                /* It ended on its own while its stop waited for the order. */
                oneshot_done(p, rt, failure, out);
                end_for_good(p, rt, failure, rt->hold == SVC_STOP_POD, out);
                return;
        }
        if (rt->state != SVC_STOPPING)
                return;
        bool killed = rt->stop == SVC_STOP_FAILURE;
        bool failure = record_end(p, rt, ev, killed, out);
        out->mask |= SVC_EFF_CANCEL_TIMER;
        if (svc_rt_goal_up(rt) && killed) {
                judge_end(p, rt, ev, failure, out);
                return;
        }
        rt->state = SVC_STOPPED;
        out->mask |= SVC_EFF_DOWN;
        if (svc_rt_goal_up(rt))
                wait_start(rt, out); /* a restart */
        else if (p->main && rt->hold == SVC_STOP_POD)
                out->mask |= SVC_EFF_POD_END;
}

/* Its intent turned down (UNWANT, HOLD): stop what runs, in the order. */
static void go_down(struct svc_rt *rt, enum svc_stop why, struct svc_effects *out) {
        rt->waiting = false;
        raise_stop(rt, why);
        switch (rt->state) {
        case SVC_STARTING:
        case SVC_RUNNING:
        case SVC_READY:
                out->mask |= SVC_EFF_WAIT_STOP;
                break;
        case SVC_STOPPING:
                break;
        case SVC_BACKOFF:
                rt->state = SVC_STOPPED;
                out->mask |= SVC_EFF_CANCEL_TIMER | SVC_EFF_DOWN;
                break;
        default:
                out->mask |= SVC_EFF_DOWN; /* already down: the stop order moves on */
                break;
        }
}

/* An operator asks for it to run: that overrides their own stop and a
 * failure's, never the pod's hold. */
static void operator_up(struct svc_rt *rt) {
        rt->want = SVC_WANT_UP;
        if (rt->stop == SVC_STOP_OPERATOR || rt->stop == SVC_STOP_FAILURE)
                rt->stop = rt->state == SVC_STOPPING ? SVC_STOP_RESTART : SVC_STOP_NONE;
}

static void on_want(struct svc_rt *rt, bool manual, struct svc_effects *out) {
        if (manual)
                operator_up(rt);
        rt->want = SVC_WANT_UP;
        if (rt->hold != SVC_STOP_NONE)
                return; /* the hold's end decides */
        switch (rt->state) {
        case SVC_BACKOFF:
                if (!manual)
                        break;
                /* An operator does not wait for the backoff delay. */
                rt->state = SVC_STOPPED;
                out->mask |= SVC_EFF_CANCEL_TIMER;
                rt->manual = true;
                wait_start(rt, out);
                break;
        case SVC_STOPPED:
        case SVC_EXITED:
        case SVC_FAILED:
                rt->manual = rt->manual || manual;
                wait_start(rt, out);
                break;
        case SVC_STOPPING: /* its end starts it again */
                rt->manual = rt->manual || manual;
                break;
        default: /* already running */
                break;
        }
}

static void on_restart(struct svc_rt *rt, struct svc_effects *out) {
        operator_up(rt);
        if (rt->hold != SVC_STOP_NONE)
                return;
        rt->manual = true;
        switch (rt->state) {
        case SVC_STARTING:
        case SVC_RUNNING:
        case SVC_READY:
                rt->stop = SVC_STOP_RESTART;
                begin_stop(rt, SVC_STOP_RESTART, SVC_EFF_SIGNAL_STOP | SVC_EFF_ARM_STOP_TIMER, out);
                break;
        case SVC_STOPPING:
                break;
        case SVC_BACKOFF:
                rt->state = SVC_STOPPED;
                out->mask |= SVC_EFF_CANCEL_TIMER;
                wait_start(rt, out);
                break;
        default:
                wait_start(rt, out);
                break;
        }
}

static void on_hold(struct svc_rt *rt, enum svc_stop why, struct svc_effects *out) {
        if (why < SVC_STOP_RELOAD || why >= _SVC_STOP_MAX)
                return;
        if (why > rt->hold)
                rt->hold = why;
        go_down(rt, rt->hold, out);
}

static void on_release(struct svc_rt *rt, struct svc_effects *out) {
        if (rt->hold != SVC_STOP_RELOAD && rt->hold != SVC_STOP_REMOVED)
                return;
        rt->hold = SVC_STOP_NONE;
        if (rt->stop == SVC_STOP_RELOAD || rt->stop == SVC_STOP_REMOVED) {
                if (rt->want == SVC_WANT_DOWN)
                        rt->stop = SVC_STOP_OPERATOR;
                else
                        rt->stop = rt->state == SVC_STOPPING ? SVC_STOP_RESTART : SVC_STOP_NONE;
        }
        if (rt->want == SVC_WANT_UP && svc_state_is_down(rt->state))
                wait_start(rt, out);
}

static void on_spawned(const struct svc_params *p, struct svc_rt *rt, uint64_t now, struct svc_effects *out) {
        if (rt->state == SVC_STOPPING) {
                /* Stopped before its process existed: the first signal found none. */
                rt->started_ms = now;
                out->mask |= rt->stop == SVC_STOP_FAILURE ? SVC_EFF_KILL : SVC_EFF_SIGNAL_STOP;
                return;
        }
        if (rt->state != SVC_STARTING)
                return;
        rt->started_ms = now;
        if (p->waits_ready) {
                rt->state = SVC_RUNNING;
        } else {
                rt->state = SVC_READY;
                rt->ready = true;
                out->mask |= SVC_EFF_READY;
        }
}

static void on_timer(const struct svc_params *p, struct svc_rt *rt, uint64_t now, struct svc_effects *out) {
        if (rt->state == SVC_STOPPING) {
                out->mask |= SVC_EFF_KILL;
        } else if (rt->state == SVC_BACKOFF && svc_rt_goal_up(rt)) {
                try_start(p, rt, now, out);
                if (out->mask & SVC_EFF_SPAWN)
                        rt->restarts++;
        }
}

void svc_step(const struct svc_params *p, struct svc_rt *rt, const struct svc_event *ev,
              struct svc_effects *ret) {
        struct svc_effects out = { .from = rt->state };

        switch (ev->kind) {
        case SVC_EV_WANT:
                on_want(rt, ev->manual, &out);
                break;
        case SVC_EV_UNWANT:
                rt->want = SVC_WANT_DOWN;
                rt->manual = false;
                go_down(rt, SVC_STOP_OPERATOR, &out);
                break;
        case SVC_EV_RESTART:
                on_restart(rt, &out);
                break;
        case SVC_EV_HOLD:
                on_hold(rt, ev->reason, &out);
                break;
        case SVC_EV_RELEASE:
                on_release(rt, &out);
                break;
        case SVC_EV_FAIL:
        case SVC_EV_READY_TIMEOUT:
                if (ev->kind == SVC_EV_READY_TIMEOUT ? rt->state == SVC_RUNNING : is_running(rt->state))
                        begin_stop(rt, SVC_STOP_FAILURE, SVC_EFF_KILL | SVC_EFF_ARM_STOP_TIMER, &out);
                break;
        case SVC_EV_START:
                if (rt->waiting && svc_rt_goal_up(rt) && svc_state_is_down(rt->state))
                        try_start(p, rt, ev->now_ms, &out);
                break;
        case SVC_EV_STOP:
                if (!svc_rt_goal_up(rt) && is_running(rt->state))
                        begin_stop(rt, SVC_STOP_NONE, SVC_EFF_SIGNAL_STOP | SVC_EFF_ARM_STOP_TIMER, &out);
                break;
        case SVC_EV_SPAWNED:
                on_spawned(p, rt, ev->now_ms, &out);
                break;
        case SVC_EV_SPAWN_FAILED:
                if (rt->state == SVC_STARTING)
                        rt->started_ms = ev->now_ms;
                on_end(p, rt, ev, &out);
                break;
        case SVC_EV_READY:
                if (rt->state == SVC_RUNNING && p->type != SERVICE_ONESHOT) {
                        rt->state = SVC_READY;
                        rt->ready = true;
                        out.mask |= SVC_EFF_READY;
                }
                break;
        case SVC_EV_EXITED:
                on_end(p, rt, ev, &out);
                break;
        case SVC_EV_TIMER:
                on_timer(p, rt, ev->now_ms, &out);
                break;
        case SVC_EV_KILL:
                if (svc_state_has_process(rt->state)) {
                        if (rt->state != SVC_STOPPING)
                                begin_stop(rt, SVC_STOP_NONE, 0, &out);
                        out.mask |= SVC_EFF_KILL;
                }
                break;
        default:
                break;
        }
        out.to = rt->state;
        *ret = out;
}
