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

/* Bounds of one load (SPEC 2 "Limits and includes", SPEC 10), beside
 * CORRAL_MAX_FILE_SIZE for each file and the bounds of model.h.  They keep a
 * hostile config, and so a reload inside PID 1's event loop, from costing
 * more time or memory than a valid config of the same bounds would. */
#define CONFIG_MAX_TOTAL_SIZE (4 * 1024 * 1024) /* bytes read, an included file each time */
#define CONFIG_MAX_INCLUDES 256                  /* @include lines expanded */
#define CONFIG_MAX_DEPTH 10                      /* @include inside @include */
#define CONFIG_MAX_FILES 4096                    /* *.conf files of a directory */
#define CONFIG_MAX_VALUES 262144                 /* settings and elements of arrays and lists */
#define CONFIG_MAX_GROUP_SIZE 1024               /* settings in one group { } */
#define CONFIG_MAX_NESTING 32                    /* groups, arrays and lists inside each other */
#define CONFIG_MAX_ERRORS 100                    /* messages kept; the others are counted */

/* What a load cost, for tests and for bounding it. */
struct config_stats {
        size_t bytes;    /* read from config files */
        size_t files;    /* opened */
        size_t includes; /* @include lines expanded */
        size_t values;   /* settings and elements parsed */
};

struct config_request {
        /* -c FILE or DIR; NULL: CONFIG_DEFAULT_FILE, then every
         * CONFIG_DEFAULT_DIR/\*.conf, either of them may be absent. */
        const char *path;
        /* "-- CMD ARGS", NULL-terminated, or NULL: becomes the service
         * "main" (main, restart never, output inherit, entrypoint; argv[0]
         * resolved when it starts). */
        char **entrypoint_argv;
        /* When not NULL: filled with what the load cost, even when it fails. */
        struct config_stats *stats;
};

/* Read, merge and validate the config, and check that a start order exists
 * (plan_start_order).
 *
 * Returns 0 and fills *ret (to be released with model_free());
 * -EINVAL when the config is invalid, with its errors added to d (the first
 * CONFIG_MAX_ERRORS of them; the others are counted in d->dropped);
 * -ENOENT when no config exists and there is no entrypoint (d names the
 * paths looked for); -ENOMEM.  *ret is untouched on failure. */
int config_load(const struct config_request *req, struct model *ret, struct diags *d);

/* Names for messages and plans: "CAP_NET_ADMIN", "nofile"; NULL if unknown. */
const char *config_capability_name(int cap);
const char *config_rlimit_name(int resource);
