/* Minimal TAP output for the cgroup unit tests. */
#pragma once

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void tap_ok(int cond, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
        if (!cond)
                tap_failed++;
        fflush(stdout);
}

static inline void tap_is_str(const char *got, const char *want, const char *name) {
        int ok = got && want && strcmp(got, want) == 0;
        tap_ok(ok, "%s", name);
        if (!ok)
                printf("# got:\n#   %s\n# want:\n#   %s\n", got ? got : "(null)", want ? want : "(null)");
}

static inline int tap_done(void) {
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}
