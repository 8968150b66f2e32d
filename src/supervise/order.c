#include "order.h"
#include "util.h"

int order_build(const struct model *m, struct order *ret) {
        size_t n = m->n_services;
        struct order o = { .n = n };

        o.dependents = calloc(n ? n : 1, sizeof *o.dependents);
        o.n_dependents = calloc(n ? n : 1, sizeof *o.n_dependents);
        if (!o.dependents || !o.n_dependents)
                goto oom;
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < m->services[i].n_after; k++)
                        o.n_dependents[m->services[i].after_idx[k]]++;
        for (size_t i = 0; i < n; i++) {
                o.dependents[i] = calloc(o.n_dependents[i] ? o.n_dependents[i] : 1, sizeof(size_t));
                if (!o.dependents[i])
                        goto oom;
                o.n_dependents[i] = 0;
        }
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < m->services[i].n_after; k++) {
                        size_t t = m->services[i].after_idx[k];
                        o.dependents[t][o.n_dependents[t]++] = i;
                }
        *ret = o;
        return 0;
oom:
        order_done(&o);
        return -ENOMEM;
}

void order_done(struct order *o) {
        if (o->dependents)
                for (size_t i = 0; i < o->n; i++)
                        free(o->dependents[i]);
        free(o->dependents);
        free(o->n_dependents);
        *o = (struct order){0};
}

bool order_can_start(const struct model *m, const struct svc_rt *rts, size_t i) {
        const struct service *s = &m->services[i];
        for (size_t k = 0; k < s->n_after; k++)
                if (!rts[s->after_idx[k]].ready)
                        return false;
        return true;
}

bool order_can_stop(const struct order *o, const struct svc_rt *rts, size_t i) {
        for (size_t k = 0; k < o->n_dependents[i]; k++) {
                const struct svc_rt *d = &rts[o->dependents[i][k]];
                if (!svc_state_is_down(d->state) && !svc_rt_goal_up(d))
                        return false;
        }
        return true;
}
