/* The grammar of libconfig 1.5, checked before libconfig parses anything.
 *
 * libconfig 1.5 leaks the string token a syntax error stops at (its parser
 * declares no destructor for it: libconfig issue 142, fixed after 1.5), and
 * it looks for duplicate names in a group by a linear search, so a group of
 * n settings costs n^2 comparisons.  corral runs the loader inside PID 1's
 * event loop on every reload, so libconfig is handed only text this file
 * accepts: the same tokens (flex's longest match, earliest rule on a tie, as
 * in libconfig's scanner.l), the same grammar (grammar.y), the same checks
 * its actions make (duplicate names, one type per array), and the bounds of
 * config.h on nesting, group size and the number of values.  The first
 * error is reported, as libconfig would, but with what was found.
 *
 * Stricter than libconfig on purpose: a number too large for its type
 * (libconfig 1.5 cuts 4294967297 to the int 1, and 0x100000000 to 0) and a
 * block comment left open (libconfig ends the text there, silently dropping
 * what follows) are errors. */
#include <limits.h>

#include "config-internal.h"

enum tok {
        T_EOF, T_NAME, T_EQUALS, T_COMMA, T_SEMI, T_GROUP_START, T_GROUP_END, T_ARRAY_START, T_ARRAY_END,
        T_LIST_START, T_LIST_END, T_BOOL, T_INT, T_INT64, T_FLOAT, T_STRING, T_GARBAGE,
        T_BAD_STRING, T_BAD_COMMENT, T_INCLUDE, T_BAD_INT, T_BAD_INT64,
};

/* Scalar types as libconfig's arrays tell them apart. */
static const char *const scalar_names[] = {
        [T_BOOL] = "a boolean", [T_INT] = "an integer", [T_INT64] = "a 64-bit integer",
        [T_FLOAT] = "a float", [T_STRING] = "a string",
};

struct name_ref {
        const char *p;
        size_t len;
        unsigned line;
};

struct syn {
        const struct source *src;
        const char *start;   /* the text */
        const char *p;       /* next byte to scan */
        unsigned line;       /* line of p */
        enum tok tok;        /* current token */
        const char *tok_p;   /* its text */
        size_t tok_len;
        unsigned tok_line;
        size_t values, max_values;
        struct name_ref *names; /* names of the open groups, innermost last */
        size_t n_names, cap_names;
        struct diags *d;
        int err; /* 0, -EINVAL after the first error, -ENOMEM */
};

_printf_(3, 4) static void syn_error(struct syn *x, unsigned line, const char *fmt, ...) {
        char msg[256];
        va_list ap;
        if (x->err)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        struct loc at = cfg_source_locate(x->src, line);
        diag_add(x->d, at.file, at.line, "%s", msg);
        x->err = -EINVAL;
}

/* ---- the scanner: lengths of the matches of scanner.l's rules at p ---- */

#define DIGITS "0123456789"
#define XDIGITS "0123456789abcdefABCDEF"

static size_t sign(const char *p) {
        return *p == '-' || *p == '+';
}

/* L or LL after a number. */
static size_t long_suffix(const char *p) {
        return p[0] != 'L' ? 0 : p[1] == 'L' ? 2 : 1;
}

/* ([eE][-+]?[0-9]+), 0 when it does not match whole. */
static size_t exponent(const char *p) {
        if (*p != 'e' && *p != 'E')
                return 0;
        size_t n = 1 + sign(p + 1), k = strspn(p + n, DIGITS);
        return k ? n + k : 0;
}

/* {float}: ([-+]?([0-9]*)?\.[0-9]*([eE][-+]?[0-9]+)?) or
 * ([-+]?([0-9]+)(\.[0-9]*)?[eE][-+]?[0-9]+), the longer one. */
static size_t match_float(const char *p) {
        size_t s = sign(p), d = strspn(p + s, DIGITS), a = 0, b = 0;
        if (p[s + d] == '.') {
                a = s + d + 1;
                a += strspn(p + a, DIGITS);
                a += exponent(p + a);
        }
        if (d) {
                size_t n = s + d;
                if (p[n] == '.')
                        n += 1 + strspn(p + n + 1, DIGITS);
                size_t e = exponent(p + n);
                b = e ? n + e : 0;
        }
        return a > b ? a : b;
}

static size_t word_is(const char *p, const char *w) {
        size_t n = strlen(w);
        return strncasecmp(p, w, n) == 0 ? n : 0;
}

