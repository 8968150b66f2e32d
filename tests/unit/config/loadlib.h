/* Helpers of the loader tests: files in a scratch directory, and loading
 * with an expected message. */
#pragma once

#include <sys/stat.h>

#include "config.h"
#include "tap.h"

static inline void write_file(const char *path, const char *text) {
        char dir[256];
        snprintf(dir, sizeof dir, "%s", path);
        for (char *p = strchr(dir, '/'); p; p = strchr(p + 1, '/')) {
                *p = 0;
                mkdir(dir, 0755);
                *p = '/';
        }
        FILE *f = fopen(path, "we");
        if (!f)
                return;
        fputs(text, f);
        fclose(f);
}

/* Each case runs in a fresh directory so file names stay short and the
 * messages can be compared exactly. */
static inline void reset_dir(void) {
        static int n;
        char d[64];
        snprintf(d, sizeof d, "case%d", ++n);
        if (mkdir(d, 0755) < 0 || chdir(d) < 0)
                printf("# cannot enter %s\n", d);
}

static inline void leave_dir(void) {
        if (chdir("..") < 0)
                printf("# cannot leave case directory\n");
}

/* Load target; true when the result is want_r and a message starts with
 * want. */
static inline bool load_expect(const char *target, char **entry, const char *want, int want_r, const char *what) {
        struct config_request req = { .path = target, .entrypoint_argv = entry };
        struct model m = { 0 };
        struct diags d = { 0 };
        int r = config_load(&req, &m, &d);
        bool found = false;
        for (size_t i = 0; i < d.n; i++)
                found |= strncmp(d.v[i].msg, want, strlen(want)) == 0;
        bool ok = tap_ok(r == want_r && found && m.n_services == 0, "%s", what);
        if (!ok) {
                printf("# r=%d, want \"%s\"\n", r, want);
                for (size_t i = 0; i < d.n && i < 10; i++)
                        printf("# got: %.300s\n", d.v[i].msg);
        }
        diags_free(&d);
        model_free(&m);
        return ok;
}

/* Load target that must be valid; prints the messages otherwise. */
static inline bool load_good(const char *target, char **entry, struct model *m, const char *what) {
        struct config_request req = { .path = target, .entrypoint_argv = entry };
        struct diags d = { 0 };
        int r = config_load(&req, m, &d);
        bool ok = tap_ok(r == 0 && d.n == 0, "%s loads", what);
        for (size_t i = 0; i < d.n && i < 10; i++)
                printf("# got: %.300s\n", d.v[i].msg);
        diags_free(&d);
        return ok;
}

static inline bool tmpdir_enter(char *tmp) {
        if (!mkdtemp(tmp) || chdir(tmp) < 0) {
                printf("1..0 # SKIP no temporary directory\n");
                return false;
        }
        return true;
}

static inline void tmpdir_leave(const char *tmp) {
        char cmd[128];
        if (chdir("/") < 0)
                return;
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        if (system(cmd) != 0)
                printf("# could not remove %s\n", tmp);
}
