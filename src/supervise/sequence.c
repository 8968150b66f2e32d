/* The start and stop orders in motion (SPEC 2 `after`): which services may
 * start or stop now.  Only services that may have become able to go are
 * looked at: each one when it asks, then the dependents of what became
 * ready, or the `after` services of what went down, so that a long `after`
 * chain costs its length, not its square.  A pass only posts START and
 * STOP events: the lists stay as they are while it runs. */
#include "log.h"
#include "sup.h"

static void push(struct worklist *w, size_t idx) {
        if (w->all)
                return;
        size_t *v = grow_array(w->v, &w->cap, w->n + 1, sizeof *v, 64);
        if (!v) {
                w->all = true;
                return;
        }
        w->v = v;
        w->v[w->n++] = idx;
}

static bool is_running(enum svc_state st) {
        return st == SVC_STARTING || st == SVC_RUNNING || st == SVC_READY;
}

static bool may_start(const struct sup *s, size_t i) {
        const struct svc_rt *rt = &s->rts[i];
        return rt->waiting && svc_rt_goal_up(rt) && svc_state_is_down(rt->state) && order_can_start(s->m, s->rts, i);
}

static bool may_stop(const struct sup *s, size_t i) {
        const struct svc_rt *rt = &s->rts[i];
        return !svc_rt_goal_up(rt) && is_running(rt->state) && order_can_stop(&s->order, s->rts, i);
}

void seq_want_start(struct sup *s, size_t idx) {
        push(&s->starts, idx);
}

void seq_ready(struct sup *s, size_t idx) {
        for (size_t d = 0; d < s->order.n_dependents[idx]; d++) {
                size_t k = s->order.dependents[idx][d];
                if (s->rts[k].waiting)
                        push(&s->starts, k);
        }
}

void seq_want_stop(struct sup *s, size_t idx) {
        push(&s->stops, idx);
}

void seq_down(struct sup *s, size_t idx) {
        const struct service *def = s->svcs[idx].def;
        for (size_t a = 0; a < def->n_after; a++) {
                size_t k = def->after_idx[a];
                if (!svc_rt_goal_up(&s->rts[k]) && is_running(s->rts[k].state))
                        push(&s->stops, k);
        }
}

void seq_rescan(struct sup *s) {
        s->starts.n = s->stops.n = 0;
        s->starts.all = s->stops.all = true;
}

static bool pass(struct sup *s, struct worklist *w, bool (*may)(const struct sup *, size_t),
                 enum svc_event_kind kind) {
        bool posted = false;
        if (w->all) {
                w->all = false;
                w->n = 0;
                for (size_t i = 0; i < s->n; i++)
                        if (may(s, i)) {
                                sup_post_kind(s, i, kind);
                                posted = true;
                        }
                return posted;
        }
        for (size_t k = 0; k < w->n; k++)
                if (may(s, w->v[k])) {
                        sup_post_kind(s, w->v[k], kind);
                        posted = true;
                }
        w->n = 0;
        return posted;
}

bool seq_pass(struct sup *s) {
        bool stops = pass(s, &s->stops, may_stop, SVC_EV_STOP);
        bool starts = pass(s, &s->starts, may_start, SVC_EV_START);
        return stops || starts;
}

void seq_log_stranded(const struct sup *s) {
        for (size_t i = 0; i < s->n; i++)
                if (s->rts[i].waiting)
                        log_warn("service \"%s\": not started: a service in its after list did not become ready",
                                 s->svcs[i].def->name);
}

void seq_done(struct sup *s) {
        free(s->starts.v);
        free(s->stops.v);
        s->starts = s->stops = (struct worklist){0};
}