static bool alpha(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Whether the decimal number of n bytes at p (with an optional sign) is
 * within -(max + 1) .. max. */
static bool dec_fits(const char *p, size_t n, unsigned long long max) {
        unsigned long long v = 0, lim = max + (*p == '-');
        for (size_t i = sign(p); i < n; i++) {
                unsigned d = (unsigned)(p[i] - '0');
                if (v > (lim - d) / 10)
                        return false;
                v = v * 10 + d;
        }
        return true;
}

/* Whether the hex number of n bytes at p ("0x...") has at most max_digits
 * significant digits. */
static bool hex_fits(const char *p, size_t n, size_t max_digits) {
        size_t i = 2;
        while (i < n && p[i] == '0')
                i++;
        return n - i <= max_digits;
}

/* libconfig 1.5 (Debian 12's, the release before its scanner learnt to
 * promote large {integer}s) reads every {integer} as an int. */
static enum tok int_kind(bool fits) {
        return fits ? T_INT : T_BAD_INT;
}

static enum tok int64_kind(bool fits) {
        return fits ? T_INT64 : T_BAD_INT64;
}

/* The token starting at p in the INITIAL state: the longest match, the
 * earliest rule on a tie.  Numbers, names and booleans only; the single
 * characters are matched by the caller. */
static enum tok match_word(const char *p, size_t *ret_len) {
        size_t best = 0;
        enum tok t = T_GARBAGE;
#define TRY(len, kind)                                                                             \
        do {                                                                                       \
                size_t _n = (len);                                                                 \
                if (_n > best)                                                                     \
                        best = _n, t = (kind);                                                     \
        } while (0)
        TRY(word_is(p, "true"), T_BOOL);
        TRY(word_is(p, "false"), T_BOOL);
        if (alpha(*p) || *p == '*')
                TRY(1 + strspn(p + 1, "-_*abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" DIGITS), T_NAME);
        TRY(match_float(p), T_FLOAT);
        size_t s = sign(p), d = strspn(p + s, DIGITS);
        if (d) {
                TRY(s + d, int_kind(dec_fits(p, s + d, INT_MAX)));
                TRY(s + d + long_suffix(p + s + d), int64_kind(dec_fits(p, s + d, LLONG_MAX)));
        }
        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && (d = strspn(p + 2, XDIGITS))) {
                TRY(2 + d, int_kind(hex_fits(p, 2 + d, 8)));
                TRY(2 + d + long_suffix(p + 2 + d), int64_kind(hex_fits(p, 2 + d, 16)));
        }
#undef TRY
        *ret_len = best ? best : 1;
        return t;
}

/* After the opening quote: to the closing one, as <STRING> does. */
static bool skip_string(struct syn *x) {
        for (const char *p = x->p;; p++) {
                if (!*p)
                        return false;
                if (*p == '\n')
                        x->line++;
                else if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                        p++;
                else if (*p == '"') {
                        x->p = p + 1;
                        return true;
                }
        }
}

/* After the opening slash-star: to the closing star-slash. */
static bool skip_comment(struct syn *x) {
        for (const char *p = x->p; *p; p++) {
                if (*p == '\n')
                        x->line++;
                else if (p[0] == '*' && p[1] == '/') {
                        x->p = p + 2;
                        return true;
                }
        }
        return false;
}

/* `(#|//).*$`: only when a newline ends it (flex's $). */
static size_t line_comment(const char *p) {
        if (*p != '#' && !(p[0] == '/' && p[1] == '/'))
                return 0;
        const char *nl = strchr(p, '\n');
        return nl ? (size_t)(nl - p) : 0;
}

static enum tok single(char c) {
        switch (c) {
        case '=': case ':': return T_EQUALS;
        case ',': return T_COMMA;
        case ';': return T_SEMI;
        case '{': return T_GROUP_START;
        case '}': return T_GROUP_END;
        case '[': return T_ARRAY_START;
        case ']': return T_ARRAY_END;
        case '(': return T_LIST_START;
        case ')': return T_LIST_END;
        default: return T_GARBAGE;
        }
}

/* `^[ \t]*@include[ \t]+"`: corral expands these before; one left here
 * would be read by libconfig itself. */
