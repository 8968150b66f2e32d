/* Minimal TAP producer for the C unit tests (header-only).
 *
 *   plan(3); ok(x == 1, "x is one"); is_int(a, b, "..."); is_str(s, "x", "...");
 *   return done_testing();
 *
 * or, with the plan printed last:
 *
 *   tap_ok(x == 1, "x is %d", x); tap_is_str(s, "x", "..."); tap_skip("what", "why");
 *   return tap_done();
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed, tap_planned = -1;

static inline void plan(int n) {
        tap_planned = n;
        printf("1..%d\n", n);
        fflush(stdout);
}

static inline void skip_all(const char *why) {
        printf("1..0 # SKIP %s\n", why);
        fflush(stdout);
        exit(0);
}

__attribute__((format(printf, 2, 3))) static inline bool ok(bool cond, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
        fflush(stdout);
        if (!cond)
                tap_failed++;
        return cond;
}

#define is_int(got, want, ...)                                                                     \
        ({                                                                                         \
                long long _g = (long long)(got), _w = (long long)(want);                           \
                bool _r = ok(_g == _w, __VA_ARGS__);                                               \
                if (!_r)                                                                           \
                        printf("#   got %lld, want %lld\n", _g, _w);                               \
                _r;                                                                                \
        })

#define is_str(got, want, ...)                                                                     \
        ({                                                                                         \
                const char *_g = (got), *_w = (want);                                              \
                bool _r = ok(_g && _w ? strcmp(_g, _w) == 0 : _g == _w, __VA_ARGS__);              \
                if (!_r)                                                                           \
                        printf("#   got \"%s\"\n#  want \"%s\"\n", _g ? _g : "(null)",            \
                               _w ? _w : "(null)");                                                \
                _r;                                                                                \
        })

/* ok() when needle occurs in haystack. */
#define like(hay, needle, ...)                                                                     \
        ({                                                                                         \
                const char *_h = (hay), *_n = (needle);                                            \
                bool _r = ok(_h && strstr(_h, _n) != NULL, __VA_ARGS__);                           \
                if (!_r)                                                                           \
                        printf("#   \"%s\"\n#   does not contain \"%s\"\n", _h ? _h : "(null)", _n); \
                _r;                                                                                \
        })

static inline int done_testing(void) {
        if (tap_planned < 0)
                printf("1..%d\n", tap_n);
        else if (tap_planned != tap_n)
                printf("# planned %d tests but ran %d\n", tap_planned, tap_n);
        return tap_failed || (tap_planned >= 0 && tap_planned != tap_n) ? 1 : 0;
}

/* ok() whose description may quote a command's output: newlines and tabs
 * become spaces, so that it stays one TAP line. */
__attribute__((format(printf, 2, 3))) static inline bool tap_ok(bool cond, const char *fmt, ...) {
        char buf[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        for (char *c = buf; *c; c++)
                if (*c == '\n' || *c == '\t')
                        *c = ' ';
        return ok(cond, "%s", buf);
}

#define tap_is_str(got, want, ...)                                                                 \
        ({                                                                                         \
                const char *_tg = (got), *_tw = (want);                                            \
                bool _tr = (_tg == NULL && _tw == NULL) || (_tg && _tw && strcmp(_tg, _tw) == 0);  \
                if (!_tr)                                                                          \
                        printf("#   got \"%s\"\n#  want \"%s\"\n", _tg ? _tg : "(null)",          \
                               _tw ? _tw : "(null)");                                              \
                tap_ok(_tr, __VA_ARGS__);                                                          \
        })

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
        return done_testing();
}
