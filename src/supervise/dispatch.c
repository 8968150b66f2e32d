/* The dispatcher: queued events in, each service's state machine stepped,
 * its effects carried out (sup.h).  Effects that raise events post them;
 * they are taken in turn by the same run, never by a nested one. */
#include <signal.h>

#include "exitstatus.h"
#include "log.h"
#include "sup.h"

static void log_end(const struct svc *v, const struct svc_rt *rt, const struct svc_effects *eff) {
        struct exit_info e = exit_info_from_wait(rt->last_status);
        char how[64];
        exit_info_format(&e, how, sizeof how);
        if (eff->mask & SVC_EFF_ARM_BACKOFF)
                log_info("service \"%s\": ended with %s; restart in %u ms", v->def->name, how, eff->delay_ms);
        else if ((eff->mask & SVC_EFF_FAILED) && !(eff->mask & SVC_EFF_POD_END))
                log_error("service \"%s\": %s (last: %s)", v->def->name, eff->reason, how);
        else if (eff->to == SVC_STOPPED)
                log_info("service \"%s\": stopped (%s)", v->def->name, how);
        else
                log_info("service \"%s\": ended with %s", v->def->name, how);
}

static void batch_add(struct sup *s, size_t idx) {
        size_t *b = grow_array(s->batch, &s->cap_batch, s->n_batch + 1, sizeof *b, 64);
        if (!b) {
                proc_spawn_many(s, &idx, 1); /* alone, then */
                return;
        }
        s->batch = b;
        s->batch[s->n_batch++] = idx;
}

/* The process side of the effects, in the order of their bits. */
static void apply_process(struct sup *s, size_t idx, enum svc_event_kind kind, const struct svc_effects *eff) {
        struct svc *v = &s->svcs[idx];
        unsigned m = eff->mask;
        if (m & SVC_EFF_CANCEL_TIMER)
                loop_timer_cancel(s->loop, idx);
        if (m & SVC_EFF_SIGNAL_STOP) {
                log_debug("service \"%s\": sending SIG%s", v->def->name, signal_name(v->params.stop_signal));
                (void)proc_signal(s, idx, v->params.stop_signal, true);
        }
        if (m & SVC_EFF_ARM_STOP_TIMER)
                loop_timer_arm(s->loop, idx, v->def->stop_timeout_ms);
        if (m & SVC_EFF_KILL) {
                if (kind == SVC_EV_TIMER)
                        log_warn("service \"%s\": still running after its stop timeout: SIGKILL", v->def->name);
                proc_kill_all(s, idx);
        }
        if (m & SVC_EFF_CLEANUP)
                log_end(v, &s->rts[idx], eff); /* its process ended */
        else if (m & SVC_EFF_FAILED)
                log_error("service \"%s\": %s", v->def->name, eff->reason);
        if (m & SVC_EFF_FAILED)
                s->any_failed = true;
        if (m & SVC_EFF_ARM_BACKOFF)
                loop_timer_arm(s->loop, idx, eff->delay_ms);
}

/* What the effects mean for the others: the orders, readiness, the pod. */
static void apply_order(struct sup *s, size_t idx, const struct svc_effects *eff) {
        const struct sup_hooks *h = &s->opts->hooks;
        unsigned m = eff->mask;
        if (m & SVC_EFF_READY) {
                log_debug("service \"%s\": ready", s->svcs[idx].def->name);
                seq_ready(s, idx);
        }
        if (m & SVC_EFF_DOWN) {
                if (eff->to == SVC_STOPPED && h->stopped)
                        h->stopped(h->ud, s->svcs[idx].def);
                seq_down(s, idx);
        }
        if (m & SVC_EFF_WAIT_START)
                seq_want_start(s, idx);
        if (m & SVC_EFF_WAIT_STOP)
                seq_want_stop(s, idx);
        ready_on_change(s, idx, eff);
        sdnotify_on_change(s, idx, eff);
        if (m & SVC_EFF_POD_END)
                pod_main_ended(s, idx);
        if (m & SVC_EFF_SPAWN)
                batch_add(s, idx);
}

static void count(struct sup *s, bool was_ready, const struct svc_rt *rt, const struct svc_effects *eff) {
        bool from_down = svc_state_is_down(eff->from), to_down = svc_state_is_down(eff->to);
        if (from_down != to_down)
                s->n_down = to_down ? s->n_down + 1 : s->n_down - 1;
        if (rt->ready != was_ready)
                s->n_ready = was_ready ? s->n_ready - 1 : s->n_ready + 1;
}

static void step(struct sup *s, const struct sup_event *e) {
        struct svc *v = &s->svcs[e->idx];
        struct svc_rt *rt = &s->rts[e->idx];
        struct svc_event ev = e->ev;
        struct svc_effects eff;

        ev.now_ms = now_ms();
        bool was_ready = rt->ready;
        svc_step(&v->params, rt, &ev, &eff);
        count(s, was_ready, rt, &eff);
        if (eff.from != eff.to)
                log_debug("service \"%s\": %s -> %s on %s", v->def->name, svc_state_to_string(eff.from),
                          svc_state_to_string(eff.to), svc_event_to_string(ev.kind));
        apply_process(s, e->idx, ev.kind, &eff);
        apply_order(s, e->idx, &eff);
}

static void recount(struct sup *s) {
        s->recount = false;
        s->n_down = s->n_ready = 0;
        for (size_t i = 0; i < s->n; i++) {
                s->n_down += svc_state_is_down(s->rts[i].state);
                s->n_ready += s->rts[i].ready;
        }
}

void dispatch_run(struct sup *s) {
        if (s->dispatching)
                return;
        s->dispatching = true;
        if (s->recount)
                recount(s);
        s->step_now = step;
        for (;;) {
                struct sup_event e;
                while (events_pop(s, &e))
                        step(s, &e);
                if (s->n_batch) {
                        /* Spawning only posts events: the batch stays as it is meanwhile. */
                        proc_spawn_many(s, s->batch, s->n_batch);
                        s->n_batch = 0;
                        continue;
                }
                if (!seq_pass(s))
                        break;
        }
        s->dispatching = false;
}
