/* 100 MB of lines through one service and the console, with a reader on the
 * console side: every line arrives whole, in order, with its prefix. */
#include <poll.h>
#include <sys/wait.h>

#include "fixture.h"
#include "../../tap.h"

/* 100 MB; a sanitizer build checks the same path with less data. */
#if defined(__SANITIZE_ADDRESS__)
#define TOTAL (16u * 1024 * 1024)
#else
#define TOTAL (100u * 1024 * 1024)
#endif

/* Line i of the stream (without '\n'); deterministic, 6 to ~200 bytes. */
static size_t gen_line(char *buf, uint32_t i) {
        size_t n = (size_t)sprintf(buf, "%u:", i);
        size_t pad = (i * 7919u) % 191;
        for (size_t k = 0; k < pad; k++)
                buf[n + k] = (char)('!' + (i + k) % 90);
        return n + pad;
}

static uint64_t fnv(uint64_t h, const char *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
        return h;
}

/* The service: writes lines until TOTAL bytes, in 64 KiB writes; returns the
 * number of lines through a pipe so the reader knows what to expect. */
static _noreturn_ void writer(int fd) {
        static char buf[65536 + 512];
        size_t len = 0, total = 0;
        for (uint32_t i = 0; total < TOTAL; i++) {
                size_t n = gen_line(buf + len, i);
                buf[len + n] = '\n';
                len += n + 1;
                total += n + 1;
                if (len >= 65536) {
                        if (write_all(fd, buf, len) < 0)
                                _exit(1);
                        len = 0;
                }
        }
        if (write_all(fd, buf, len) < 0)
                _exit(1);
        _exit(0);
}

struct checker {
        char carry[8192];
        size_t carry_len;
        uint32_t next;
        uint64_t sum_got, sum_want;
        bool bad;
};

static void check_line(struct checker *k, const char *p, size_t n) {
        char want[512];
        size_t wl = gen_line(want, k->next++);
        k->sum_want = fnv(k->sum_want, want, wl);
        if (n < 7 || memcmp(p, "flood| ", 7) != 0) {
                k->bad = true;
                return;
        }
        k->sum_got = fnv(k->sum_got, p + 7, n - 7);
        if (n - 7 != wl || memcmp(p + 7, want, wl) != 0)
                k->bad = true;
}

static void consume(struct checker *k, const char *p, size_t n) {
        const char *end = p + n;
        if (k->carry_len > 0) {
                const char *nl = memchr(p, '\n', n);
                size_t take = nl ? (size_t)(nl - p) : n;
                if (k->carry_len + take > sizeof(k->carry)) {
                        k->bad = true;
                        return;
                }
                memcpy(k->carry + k->carry_len, p, take);
                k->carry_len += take;
                if (!nl)
                        return;
                check_line(k, k->carry, k->carry_len);
                k->carry_len = 0;
                p = nl + 1;
        }
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                if (!nl) {
                        if ((size_t)(end - p) > sizeof(k->carry)) {
                                k->bad = true;
                                return;
                        }
                        memcpy(k->carry, p, (size_t)(end - p));
                        k->carry_len = (size_t)(end - p);
                        return;
                }
                check_line(k, p, (size_t)(nl - p));
                p = nl + 1;
        }
}

int main(void) {
        struct fix f;
        struct svc s;
        static struct checker k;
        static char buf[1 << 16];
        fix_init(&f);
        if (svc_start(&f, &s, "flood", OUTPUT_CONSOLE, NULL) < 0)
                return 1;
        fcntl(s.w, F_SETFL, 0);
        uint64_t t0 = now_ms();
        pid_t pid = fork();
        if (pid == 0)
                writer(s.w);
        s.w = safe_close(s.w);

        uint64_t bytes = 0;
        bool eof = false;
        while (!eof || console_wants_write(f.c) || !output_idle(s.o)) {
                struct pollfd p[3] = {
                        { .fd = f.cons_r, .events = POLLIN },
                        { .fd = output_wants_read(s.o) ? output_fd(s.o) : -1, .events = POLLIN },
                        { .fd = console_wants_write(f.c) ? console_fd(f.c) : -1, .events = POLLOUT },
                };
                if (poll(p, 3, 10000) <= 0)
                        break;
                if (p[1].revents && output_on_readable(s.o, now_ms()) == 1)
                        eof = true;
                if (p[2].revents)
                        console_on_writable(f.c, now_ms());
                /* A waiting output resumed by the console may read the end
                 * of its pipe there, not in output_on_readable(). */
                if (output_fd(s.o) < 0)
                        eof = true;
                if (p[0].revents) {
                        ssize_t n = read(f.cons_r, buf, sizeof(buf));
                        if (n > 0) {
                                bytes += (uint64_t)n;
                                consume(&k, buf, (size_t)n);
                        }
                }
        }
        /* What the console wrote last is still in its pipe. */
        ssize_t n;
        while ((n = read(f.cons_r, buf, sizeof(buf))) > 0) {
                bytes += (uint64_t)n;
                consume(&k, buf, (size_t)n);
        }
        int status = -1;
        waitpid(pid, &status, 0);
        uint64_t ms = now_ms() - t0;

        ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer wrote %u MB", TOTAL >> 20);
        ok(eof && output_idle(s.o), "EOF seen, nothing left buffered");
        ok(!k.bad && k.carry_len == 0, "every line whole, in order, prefixed (%u lines, %llu bytes, %llu ms)",
               k.next, (unsigned long long)bytes, (unsigned long long)ms);
        /* The count the writer produced, computed the same way. */
        char line[512];
        uint32_t lines = 0;
        for (size_t total = 0; total < TOTAL; lines++)
                total += gen_line(line, lines) + 1;
        ok(k.sum_got == k.sum_want && k.next == lines,
               "checksum of the line contents and line count (%u) match", lines);
        ok(console_dropped(f.c) == 0, "nothing dropped");
        svc_done(&s);
        fix_done(&f);
        return done_testing();
}
