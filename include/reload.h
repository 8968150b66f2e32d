/* What a reload changes: the old and new models compared service by service
 * (SPEC 6 reload: start added, stop removed, restart changed services, keep
 * unchanged ones running with the same pid).  Pure data. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

enum reload_change { RELOAD_UNCHANGED, RELOAD_CHANGED, RELOAD_ADDED, RELOAD_REMOVED };
const char *reload_change_to_string(enum reload_change c);

struct reload_diff {
        /* For each service of the new model: its change, and the index of the
         * same name in the old model (-1 when added). */
        enum reload_change *new_change;
        ssize_t *old_index;
        /* For each service of the old model: RELOAD_REMOVED when the new
         * model has no service of that name, else the change above. */
        enum reload_change *old_change;
        size_t n_added, n_removed, n_changed, n_unchanged;
};

/* Compare two models.  A service is unchanged when every setting it was
 * declared with is the same (where it was written does not matter).
 * A service below a group that changed counts as changed.  O(n log n) in
 * the number of services (plus services x changed groups).  -ENOMEM. */
int reload_diff_build(const struct model *old, const struct model *new, struct reload_diff *ret);
void reload_diff_free(struct reload_diff *d);

/* Whether two services are declared alike (name included). */
bool service_same(const struct service *a, const struct service *b);