static bool include_open(const struct syn *x, const char *p) {
        const char *b = p;
        while (b > x->start && (b[-1] == ' ' || b[-1] == '\t'))
                b--;
        if (b > x->start && b[-1] != '\n')
                return false;
        if (strncmp(p, "@include", 8) != 0 || (p[8] != ' ' && p[8] != '\t'))
                return false;
        return p[8 + strspn(p + 8, " \t")] == '"';
}

static void next(struct syn *x) {
        for (;;) {
                const char *p = x->p;
                size_t n;
                x->tok_p = p;
                x->tok_line = x->line;
                if (!*p) {
                        x->tok = T_EOF;
                        x->tok_len = 0;
                        return;
                }
                if (*p == '\n' || *p == '\r' || *p == '\f' || *p == ' ' || *p == '\t') {
                        x->line += *p == '\n';
                        x->p++;
                        continue;
                }
                if (p[0] == '/' && p[1] == '*') {
                        x->p += 2;
                        if (skip_comment(x))
                                continue;
                        x->tok = T_BAD_COMMENT;
                        return;
                }
                if ((n = line_comment(p))) {
                        x->p += n;
                        continue;
                }
                if (*p == '"') {
                        x->p++;
                        x->tok = skip_string(x) ? T_STRING : T_BAD_STRING;
                        x->tok_len = (size_t)(x->p - p);
                        return;
                }
                if (*p == '@' && include_open(x, p)) {
                        x->tok = T_INCLUDE;
                        x->tok_len = 8;
                        return;
                }
                x->tok = single(*p);
                n = 1;
                if (x->tok == T_GARBAGE)
                        x->tok = match_word(p, &n);
                x->tok_len = n;
                x->p += n;
                return;
        }
}

/* ---- the grammar ---- */

static void unexpected(struct syn *x) {
        char text[65];
        size_t n = x->tok_len < sizeof text - 1 ? x->tok_len : sizeof text - 1;
        switch (x->tok) {
        case T_EOF:
                return syn_error(x, x->tok_line, "syntax error: unexpected end of file");
        case T_STRING:
                return syn_error(x, x->tok_line, "syntax error: unexpected string");
        case T_BAD_STRING:
                return syn_error(x, x->tok_line, "unterminated string");
        case T_BAD_COMMENT:
                return syn_error(x, x->tok_line, "unterminated /* comment");
        case T_INCLUDE:
                return syn_error(x, x->tok_line, "@include: not expanded here");
        default:
                break;
        }
        memcpy(text, x->tok_p, n);
        text[n] = 0;
        if (x->tok == T_BAD_INT)
                syn_error(x, x->tok_line, "%s is out of range for a 32-bit integer (with an L after it, 64 bits)",
                          QUOTED(text));
        else if (x->tok == T_BAD_INT64)
                syn_error(x, x->tok_line, "%s is out of range for a 64-bit integer", QUOTED(text));
        else
                syn_error(x, x->tok_line, "syntax error: unexpected %s", QUOTED(text));
}

static bool count_value(struct syn *x) {
        if (++x->values <= x->max_values)
                return true;
        syn_error(x, x->tok_line, "more than %d settings and elements in all", CONFIG_MAX_VALUES);
        x->err = -E2BIG;
        return false;
}

/* One scalar (adjacent strings are one): its type, or T_EOF when the
 * token starts none. */
static enum tok scalar(struct syn *x) {
        enum tok t = x->tok;
        switch (t) {
        case T_BOOL: case T_INT: case T_INT64: case T_FLOAT:
                next(x);
                return t;
        case T_STRING:
                while (x->tok == T_STRING)
                        next(x);
                return t;
        default:
                return T_EOF;
        }
}

/* After '[': scalars of one type, as libconfig's arrays hold. */
static void array(struct syn *x) {
        enum tok first = T_EOF;
        next(x);
        for (size_t n = 1; x->tok != T_ARRAY_END; n++) {
                if (n > 1) {
                        if (x->tok != T_COMMA)
                                return unexpected(x);
                        next(x);
                }
                unsigned line = x->tok_line;
                if (!count_value(x))
                        return;
                enum tok t = scalar(x);
                if (t == T_EOF)
                        return unexpected(x);
                if (first == T_EOF)
                        first = t;
                else if (t != first)
                        return syn_error(x, line, "array elements must be of one type: element %zu is %s, "
                                         "element 1 %s", n, scalar_names[t], scalar_names[first]);
        }
        next(x);
}

static void settings(struct syn *x, enum tok end, int depth);
static void value(struct syn *x, int depth);

