/* Minimal TAP output for the output module's tests. */
#pragma once

#include <stdarg.h>
#include <stdio.h>

static int tap_n, tap_failed;

static inline void tap_ok(int cond, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
        vprintf(fmt, ap);
        printf("\n");
        fflush(stdout);
        va_end(ap);
        if (!cond)
                tap_failed++;
}

static inline int tap_done(void) {
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}
