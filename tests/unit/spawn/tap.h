/* Minimal TAP output for the spawn tests: the plan is printed last. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3))) static inline bool tap_ok(bool cond, const char *fmt, ...) {
        char buf[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        /* Output quoted in a description must stay on one line. */
        for (char *c = buf; *c; c++)
                if (*c == '\n' || *c == '\t')
                        *c = ' ';
        printf("%sok %d - %s\n", cond ? "" : "not ", ++tap_n, buf);
        fflush(stdout);
        if (!cond)
                tap_failed++;
        return cond;
}

__attribute__((format(printf, 1, 2))) static inline void tap_diag(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        printf("# ");
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
        fflush(stdout);
}

static inline void tap_skip(const char *what, const char *why) {
        printf("ok %d - %s # SKIP %s\n", ++tap_n, what, why);
        fflush(stdout);
}

static inline int tap_done(void) {
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}