/* After '(': values of any kind. */
static void list(struct syn *x, int depth) {
        next(x);
        for (size_t n = 1; x->tok != T_LIST_END && !x->err; n++) {
                if (n > 1) {
                        if (x->tok != T_COMMA)
                                return unexpected(x);
                        next(x);
                }
                if (count_value(x))
                        value(x, depth);
        }
        if (!x->err)
                next(x);
}

/* depth: how many groups, arrays and lists are open around the value. */
static void value(struct syn *x, int depth) {
        bool opens = x->tok == T_ARRAY_START || x->tok == T_LIST_START || x->tok == T_GROUP_START;
        if (opens && depth >= CONFIG_MAX_NESTING)
                return syn_error(x, x->tok_line, "groups, arrays and lists nested more than %d deep",
                                 CONFIG_MAX_NESTING);
        if (x->tok == T_ARRAY_START)
                array(x);
        else if (x->tok == T_LIST_START)
                list(x, depth + 1);
        else if (x->tok == T_GROUP_START) {
                next(x);
                settings(x, T_GROUP_END, depth + 1);
                if (!x->err)
                        next(x);
        } else if (scalar(x) == T_EOF)
                unexpected(x);
}

static int cmp_name(const void *a, const void *b) {
        const struct name_ref *x = a, *y = b;
        size_t n = x->len < y->len ? x->len : y->len;
        int c = memcmp(x->p, y->p, n);
        if (c || x->len != y->len)
                return c ? c : x->len < y->len ? -1 : 1;
        return x->p < y->p ? -1 : x->p > y->p;
}

/* The names of one group, names[base..]: the earliest repeated one. */
static void check_duplicates(struct syn *x, size_t base) {
        size_t n = x->n_names - base;
        if (n < 2)
                return;
        struct name_ref *v = x->names + base, *dup = NULL, *first = NULL;
        qsort(v, n, sizeof *v, cmp_name);
        for (size_t i = 1, run = 0; i < n; i++) {
                if (v[i].len != v[run].len || memcmp(v[i].p, v[run].p, v[i].len) != 0) {
                        run = i;
                        continue;
                }
                if (!dup || v[i].p < dup->p)
                        dup = &v[i], first = &v[run];
        }
        if (!dup)
                return;
        char name[CORRAL_MAX_NAME + 1];
        snprintf(name, sizeof name, "%.*s", (int)dup->len, dup->p);
        struct loc at = cfg_source_locate(x->src, first->line);
        if (at.file)
                syn_error(x, dup->line, "duplicate setting %s, first at %s:%d", QUOTED(name), at.file, at.line);
        else
                syn_error(x, dup->line, "duplicate setting %s, first at line %d", QUOTED(name), at.line);
}

static bool push_name(struct syn *x) {
        struct name_ref *v = grow_array(x->names, &x->cap_names, x->n_names + 1, sizeof *v, 64);
        if (!v) {
                x->err = -ENOMEM;
                return false;
        }
        x->names = v;
        v[x->n_names++] = (struct name_ref){ x->tok_p, x->tok_len, x->tok_line };
        return true;
}

/* `NAME = value [;,]` until end (EOF at the top, '}' in a group). */
static void settings(struct syn *x, enum tok end, int depth) {
        size_t base = x->n_names;
        for (size_t count = 1; x->tok != end && !x->err; count++) {
                if (x->tok != T_NAME) {
                        unexpected(x);
                        break;
                }
                if (count > CONFIG_MAX_GROUP_SIZE) {
                        syn_error(x, x->tok_line, "more than %d settings in one group", CONFIG_MAX_GROUP_SIZE);
                        break;
                }
                if (!count_value(x) || !push_name(x))
                        break;
                next(x);
                if (x->tok != T_EQUALS) {
                        unexpected(x);
                        break;
                }
                next(x);
                value(x, depth);
                if (!x->err && (x->tok == T_SEMI || x->tok == T_COMMA))
                        next(x);
        }
        if (!x->err)
                check_duplicates(x, base);
        x->n_names = base;
}

int cfg_syntax_check(const struct source *s, size_t max_values, size_t *ret_values, struct diags *d) {
        const char *text = s->text ?: "";
        struct syn x = { .src = s, .start = text, .p = text, .line = 1, .max_values = max_values, .d = d };
        next(&x);
        settings(&x, T_EOF, 0);
        free(x.names);
        if (x.err)
                return x.err;
        *ret_values = x.values;
        return 0;
}
