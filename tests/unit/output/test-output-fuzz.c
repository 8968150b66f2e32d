/* Random input, random write sizes, random clock and deadlines, a console
 * reader that comes and goes: no byte is lost or reordered, no line is longer
 * than OUTPUT_LINE_MAX, and every newline of the input ends a line. */
#include "../../tap.h"
#include "fixture.h"

#define INPUT_SIZE (256 * 1024)

struct result {
        bool bad_prefix, too_long, newline_lost, spurious_empty;
        size_t lines;
};

/* Walk the console stream against the input: line contents concatenated
 * must be the input without its newlines, and each input newline must fall
 * on a line end. */
static bool verify(const char *in, size_t in_len, const char *out, size_t out_len, struct result *r) {
        size_t ip = 0;
        const char *p = out, *end = out + out_len;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                if (!nl || (size_t)(nl - p) < 3 || memcmp(p, "z| ", 3) != 0) {
                        r->bad_prefix = true;
                        return false;
                }
                const char *body = p + 3;
                size_t len = (size_t)(nl - body);
                if (len > OUTPUT_LINE_MAX)
                        r->too_long = true;
                /* An empty line only for an empty input line: the newline
                 * that ends a line already cut at its deadline adds none. */
                if (len == 0 && (ip >= in_len || in[ip] != '\n')) {
                        r->spurious_empty = true;
                        return false;
                }
                for (size_t k = 0; k < len; k++, ip++) {
                        if (ip >= in_len || in[ip] == '\n' || in[ip] != body[k]) {
                                r->newline_lost = true;
                                return false;
                        }
                }
                /* The input's own newline, if this line ended there. */
                if (ip < in_len && in[ip] == '\n')
                        ip++;
                r->lines++;
                p = nl + 1;
        }
        return ip == in_len && !r->too_long;
}

static bool run(unsigned seed, struct result *r) {
        static char in[INPUT_SIZE];
        struct fix f;
        struct svc s;
        srand(seed);
        /* Short and long lines, some longer than OUTPUT_LINE_MAX. */
        for (size_t i = 0; i < sizeof(in);) {
                int kind = rand() % 10;
                size_t len = kind < 6 ? (size_t)rand() % 80 : kind < 9 ? (size_t)rand() % 3000 : (size_t)rand() % 12000;
                for (size_t k = 0; k < len && i < sizeof(in); k++)
                        in[i++] = (char)(' ' + rand() % 94);
                if (i < sizeof(in))
                        in[i++] = '\n';
        }
        size_t in_len = sizeof(in) - (size_t)(rand() % 50); /* may end mid-line */

        fix_init(&f);
        svc_start(&f, &s, "z", OUTPUT_CONSOLE, NULL);
        uint64_t now = 1000;
        size_t sent = 0;
        for (int step = 0; step < 1000000 && !output_idle(s.o); step++) {
                int action = rand() % 6;
                if (action == 0 && sent < in_len) {
                        size_t n = 1 + (size_t)rand() % 9000;
                        /* Often stop right before a newline, where a line
                         * cut at its deadline meets its own newline. */
                        const char *nl = memchr(in + sent, '\n', in_len - sent);
                        if (nl && rand() % 2 && nl > in + sent)
                                n = (size_t)(nl - (in + sent));
                        if (n > in_len - sent)
                                n = in_len - sent;
                        ssize_t w = write(s.w, in + sent, n);
                        if (w > 0)
                                sent += (size_t)w;
                        if (sent == in_len)
                                s.w = safe_close(s.w);
                } else if (action == 1 && output_wants_read(s.o)) {
                        output_on_readable(s.o, now);
                } else if (action == 2) {
                        now += (uint64_t)(rand() % 60);
                        uint64_t d = output_deadline(s.o);
                        if (d && d <= now)
                                output_on_deadline(s.o, now);
                } else if (action == 3 && console_wants_write(f.c)) {
                        console_on_writable(f.c, now);
                } else if (action == 4 && rand() % 3 == 0) {
                        fix_read(&f); /* the reader is slow: backpressure happens */
                }
        }
        settle(&f, &s, 1, now);
        bool good = output_idle(s.o) && verify(in, in_len, f.acc, f.acc_len, r);
        svc_done(&s);
        fix_done(&f);
        return good;
}

int main(void) {
        for (unsigned seed = 1; seed <= 12; seed++) {
                struct result r = {};
                bool good = run(seed, &r);
                ok(good, "seed %u: %zu lines, none lost, reordered or over %d bytes%s%s%s%s", seed, r.lines,
                   OUTPUT_LINE_MAX, r.bad_prefix ? " [bad prefix]" : "", r.too_long ? " [too long]" : "",
                   r.newline_lost ? " [content mismatch]" : "",
                   r.spurious_empty ? " [empty line added]" : "");
        }
        return done_testing();
}
