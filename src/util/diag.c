#include "diag.h"

void diag_addv(struct diags *d, const char *file, int line, const char *fmt, va_list ap) {
        char *body = NULL, *msg = NULL;
        if (d->max && d->n >= d->max) {
                d->dropped++;
                return;
        }
        if (vasprintf(&body, fmt, ap) < 0) {
                d->oom = true;
                return;
        }
        int r;
        if (file && line > 0)
                r = asprintf(&msg, "%s:%d: %s", file, line, body);
        else if (file)
                r = asprintf(&msg, "%s: %s", file, body);
        else
                r = asprintf(&msg, "%s", body);
        free(body);
        if (r < 0) {
                d->oom = true;
                return;
        }
        struct diag *nv = grow_array(d->v, &d->cap, d->n + 1, sizeof *nv, 8);
        if (!nv) {
                free(msg);
                d->oom = true;
                return;
        }
        d->v = nv;
        d->v[d->n++].msg = msg;
}

void diag_add(struct diags *d, const char *file, int line, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        diag_addv(d, file, line, fmt, ap);
        va_end(ap);
}

void diags_print(const struct diags *d, FILE *out) {
        for (size_t i = 0; i < d->n; i++)
                fprintf(out, "corral: %s\n", d->v[i].msg);
        if (d->dropped)
                fprintf(out, "corral: ... and %zu more errors\n", d->dropped);
        if (d->oom)
                fprintf(out, "corral: out of memory while reporting errors\n");
        fflush(out);
}

void diags_free(struct diags *d) {
        for (size_t i = 0; i < d->n; i++)
                free(d->v[i].msg);
        free(d->v);
        *d = (struct diags){0};
}
