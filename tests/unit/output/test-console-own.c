/* corral's own lines on the console: whole-line writes that another writer
 * of the same pipe cannot split, corral's lines in the services' queue or on
 * a stderr of their own, the bounded buffer and its drop rule while the
 * console is stalled, and the log sink. */
#include <poll.h>

#include "../../tap.h"
#include "fixture.h"
#include "log.h"

/* Every line of buf[0..len) is one of: "other", "corral: ...", or
 * "NAME| seq=N <filler>" with N counting up from 0 and the filler as long
 * as make_line() makes it.  Returns the number of service lines, -1 when a
 * line is not one of those. */
static long check_lines(const char *buf, size_t len, long *ret_own, long *ret_other) {
        long seq = 0, own = 0, other = 0;
        const char *p = buf, *end = buf + len;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                if (!nl)
                        return -1;
                size_t n = (size_t)(nl - p);
                char want[8192];
                if (n == 5 && !memcmp(p, "other", 5))
                        other++;
                else if (n > 8 && !memcmp(p, "corral: ", 8))
                        own++;
                else {
                        int w = snprintf(want, sizeof want, "s| seq=%ld ", seq);
                        size_t fill = 50 + (size_t)(seq * 37 % 3000);
                        if (n != (size_t)w + fill || memcmp(p, want, (size_t)w))
                                return -1;
                        for (size_t i = 0; i < fill; i++)
                                if (p[w + (int)i] != 'a' + (char)(seq % 26))
                                        return -1;
                        seq++;
                }
                p = nl + 1;
        }
        *ret_own = own;
        *ret_other = other;
        return seq;
}

/* Append n bytes to what the fixture has read. */
static void acc_add(struct fix *f, const char *p, size_t n) {
        if (f->acc_cap - f->acc_len < n + 1) {
                f->acc_cap = (f->acc_len + n + 1) * 2;
                f->acc = realloc(f->acc, f->acc_cap + 1);
                if (!f->acc)
                        abort();
        }
        memcpy(f->acc + f->acc_len, p, n);
        f->acc_len += n;
        f->acc[f->acc_len] = '\0';
}

static size_t make_line(char *buf, long seq) {
        int w = sprintf(buf, "seq=%ld ", seq);
        size_t fill = 50 + (size_t)(seq * 37 % 3000);
        memset(buf + w, 'a' + (char)(seq % 26), fill);
        buf[(size_t)w + fill] = '\n';
        return (size_t)w + fill + 1;
}

/* A pipe one page big, a reader taking small bites, and another writer that
 * puts "other\n" into the pipe whenever there is room: the console's writes
 * must each hold whole lines for that writer never to land inside one. */
static void test_whole_lines(void) {
        enum { LINES = 3000 };
        struct fix f;
        struct svc s;
        fix_init(&f);
        f.reading = false;
        fcntl(f.cons_w, F_SETPIPE_SZ, 4096);
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", f.cons_w);
        int other = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        svc_start(&f, &s, "s", OUTPUT_CONSOLE, NULL);
        char line[4096];
        char bite[1000];
        long seq = 0;
        uint64_t deadline = now_ms() + 60000;
        while (seq < LINES && now_ms() < deadline) {
                if (seq < LINES) {
                        size_t n = make_line(line, seq);
                        if (write(s.w, line, n) == (ssize_t)n)
                                seq++;
                }
                if (output_wants_read(s.o))
                        output_on_readable(s.o, 1000);
                if (console_wants_write(f.c))
                        console_on_writable(f.c, 1000);
                if (seq % 5 == 0)
                        console_log(f.c, "corral: info: between\n", 22);
                (void)!write(other, "other\n", 6);
                ssize_t r = read(f.cons_r, bite, sizeof bite);
                if (r > 0)
                        acc_add(&f, bite, (size_t)r);
        }
        f.reading = true;
        settle(&f, &s, 1, 1000);
        long own = 0, others = 0;
        long got = check_lines(f.acc, f.acc_len, &own, &others);
        is_int(got, LINES, "every line whole with another writer on the pipe (%ld of corral's, %ld others)",
               own, others);
        ok(own > 0 && others > 100, "... and the others' lines and corral's were in between");
        close(other);
        svc_done(&s);
        fix_done(&f);
}

/* Fill the console's pipe and queue with a service's lines until it waits. */
static long stall(struct fix *f, struct svc *s) {
        char line[4096];
        long seq = 0;
        for (;;) {
                size_t n = make_line(line, seq);
                if (write(s->w, line, n) != (ssize_t)n)
                        break;
                seq++;
                output_on_readable(s->o, 1000);
                if (!output_wants_read(s->o))
                        break;
        }
        (void)f;
        return seq;
}

