/* Start-order planning and the human-readable plan of `corral --check`.
 * Pure functions of a validated model. */
#pragma once

#include <stdio.h>

#include "diag.h"
#include "model.h"

/* Topological order of m->services by `after` (after_idx): every service
 * comes after the services it names; ties keep declaration order.
 * O(services + edges).  Returns 0 and a malloc'd array of m->n_services
 * indices in *ret_order; -EINVAL with one error per cycle added to d
 * ("FILE:LINE: service \"a\": after: cycle a -> b -> a"); -ENOMEM. */
int plan_start_order(const struct model *m, size_t **ret_order, struct diags *d);

/* Print the declared plan: each service in start order with its settings
 * as declared, then the groups. */
void plan_print(const struct model *m, const size_t *order, FILE *out);
