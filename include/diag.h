/* A list of user-facing errors gathered while loading or planning, so that
 * every error of a config is reported at once.  Each message already carries
 * its context: "FILE:LINE: service \"db\": memory_max: ...". */
#pragma once

#include <stdarg.h>

#include "util.h"

struct diag {
        char *msg;
};

struct diags {
        struct diag *v;
        size_t n, cap;
        size_t max;     /* not 0: messages after the first max are only counted */
        size_t dropped; /* messages counted and not kept */
        bool oom;       /* a message could not be stored: report that instead */
};

/* Add a message built from fmt.  file may be NULL (no FILE:LINE prefix);
 * line <= 0 prints FILE: only. */
void diag_add(struct diags *d, const char *file, int line, const char *fmt, ...) _printf_(4, 5);
void diag_addv(struct diags *d, const char *file, int line, const char *fmt, va_list ap);
void diags_print(const struct diags *d, FILE *out);
void diags_free(struct diags *d);
static inline bool diags_empty(const struct diags *d) { return d->n == 0 && !d->dropped && !d->oom; }