static void test_shared_stall(void) {
        struct fix f;
        struct svc s;
        fix_init(&f);
        f.reading = false;
        svc_start(&f, &s, "s", OUTPUT_CONSOLE, NULL);
        long sent = stall(&f, &s);
        ok(!output_wants_read(s.o) && console_wants_write(f.c), "the console is stalled, the service waits");
        char line[128];
        size_t len = (size_t)snprintf(line, sizeof line, "corral: info: %0100d\n", 0);
        size_t logged = 0;
        uint64_t t0 = now_ms();
        while (console_own_dropped(f.c) == 0 && logged < 10 * CONSOLE_OWN_SIZE) {
                console_log(f.c, line, len);
                logged++;
        }
        size_t kept = logged - 1;
        for (int i = 0; i < 499; i++)
                console_log(f.c, line, len);
        ok(now_ms() - t0 < 1000 && console_own_dropped(f.c) == 500,
           "corral's lines beyond the buffer are dropped at once (%llu)",
           (unsigned long long)console_own_dropped(f.c));
        ok(kept * len >= CONSOLE_OWN_SIZE - len && kept * len <= CONSOLE_OWN_SIZE + CONSOLE_RECORD_MAX,
           "%zu bytes of corral's lines were kept: the buffer is %d bytes", kept * len, CONSOLE_OWN_SIZE);

        /* The reader comes back for a moment: some room, not all. */
        char buf[8192];
        ssize_t r = read(f.cons_r, buf, sizeof buf);
        if (r <= 0)
                abort();
        acc_add(&f, buf, (size_t)r);
        console_on_writable(f.c, 1000);
        console_log(f.c, "corral: info: after room\n", 25);
        ok(console_own_dropped(f.c) == 501, "until the backlog is out, later lines are dropped too");

        f.reading = true;
        settle(&f, &s, 1, 1000);
        console_log(f.c, "corral: info: drained\n", 22);
        settle(&f, &s, 1, 1000);
        svc_done(&s);
        settle(&f, NULL, 0, 1000);

        long own = 0, others = 0;
        const char *all = f.acc;
        long got = check_lines(all, f.acc_len, &own, &others);
        is_int(got, sent, "every service line arrived whole, in order");
        is_int(own, (long)kept + 2, "corral's kept lines, the note and the later one arrived whole");
        const char *note = "corral: warn: console stalled: 501 of corral's messages dropped\n";
        const char *at = strstr(all, note);
        ok(at && !strstr(at + strlen(note), "console stalled") && !strstr(at, "corral: info: 0000") &&
                   strstr(at, "corral: info: drained\n"),
           "one line says how many were dropped, where they were");
        const char *first_own = strstr(all, "corral: info: 0000");
        ok(first_own && strstr(first_own, "s| seq="),
           "once room was made corral's lines went before the waiting service's");
        fix_done(&f);
}

