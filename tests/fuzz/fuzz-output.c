/* The line splitter of `output = "console"`: bytes a service writes, in
 * pieces and at times taken from the input, with a console reader that
 * lags.  Every line on the console is "f| " and at most OUTPUT_LINE_MAX
 * bytes; together they are the input with its newlines, none lost, none
 * added, nothing reordered; each newline of the input ends a line. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "output.h"
#include "util.h"

struct sink {
        int fd;
        char *buf;
        size_t len, cap;
};

static void drain(struct sink *k) {
        for (;;) {
                if (k->cap - k->len < 65536) {
                        k->cap = 2 * k->cap + 65536;
                        FUZZ_ASSERT((k->buf = realloc(k->buf, k->cap)));
                }
                ssize_t n = read(k->fd, k->buf + k->len, k->cap - k->len);
                if (n <= 0)
                        return;
                k->len += (size_t)n;
        }
}

/* The console's lines against what was written. */
static void verify(const char *in, size_t in_len, const char *out, size_t out_len) {
        size_t ip = 0;
        for (const char *p = out, *end = out + out_len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                FUZZ_ASSERT(nl && nl - p >= 3 && memcmp(p, "f| ", 3) == 0);
                size_t len = (size_t)(nl - p) - 3;
                FUZZ_ASSERT(len <= OUTPUT_LINE_MAX);
                /* An empty line only for an empty line of the input. */
                FUZZ_ASSERT(len > 0 || (ip < in_len && in[ip] == '\n'));
                for (size_t k = 0; k < len; k++, ip++)
                        FUZZ_ASSERT(ip < in_len && in[ip] != '\n' && in[ip] == p[3 + k]);
                if (ip < in_len && in[ip] == '\n')
                        ip++;
                p = nl + 1;
        }
        FUZZ_ASSERT(ip == in_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct fuzz_in in = { data, size };
        int cp[2], stdio[3];
        struct console *c;
        struct output *o;
        signal(SIGPIPE, SIG_IGN);
        FUZZ_ASSERT(pipe2(cp, O_CLOEXEC) == 0);
        fcntl(cp[0], F_SETFL, O_NONBLOCK);
        FUZZ_ASSERT(console_init(&c, cp[1]) == 0);
        FUZZ_ASSERT(output_new(&o, "f", OUTPUT_CONSOLE, NULL, c) == 0);
        FUZZ_ASSERT(output_prepare(o, stdio) == 0);
        int w = fcntl(stdio[1], F_DUPFD_CLOEXEC, 3);
        fcntl(w, F_SETFL, O_NONBLOCK);
        output_spawned(o);
        struct sink k = { .fd = cp[0] };
        char *sent = NULL;
        size_t sent_len = 0;
        uint64_t now = 1000;
        for (int step = 0; step < 10000 && in.n; step++) {
                uint8_t op = fuzz_u8(&in);
                if (op % 5 == 0) {
                        const uint8_t *p;
                        size_t n = fuzz_take(&in, fuzz_u16(&in) % 9000, &p);
                        ssize_t m = write(w, p, n);
                        if (m > 0) {
                                FUZZ_ASSERT((sent = realloc(sent, sent_len + (size_t)m)));
                                memcpy(sent + sent_len, p, (size_t)m);
                                sent_len += (size_t)m;
                        }
                } else if (op % 5 == 1 && output_wants_read(o)) {
                        output_on_readable(o, now);
                } else if (op % 5 == 2) {
                        now += op / 5;
                        uint64_t d = output_deadline(o);
                        if (d && d <= now)
                                output_on_deadline(o, now);
                } else if (op % 5 == 3 && console_wants_write(c)) {
                        console_on_writable(c, now);
                } else if (op % 5 == 4) {
                        drain(&k);
                }
        }
        /* The service ends: everything left must come out. */
        close(w);
        for (int idle = 0, step = 0; step < 100000 && (idle < 2 || !output_idle(o)); step++) {
                size_t before = k.len;
                if (output_wants_read(o))
                        output_on_readable(o, now);
                if (console_wants_write(c))
                        console_on_writable(c, now);
                now += 200;
                if (output_deadline(o) && output_deadline(o) <= now)
                        output_on_deadline(o, now);
                drain(&k);
                idle = k.len == before ? idle + 1 : 0;
        }
        FUZZ_ASSERT(output_idle(o));
        verify(sent, sent_len, k.buf, k.len);
        output_free(o);
        console_free(c);
        close(cp[0]);
        close(cp[1]);
        free(k.buf);
        free(sent);
        return 0;
}
