/* Minimal TAP output for the config unit tests. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3))) static inline bool tap_ok(bool cond, const char *fmt, ...) {
        va_list ap;
        printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        if (!cond)
                tap_failed++;
        fflush(stdout);
        return cond;
}

static inline int tap_done(void) {
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}

#define tap_is_str(got, want, ...)                                                            \
        ({                                                                                    \
                const char *_g = (got), *_w = (want);                                         \
                bool _ok = (_g == NULL && _w == NULL) || (_g && _w && strcmp(_g, _w) == 0);   \
                if (!_ok)                                                                     \
                        printf("# got \"%s\", want \"%s\"\n", _g ? _g : "(null)", _w ? _w : "(null)"); \
                tap_ok(_ok, __VA_ARGS__);                                                     \
        })
