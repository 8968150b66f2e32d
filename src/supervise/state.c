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

static const char *const event_names[_SVC_EV_MAX] = {
        [SVC_EV_START] = "start",
        [SVC_EV_SPAWNED] = "spawned",
        [SVC_EV_SPAWN_FAILED] = "spawn-failed",
        [SVC_EV_READY] = "ready",
        [SVC_EV_EXITED] = "exited",
        [SVC_EV_STOP] = "stop",
        [SVC_EV_STOP_TIMEOUT] = "stop-timeout",
        [SVC_EV_BACKOFF_DONE] = "backoff-done",
        [SVC_EV_HOLD] = "hold",
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

/* The service will not run again on its own: EXITED after a success, FAILED
 * otherwise.  A main service ending for good stops the pod. */
static void end_for_good(const struct svc_params *p, struct svc_rt *rt, bool failure,
                         struct svc_effects *out) {
        rt->state = failure ? SVC_FAILED : SVC_EXITED;
        out->mask |= SVC_EFF_DOWN;
        if (failure) {
                out->mask |= SVC_EFF_FAILED;
                if (!out->reason)
                        out->reason = "failed";
        }
        if (p->main)
                out->mask |= SVC_EFF_MAIN_ENDED;
}

/* Admit a start against the start limit: spawn, or give up. */
static void try_start(const struct svc_params *p, struct svc_rt *rt, uint64_t now,
                      struct svc_effects *out) {
        if (!start_limit_admit(&rt->limit, &p->backoff, now)) {
                out->reason = "start limit reached";
                rt->ready = false;
                end_for_good(p, rt, true, out);
                return;
        }
        rt->state = SVC_STARTING;
        rt->ready = false;
        out->mask |= SVC_EFF_SPAWN;
}

/* Its process ended (or never got to exec) while it was meant to run. */
static void on_end(const struct svc_params *p, struct svc_rt *rt, const struct svc_event *ev,
                   struct svc_effects *out) {
        struct exit_info e = exit_info_from_wait(ev->status);
        bool failure = exit_info_is_failure(&e, p->stop_signal);

        rt->has_exit = true;
        rt->last_status = ev->status;
        out->mask |= SVC_EFF_CLEANUP;
        if (ev->now_ms - rt->started_ms >= p->backoff.reset_ms)
                rt->failures = 0; /* it stayed up long enough: start over */

        rt->ready = p->type == SERVICE_ONESHOT && !failure;
        if (rt->ready)
                out->mask |= SVC_EFF_READY;

        bool restart = !rt->hold && (p->restart == RESTART_ALWAYS ||
                                     (p->restart == RESTART_ON_FAILURE && failure));
        if (!restart) {
                end_for_good(p, rt, failure, out);
                return;
        }
        out->delay_ms = backoff_delay(&p->backoff, rt->failures, p->rnd, p->rnd_data);
        if (rt->failures < UINT32_MAX)
                rt->failures++;
        rt->state = SVC_BACKOFF;
        out->mask |= SVC_EFF_ARM_BACKOFF;
}

static void on_start(const struct svc_params *p, struct svc_rt *rt, const struct svc_event *ev,
                     struct svc_effects *out) {
        if (svc_state_has_process(rt->state))
                return;
        if (rt->state == SVC_BACKOFF)
                out->mask |= SVC_EFF_CANCEL_TIMER;
        if (ev->manual) {
                start_limit_reset(&rt->limit);
                rt->failures = 0;
        }
        rt->hold = false;
        try_start(p, rt, ev->now_ms, out);
}

static void on_stop(struct svc_rt *rt, struct svc_effects *out) {
        rt->hold = true;
        switch (rt->state) {
        case SVC_STARTING:
        case SVC_RUNNING:
        case SVC_READY:
                rt->state = SVC_STOPPING;
                out->mask |= SVC_EFF_SIGNAL_STOP | SVC_EFF_ARM_STOP_TIMER;
                break;
        case SVC_BACKOFF:
                rt->state = SVC_STOPPED;
                out->mask |= SVC_EFF_CANCEL_TIMER | SVC_EFF_DOWN;
                break;
        case SVC_STOPPING:
                break;
        default:
                out->mask |= SVC_EFF_DOWN; /* already down: the stop order moves on */
                break;
        }
}

static void on_exited(const struct svc_params *p, struct svc_rt *rt, const struct svc_event *ev,
                      struct svc_effects *out) {
        switch (rt->state) {
        case SVC_STARTING:
        case SVC_RUNNING:
        case SVC_READY:
                on_end(p, rt, ev, out);
                break;
        case SVC_STOPPING:
                rt->has_exit = true;
                rt->last_status = ev->status;
                rt->ready = false;
                rt->state = SVC_STOPPED;
                out->mask |= SVC_EFF_CANCEL_TIMER | SVC_EFF_CLEANUP | SVC_EFF_DOWN;
                if (p->main)
                        out->mask |= SVC_EFF_MAIN_ENDED;
                break;
        default:
                break;
        }
}

void svc_step(const struct svc_params *p, struct svc_rt *rt, const struct svc_event *ev,
              struct svc_effects *ret) {
        struct svc_effects out = { .from = rt->state };

        switch (ev->kind) {
        case SVC_EV_START:
                on_start(p, rt, ev, &out);
                break;
        case SVC_EV_SPAWNED:
                if (rt->state != SVC_STARTING)
                        break;
                rt->started_ms = ev->now_ms;
                if (p->waits_ready) {
                        rt->state = SVC_RUNNING;
                } else {
                        rt->state = SVC_READY;
                        rt->ready = true;
                        out.mask |= SVC_EFF_READY;
                }
                break;
        case SVC_EV_SPAWN_FAILED:
                if (rt->state == SVC_STARTING) {
                        rt->started_ms = ev->now_ms;
                        on_end(p, rt, ev, &out);
                }
                break;
        case SVC_EV_READY:
                if (rt->state == SVC_RUNNING && p->type != SERVICE_ONESHOT) {
                        rt->state = SVC_READY;
                        rt->ready = true;
                        out.mask |= SVC_EFF_READY;
                }
                break;
        case SVC_EV_EXITED:
                on_exited(p, rt, ev, &out);
                break;
        case SVC_EV_STOP:
                on_stop(rt, &out);
                break;
        case SVC_EV_STOP_TIMEOUT:
                if (rt->state == SVC_STOPPING)
                        out.mask |= SVC_EFF_KILL;
                break;
        case SVC_EV_BACKOFF_DONE:
                if (rt->state == SVC_BACKOFF && !rt->hold) {
                        try_start(p, rt, ev->now_ms, &out);
                        if (out.mask & SVC_EFF_SPAWN)
                                rt->restarts++;
                }
                break;
        case SVC_EV_HOLD:
                rt->hold = true;
                if (rt->state == SVC_BACKOFF) {
                        rt->state = SVC_STOPPED;
                        out.mask |= SVC_EFF_CANCEL_TIMER | SVC_EFF_DOWN;
                }
                break;
        default:
                break;
        }
        out.to = rt->state;
        *ret = out;
}
