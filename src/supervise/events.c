/* The queue of events between their producers (the loop's callbacks, the
 * control socket, readiness, reload, and the effects being carried out)
 * and the dispatcher, which takes them in order (sup.h).  A ring, reserved
 * for several events per service, so that the steady state allocates
 * nothing. */
#include "log.h"
#include "sup.h"

int events_reserve(struct sup *s, size_t cap) {
        if (cap <= s->q_cap)
                return 0;
        struct sup_event *q = calloc(cap, sizeof *q);
        if (!q)
                return -ENOMEM;
        for (size_t i = 0; i < s->q_len; i++)
                q[i] = s->queue[(s->q_head + i) % s->q_cap];
        free(s->queue);
        s->queue = q;
        s->q_cap = cap;
        s->q_head = 0;
        return 0;
}

void events_free(struct sup *s) {
        free(s->queue);
        s->queue = NULL;
        s->q_cap = s->q_len = s->q_head = 0;
}

void sup_post(struct sup *s, size_t idx, const struct svc_event *ev) {
        struct sup_event e = { .idx = idx, .ev = *ev };
        if (s->q_len == s->q_cap && events_reserve(s, s->q_cap ? 2 * s->q_cap : 64) < 0) {
                /* Lost it would leave the service stuck: handle it now
                 * (the queue was reserved for the start, so the dispatcher
                 * has run by then). */
                log_error("service \"%s\": out of memory queueing %s: handled at once", s->svcs[idx].def->name,
                          svc_event_to_string(ev->kind));
                if (s->step_now)
                        s->step_now(s, &e);
                return;
        }
        s->queue[(s->q_head + s->q_len) % s->q_cap] = e;
        s->q_len++;
}

void sup_post_kind(struct sup *s, size_t idx, enum svc_event_kind kind) {
        struct svc_event ev = { .kind = kind };
        sup_post(s, idx, &ev);
}

bool events_pop(struct sup *s, struct sup_event *ret) {
        if (!s->q_len)
                return false;
        *ret = s->queue[s->q_head];
        s->q_head = (s->q_head + 1) % s->q_cap;
        s->q_len--;
        return true;
}

bool events_empty(const struct sup *s) {
        return s->q_len == 0;
}
