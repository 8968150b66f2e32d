/* Minimal TAP output for the ns unit tests. */
#pragma once

#include <stdarg.h>
#include <stdio.h>

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

static inline int tap_done(void) {
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}

#define TAP_STR(got, want, ...)                                                            \
        do {                                                                               \
                const char *_g = (got), *_w = (want);                                      \
                int _ok = _g && _w && strcmp(_g, _w) == 0;                                 \
                tap_ok(_ok, __VA_ARGS__);                                                  \
                if (!_ok)                                                                  \
                        printf("# got  \"%s\"\n# want \"%s\"\n", _g ? _g : "(null)", _w ? _w : "(null)"); \
        } while (0)
