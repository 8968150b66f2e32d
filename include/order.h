/* Start and stop ordering from `after` (SPEC 2): a service starts once
 * everything in its `after` is ready, and stops only once every service
 * that comes after it is down.  Pure: decisions from the model and the
 * services' runtime states. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "service.h"

struct order {
        size_t n;
        size_t **dependents; /* dependents[i]: services whose `after` lists i */
        size_t *n_dependents;
};

/* Build the reverse `after` edges.  after_idx of every service must be
 * filled (the config loader does that).  -ENOMEM. */
int order_build(const struct model *m, struct order *ret);
void order_done(struct order *o);

/* Every service in the `after` of service i is ready. */
bool order_can_start(const struct model *m, const struct svc_rt *rts, size_t i);

/* No service that comes after service i and is to stop as well (its goal
 * is down: the pod stops, a reload replaces it, an operator stopped it)
 * still has a process or a pending restart, so stopping i now keeps the
 * reverse order.  A dependent meant to go on running does not hold i. */
bool order_can_stop(const struct order *o, const struct svc_rt *rts, size_t i);