static void test_own_fd(void) {
        struct fix f;
        struct svc s;
        int e[2];
        fix_init(&f);
        if (pipe2(e, O_CLOEXEC) < 0)
                abort();
        fcntl(e[0], F_SETFL, O_NONBLOCK);
        ok(console_log_to(f.c, e[1]) == 0, "corral's lines to a stderr of their own");
        int ofd = console_own_fd(f.c);
        ok(ofd >= 3 && ofd != e[1] && (fcntl(ofd, F_GETFL) & O_NONBLOCK) && !(fcntl(e[1], F_GETFL) & O_NONBLOCK),
           "... through a private non-blocking description, the shared one left blocking");
        svc_start(&f, &s, "s", OUTPUT_CONSOLE, NULL);
        svc_write(&s, "seq=0 ");
        char fill[128];
        memset(fill, 'a', 50);
        fill[50] = '\n';
        if (write_all(s.w, fill, 51) < 0)
                abort();
        console_log(f.c, "corral: info: hello\n", 20);
        settle(&f, &s, 1, 1000);
        char buf[256] = "";
        ssize_t n = read(e[0], buf, sizeof buf - 1);
        ok(n == 20 && !strcmp(buf, "corral: info: hello\n") && f.acc && !strstr(f.acc, "corral"),
           "corral's line went to its fd, not to the services' console");

        /* Its reader stalls: the services' console goes on. */
        size_t sent = 0;
        char line[128];
        size_t len = (size_t)snprintf(line, sizeof line, "corral: debug: %0100d\n", 7);
        while (sent < 200000 / len) {
                console_log(f.c, line, len);
                sent++;
        }
        ok(console_own_wants_write(f.c) && console_own_dropped(f.c) > 0, "stalled: kept, then dropped (%llu)",
           (unsigned long long)console_own_dropped(f.c));
        uint64_t dropped = console_own_dropped(f.c);
        fix_reset(&f);
        svc_write(&s, "seq=1 ");
        memset(fill, 'b', 87);
        fill[87] = '\n';
        if (write_all(s.w, fill, 88) < 0)
                abort();
        settle(&f, &s, 1, 1000);
        ok(f.acc && strstr(f.acc, "s| seq=1 bbb"), "the services' console is not held up");

        /* The reader comes back. */
        size_t got = 0, lines = 0;
        char *acc = calloc(1, 1);
        size_t acc_len = 0;
        uint64_t deadline = now_ms() + 10000;
        while (now_ms() < deadline) {
                char b[65536];
                ssize_t r = read(e[0], b, sizeof b);
                if (r > 0) {
                        acc = realloc(acc, acc_len + (size_t)r + 1);
                        memcpy(acc + acc_len, b, (size_t)r);
                        acc_len += (size_t)r;
                        acc[acc_len] = '\0';
                        got += (size_t)r;
                }
                if (console_own_wants_write(f.c))
                        console_on_writable(f.c, 1000);
                else if (r <= 0)
                        break;
        }
        for (size_t i = 0; i < acc_len; i++)
                lines += acc[i] == '\n';
        char note[128];
        snprintf(note, sizeof note, "corral: warn: console stalled: %llu of corral's messages dropped\n",
                 (unsigned long long)dropped);
        ok(lines == sent - dropped + 1 && acc_len > strlen(note) && !strcmp(acc + acc_len - strlen(note), note),
           "the kept lines, then the count of the dropped ones (%zu lines)", lines);
        free(acc);
        svc_done(&s);
        fix_done(&f);
        close(e[0]);
        close(e[1]);
}

static void test_same_file(void) {
        struct fix f;
        fix_init(&f);
        int dup_w = fcntl(f.cons_w, F_DUPFD_CLOEXEC, 3);
        ok(console_log_to(f.c, dup_w) == 0 && console_own_fd(f.c) == -1,
           "stderr on the console's own file (2>&1): one queue, no second fd");
        console_log(f.c, "corral: info: one\n", 18);
        settle(&f, NULL, 0, 1000);
        is_str(f.acc, "corral: info: one\n", "the line is on the console");
        close(dup_w);
        fix_done(&f);
}

static void test_log_sink(void) {
        struct fix f;
        fix_init(&f);
        int e[2], saved = dup(STDERR_FILENO);
        if (pipe2(e, O_CLOEXEC) < 0 || saved < 0)
                abort();
        fcntl(e[0], F_SETFL, O_NONBLOCK);
        dup2(e[1], STDERR_FILENO);
        ok(console_take_log(f.c, e[1]) == 0, "the console takes corral's log");
        log_info("through %s\nsecond", "the console");
        char buf[256] = "";
        ssize_t n = read(e[0], buf, sizeof buf - 1);
        is_str(n > 0 ? buf : "", "corral: info: through the console second\n",
               "log_msg() goes through the console, one line even with a newline inside");
        console_free(f.c);
        f.c = NULL;
        log_warn("back on stderr");
        memset(buf, 0, sizeof buf);
        n = read(e[0], buf, sizeof buf - 1);
        dup2(saved, STDERR_FILENO);
        close(saved);
        is_str(n > 0 ? buf : "", "corral: warn: back on stderr\n", "after console_free() log_msg() writes to stderr");
        close(e[0]);
        close(e[1]);
        fix_done(&f);
}

static void test_log_format(void) {
        char buf[LOG_LINE_MAX];
        char big[2 * LOG_LINE_MAX];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        size_t n = log_format(buf, sizeof buf, LOG_LVL_ERROR, "%s", big);
        ok(n == LOG_LINE_MAX - 1 && buf[n - 1] == '\n' && !memcmp(buf, "corral: error: xxx", 18),
           "a long message is cut, its line still ends in a newline");
        n = log_format(buf, sizeof buf, LOG_LVL_DEBUG, "a\nb");
        ok(n == 19 && !memcmp(buf, "corral: debug: a b\n", 19), "a newline inside a message becomes a space");
}

int main(void) {
        test_whole_lines();
        test_shared_stall();
        test_own_fd();
        test_same_file();
        test_log_sink();
        test_log_format();
        return done_testing();
}
