/* A console on a pipe the test reads, and services whose stdout the test
 * writes itself: the event loop is simulated by calling the module's event
 * functions directly. */
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include "output.h"
#include "util.h"

struct fix {
        struct console *c;
        int cons_r, cons_w;
        char *acc; /* everything read from the console */
        size_t acc_len, acc_cap;
        bool reading; /* read the console pipe in settle() */
};

struct svc {
        struct output *o;
        int w; /* the service's stdout: our copy of the pipe's write end */
};

static inline void fix_init(struct fix *f) {
        int p[2];
        signal(SIGPIPE, SIG_IGN);
        memset(f, 0, sizeof(*f));
        if (pipe2(p, O_CLOEXEC) < 0)
                abort();
        f->cons_r = p[0];
        f->cons_w = p[1];
        fcntl(f->cons_r, F_SETFL, O_NONBLOCK);
        if (console_init(&f->c, f->cons_w) < 0)
                abort();
        f->reading = true;
}

static inline void fix_done(struct fix *f) {
        console_free(f->c);
        safe_close(f->cons_r);
        safe_close(f->cons_w);
        free(f->acc);
}

/* Read what the console pipe holds; returns the number of bytes. */
static inline size_t fix_read(struct fix *f) {
        size_t got = 0;
        for (;;) {
                if (f->acc_cap - f->acc_len < 65536) {
                        f->acc_cap = f->acc_cap * 2 + 65536;
                        f->acc = realloc(f->acc, f->acc_cap + 1);
                        if (!f->acc)
                                abort();
                }
                ssize_t n = read(f->cons_r, f->acc + f->acc_len, f->acc_cap - f->acc_len);
                if (n <= 0)
                        break;
                f->acc_len += (size_t)n;
                got += (size_t)n;
        }
        f->acc[f->acc_len] = '\0';
        return got;
}

static inline void fix_reset(struct fix *f) {
        f->acc_len = 0;
        if (f->acc)
                f->acc[0] = '\0';
}

static inline int svc_start(struct fix *f, struct svc *s, const char *name, enum output_mode mode,
                            const char *file) {
        int stdio[3];
        int r = output_new(&s->o, name, mode, file, f ? f->c : NULL);
        if (r < 0)
                return r;
        r = output_prepare(s->o, stdio);
        if (r < 0)
                return r;
        s->w = stdio[1] >= 0 ? fcntl(stdio[1], F_DUPFD_CLOEXEC, 3) : -1;
        if (s->w >= 0)
                fcntl(s->w, F_SETFL, O_NONBLOCK);
        output_spawned(s->o);
        return 0;
}

static inline void svc_done(struct svc *s) {
        output_free(s->o);
        s->o = NULL;
        s->w = safe_close(s->w);
}

static inline void svc_write(struct svc *s, const char *str) {
        if (write_all(s->w, str, strlen(str)) < 0)
                abort();
}

/* Run the "loop" until a round moves no byte to the console reader. */
static inline void settle(struct fix *f, struct svc *svcs, size_t n, uint64_t now) {
        for (int idle = 0; idle < 2;) {
                for (size_t i = 0; i < n; i++)
                        if (svcs[i].o && output_wants_read(svcs[i].o))
                                output_on_readable(svcs[i].o, now);
                if (console_wants_write(f->c))
                        console_on_writable(f->c, now);
                size_t got = f->reading ? fix_read(f) : 0;
                idle = got ? 0 : idle + 1;
        }
}
