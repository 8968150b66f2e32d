/* The config loader: libconfig files -> validated struct model (SPEC 2).
 *
 * Every error found is added to the diags list with its FILE:LINE and
 * context ("service \"db\": memory_max: ..."), so that a user sees all of
 * them at once.  Nothing here touches the system beyond reading the config
 * files and the user/group databases, and looking commands up in PATH. */
#pragma once

#include "diag.h"
#include "model.h"

#define CONFIG_DEFAULT_FILE "/etc/corral/corral.conf"
#define CONFIG_DEFAULT_DIR "/etc/corral/conf.d"

struct config_request {
        /* -c FILE or DIR; NULL: CONFIG_DEFAULT_FILE, then every
         * CONFIG_DEFAULT_DIR/\*.conf, either of them may be absent. */
        const char *path;
        /* "-- CMD ARGS", NULL-terminated, or NULL: becomes the service
         * "main" (main, restart never, output inherit, entrypoint; argv[0]
         * resolved when it starts). */
        char **entrypoint_argv;
};

/* Read, merge and validate the config, and check that a start order exists
 * (plan_start_order).
 *
 * Returns 0 and fills *ret (to be released with model_free());
 * -EINVAL when the config is invalid, with every error added to d;
 * -ENOENT when no config exists and there is no entrypoint (d names the
 * paths looked for); -ENOMEM.  *ret is untouched on failure. */
int config_load(const struct config_request *req, struct model *ret, struct diags *d);

/* Names for messages and plans: "CAP_NET_ADMIN", "nofile"; NULL if unknown. */
const char *config_capability_name(int cap);
const char *config_rlimit_name(int resource);
