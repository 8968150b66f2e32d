/* Capture of service output: line assembly, cuts, deadlines, EOF, modes,
 * backpressure, a broken console, reopen, the ring. */
#include <dirent.h>
#include <poll.h>
#include <sys/socket.h>

#include "fixture.h"
#include "../../tap.h"

static size_t count_fds(void) {
        size_t n = 0;
        DIR *d = opendir("/proc/self/fd");
        if (!d)
                return 0;
        while (readdir(d))
                n++;
        closedir(d);
        return n;
}

static void test_console_init(void) {
        struct fix f;
        fix_init(&f);
        int fl = fcntl(f.cons_w, F_GETFL);
        ok(fl >= 0 && !(fl & O_NONBLOCK), "console leaves O_NONBLOCK off the shared description");
        int cfd = console_fd(f.c);
        ok(cfd >= 3 && cfd != f.cons_w && (fcntl(cfd, F_GETFD) & FD_CLOEXEC) &&
                       (fcntl(cfd, F_GETFL) & O_NONBLOCK),
               "console writes through its own non-blocking CLOEXEC description");
        ok(!console_wants_write(f.c) && console_queued(f.c) == 0, "a new console has nothing to write");
        fix_done(&f);
}

static void test_lines(void) {
        struct fix f;
        struct svc s;
        fix_init(&f);
        ok(svc_start(&f, &s, "web", OUTPUT_CONSOLE, NULL) == 0, "console output set up");
        ok(output_fd(s.o) >= 3 && output_wants_read(s.o), "pipe read end is watched");
        ok(fcntl(output_fd(s.o), F_GETFL) & O_NONBLOCK, "read end is non-blocking");
        ok(fcntl(output_fd(s.o), F_GETFD) & FD_CLOEXEC, "read end is CLOEXEC");

        svc_write(&s, "hello\nworld\n\n");
        settle(&f, &s, 1, 1000);
        ok(streq(f.acc, "web| hello\nweb| world\nweb| \n"), "complete lines are prefixed with the name");

        fix_reset(&f);
        svc_write(&s, "hel");
        settle(&f, &s, 1, 1000);
        ok(f.acc_len == 0, "an unfinished line is held");
        svc_write(&s, "lo there\nnext");
        settle(&f, &s, 1, 1050);
        ok(streq(f.acc, "web| hello there\n"), "a line written in pieces comes out whole");
        ok(output_deadline(s.o) == 1150, "the unfinished rest has a deadline 100 ms after it began");
        svc_write(&s, " one\n");
        settle(&f, &s, 1, 1060);
        ok(streq(f.acc, "web| hello there\nweb| next one\n") && output_deadline(s.o) == 0,
               "completed before its deadline: one line, no deadline left");
        svc_done(&s);
        fix_done(&f);
}

static void test_long_lines(void) {
        struct fix f;
        struct svc s;
        fix_init(&f);
        svc_start(&f, &s, "big", OUTPUT_CONSOLE, NULL);
        static char line[10001];
        for (int i = 0; i < 10000; i++)
                line[i] = (char)('A' + i % 26);
        line[10000] = '\n';
        if (write_all(s.w, line, sizeof(line)) < 0)
                abort();
        settle(&f, &s, 1, 1000);
        const char *p = f.acc;
        bool good = f.acc_len == 3 * 6 + 10000;
        size_t sizes[3] = { 4096, 4096, 1808 }, off = 0;
        for (int k = 0; good && k < 3; k++) {
                good = strncmp(p, "big| ", 5) == 0 && memcmp(p + 5, line + off, sizes[k]) == 0 &&
                     p[5 + sizes[k]] == '\n';
                p += 5 + sizes[k] + 1;
                off += sizes[k];
        }
        ok(good, "a 10000-byte line is cut at 4096, 4096, 1808 with no byte lost");

        fix_reset(&f);
        memset(line, 'x', 4096);
        line[4096] = '\n';
        if (write_all(s.w, line, 4097) < 0)
                abort();
        settle(&f, &s, 1, 1000);
        ok(f.acc_len == 5 + 4096 + 1, "a line of exactly 4096 bytes stays whole");

        fix_reset(&f);
        memset(line, 'y', 4097);
        line[4097] = '\n';
        if (write_all(s.w, line, 4098) < 0)
                abort();
        settle(&f, &s, 1, 1000);
        ok(f.acc_len == 5 + 4096 + 1 + 5 + 1 + 1 && strcmp(f.acc + f.acc_len - 7, "big| y\n") == 0,
               "a 4097-byte line becomes 4096 + 1");

        fix_reset(&f);
        memset(line, 'z', 4096);
        if (write_all(s.w, line, 4096) < 0)
                abort();
        settle(&f, &s, 1, 1000);
        ok(f.acc_len == 0, "4096 bytes without newline wait for more");
        svc_done(&s);
        fix_done(&f);
}

static void test_deadline_and_eof(void) {
        struct fix f;
        struct svc s;
        fix_init(&f);
        svc_start(&f, &s, "p", OUTPUT_CONSOLE, NULL);
        ok(output_deadline(s.o) == 0, "no deadline without data");
        svc_write(&s, "abc");
        settle(&f, &s, 1, 1000);
        ok(output_deadline(s.o) == 1100, "deadline set for a partial line");
        output_on_deadline(s.o, 1099);
        fix_read(&f);
        ok(f.acc_len == 0, "not written before its deadline");
        output_on_deadline(s.o, 1100);
        settle(&f, &s, 1, 1100);
        ok(streq(f.acc, "p| abc\n") && output_deadline(s.o) == 0, "written at its deadline");
        svc_write(&s, "\nd");
        settle(&f, &s, 1, 1150);
        ok(streq(f.acc, "p| abc\n"), "the newline ending a line cut at its deadline adds no empty line");
        svc_write(&s, "ef\nta");
        settle(&f, &s, 1, 1200);
        svc_write(&s, "il");
        settle(&f, &s, 1, 1250);
        ok(streq(f.acc, "p| abc\np| def\n") && output_deadline(s.o) == 1300,
               "the rest after a newline gets its own deadline");
        s.w = safe_close(s.w);
        ok(output_on_readable(s.o, 1260) == 1, "EOF reported");
        settle(&f, &s, 1, 1260);
        ok(streq(f.acc, "p| abc\np| def\np| tail\n"), "partial line written at EOF");
        ok(output_fd(s.o) < 0 && !output_wants_read(s.o) && output_idle(s.o), "pipe closed and idle after EOF");
        svc_done(&s);

        /* corral late: the rest of the line is in the pipe when the
         * deadline's timer runs, before the pipe's event. */
        fix_reset(&f);
        svc_start(&f, &s, "q", OUTPUT_CONSOLE, NULL);
        svc_write(&s, "abc");
        settle(&f, &s, 1, 2000);
        svc_write(&s, "def\n");
        output_on_deadline(s.o, 2100);
        fix_read(&f);
        ok(streq(f.acc, "q| abcdef\n") && output_deadline(s.o) == 0,
           "a line whose rest waits in the pipe at its deadline is not cut");
        svc_done(&s);
        fix_done(&f);
}

static void test_finish(void) {
        struct fix f;
        struct svc s;
        fix_init(&f);
        svc_start(&f, &s, "f", OUTPUT_CONSOLE, NULL);
        /* A stray holder keeps the write end (our s.w): no EOF comes. */
        svc_write(&s, "x\ny");
        output_finish(s.o, 5);
        settle(&f, &s, 1, 5);
        ok(streq(f.acc, "f| x\nf| y\n") && output_fd(s.o) < 0,
               "finish reads what the pipe holds, writes the partial line and closes");
        svc_done(&s);
        fix_done(&f);
}

/* Lines of service k: "L<k>-<seq>-<pad>"; checked in order per service. */
static size_t make_line(char *buf, int k, int seq) {
        size_t n = (size_t)sprintf(buf, "L%d-%d-", k, seq);
        size_t pad = (size_t)((k * 131 + seq * 17) % 300);
        memset(buf + n, 'a' + (char)(k % 26), pad);
        n += pad;
        buf[n++] = '\n';
        return n;
}

static bool check_stream(const char *acc, size_t len, int n_svc, const int *expected) {
        int seq[64] = { 0 };
        char want[512];
        const char *p = acc, *end = acc + len;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                if (!nl)
                        return false;
                int k;
                if (sscanf(p, "s%d| ", &k) != 1 || k < 0 || k >= n_svc)
                        return false;
                const char *body = strstr(p, "| ") + 2;
                size_t wl = make_line(want, k, seq[k]++);
                if ((size_t)(nl + 1 - body) != wl || memcmp(body, want, wl) != 0)
                        return false;
                p = nl + 1;
        }
        for (int k = 0; k < n_svc; k++)
                if (seq[k] != expected[k])
                        return false;
        return true;
}

static void test_interleave(void) {
        enum { N = 8, LINES = 400 };
        struct fix f;
        struct svc s[N];
        int next[N] = { 0 }, expected[N];
        fix_init(&f);
        for (int k = 0; k < N; k++) {
                char name[8];
                snprintf(name, sizeof(name), "s%d", k);
                svc_start(&f, &s[k], name, OUTPUT_CONSOLE, NULL);
                expected[k] = LINES;
        }
        srand(42);
        char buf[512];
        /* Each service writes its lines in random pieces; reads happen in
         * between, so lines of all services are in flight at once. */
        for (int round = 0; round < N * LINES; round++) {
                int k = rand() % N;
                if (next[k] == LINES)
                        continue;
                size_t n = make_line(buf, k, next[k]++);
                size_t cut = (size_t)rand() % n;
                if (write_all(s[k].w, buf, cut) < 0)
                        abort();
                int j = rand() % N;
                output_on_readable(s[j].o, 1000);
                if (write_all(s[k].w, buf + cut, n - cut) < 0)
                        abort();
                if (round % 7 == 0)
                        settle(&f, s, N, 1000);
        }
        for (int k = 0; k < N; k++)
                while (next[k] < LINES) {
                        size_t n = make_line(buf, k, next[k]++);
                        if (write_all(s[k].w, buf, n) < 0)
                                abort();
                        settle(&f, s, N, 1000);
                }
        settle(&f, s, N, 1000);
        ok(check_stream(f.acc, f.acc_len, N, expected),
               "%d services interleaving: every line whole, in order per service", N);
        for (int k = 0; k < N; k++)
                svc_done(&s[k]);
        fix_done(&f);
}

static int notified;
static void count_notify(struct output *o, void *ud) {
        (void)o;
        (void)ud;
        notified++;
}
static int console_notified;
static void count_console_notify(struct console *c, void *ud) {
        (void)c;
        (void)ud;
        console_notified++;
}

/* Write as much as the service pipe takes, pumping once per line. */
static int fill(struct fix *f, struct svc *s, int k, int *seq, int max_lines) {
        char buf[512];
        int written = 0;
        for (;;) {
                if (*seq >= max_lines)
                        return written;
                size_t n = make_line(buf, k, *seq);
                /* Whole lines only, so that the test knows what was sent. */
                ssize_t w = write(s->w, buf, n);
                if (w < 0)
                        return written;
                if ((size_t)w != n) {
                        /* Partial write: finish it blocking-free later. */
                        if (write_all(s->w, buf + w, n - (size_t)w) < 0)
                                abort();
                }
                (*seq)++;
                written++;
                if (output_wants_read(s->o))
                        output_on_readable(s->o, 1000);
                if (console_wants_write(f->c))
                        console_on_writable(f->c, 1000);
        }
}

static void test_backpressure(void) {
        struct fix f;
        struct svc s[2];
        int seq[2] = { 0, 0 }, expected[2];
        fix_init(&f);
        f.reading = false;
        console_set_notify(f.c, count_console_notify, NULL);
        svc_start(&f, &s[0], "s0", OUTPUT_CONSOLE, NULL);
        svc_start(&f, &s[1], "s1", OUTPUT_CONSOLE, NULL);
        output_set_notify(s[0].o, count_notify, NULL);

        /* Nobody reads the console: its pipe, then its queue fill up. */
        fill(&f, &s[0], 0, &seq[0], 1000000);
        ok(!output_wants_read(s[0].o), "console full: the service's pipe is no longer read");
        ok(console_wants_write(f.c) && console_notified > 0, "console waits for writability and said so");
        ok(console_queued(f.c) > CONSOLE_QUEUE_SIZE - CONSOLE_RECORD_MAX, "queue is full");
        struct pollfd pw = { .fd = s[0].w, .events = POLLOUT };
        ok(poll(&pw, 1, 0) == 0, "the service's own write would block (its pipe is full)");
        fill(&f, &s[1], 1, &seq[1], 1000000);
        ok(!output_wants_read(s[1].o), "a second service waits too");
        ok(seq[0] > 1000 && seq[1] > 100, "both services wrote before blocking (%d, %d lines)", seq[0], seq[1]);

        /* The reader comes back: everything arrives, in order. */
        int before = notified;
        f.reading = true;
        fix_read(&f);
        console_on_writable(f.c, 1000);
        ok(output_wants_read(s[0].o) && notified > before, "console drained: reading resumes, with a notification");
        expected[0] = seq[0];
        expected[1] = seq[1];
        settle(&f, s, 2, 1000);
        ok(check_stream(f.acc, f.acc_len, 2, expected), "every line arrived, whole and in order (%d + %d lines)",
               expected[0], expected[1]);
        ok(!console_wants_write(f.c) && output_wants_read(s[0].o) && output_wants_read(s[1].o),
               "back to idle");
        svc_done(&s[0]);
        svc_done(&s[1]);
        fix_done(&f);
}

static void test_broken_console(void) {
        struct fix f;
        struct svc s;
        fix_init(&f);
        svc_start(&f, &s, "b", OUTPUT_CONSOLE, NULL);
        f.cons_r = safe_close(f.cons_r);
        f.reading = false;
        int seq = 0;
        fill(&f, &s, 0, &seq, 3000);
        settle(&f, &s, 1, 1000);
        ok(seq == 3000 && output_wants_read(s.o), "a dead console never stops the service");
        ok(console_dropped(f.c) > 0 && !console_wants_write(f.c), "lines are counted as dropped");
        ok(console_on_writable(f.c, 1000) == -EPIPE, "console reports EPIPE");
        svc_done(&s);
        fix_done(&f);
}

static void test_broken_with_many_waiting(void) {
        enum { N = 100 };
        struct fix f;
        static struct svc s[N];
        fix_init(&f);
        f.reading = false;
        for (int k = 0; k < N; k++) {
                char name[8];
                snprintf(name, sizeof(name), "s%d", k);
                svc_start(&f, &s[k], name, OUTPUT_CONSOLE, NULL);
        }
        int seq = 0;
        fill(&f, &s[0], 0, &seq, 1000000);
        int waiting = 0;
        for (int k = 0; k < N; k++) {
                svc_write(&s[k], "line\n");
                output_on_readable(s[k].o, 1000);
                waiting += !output_wants_read(s[k].o);
        }
        ok(waiting == N, "%d services wait for the console", waiting);
        f.cons_r = safe_close(f.cons_r);
        console_on_writable(f.c, 1000);
        int reading = 0;
        for (int k = 0; k < N; k++)
                reading += output_wants_read(s[k].o);
        ok(reading == N && !console_wants_write(f.c), "the console broke: all of them read again at once");
        for (int k = 0; k < N; k++)
                svc_done(&s[k]);
        fix_done(&f);
}

static void test_console_reader_gone_at_start(void) {
        int p[2];
        struct console *c;
        struct output *o;
        int stdio[3];
        signal(SIGPIPE, SIG_IGN);
        pipe2(p, O_CLOEXEC);
        close(p[0]);
        ok(console_init(&c, p[1]) == 0, "console on a pipe whose reader is already gone");
        output_new(&o, "g", OUTPUT_CONSOLE, NULL, c);
        output_prepare(o, stdio);
        if (write_all(stdio[1], "lost\n", 5) < 0)
                abort();
        output_spawned(o);
        while (output_on_readable(o, 1) == 0)
                ;
        ok(output_idle(o) && console_dropped(c) == 8 && !console_wants_write(c),
           "its lines are dropped and counted, the service is never held");
        output_free(o);
        console_free(c);
        close(p[1]);
}

static void tail_cb(const char *line, size_t len, void *ud) {
        char *acc = ud;
        strncat(acc, line, len);
        strcat(acc, "|");
}

static void test_tail(void) {
        struct fix f;
        struct svc s;
        char acc[4096] = "";
        fix_init(&f);
        svc_start(&f, &s, "t", OUTPUT_CONSOLE, NULL);
        svc_write(&s, "one\ntwo\nthree\nfour");
        settle(&f, &s, 1, 1000);
        ok(output_tail(s.o, 2, tail_cb, acc) == 2 && streq(acc, "two|three|"), "tail 2: the last complete lines");
        s.w = safe_close(s.w);
        settle(&f, &s, 1, 1000);
        acc[0] = '\0';
        ok(output_tail(s.o, 10, tail_cb, acc) == 4 && streq(acc, "one|two|three|four|"),
               "tail 10: all lines, the one flushed at EOF included");
        svc_done(&s);
        fix_done(&f);
}

static void test_inherit_null(void) {
        struct output *o;
        int stdio[3] = { 7, 7, 7 };
        ok(output_new(&o, "i", OUTPUT_INHERIT, NULL, NULL) == 0 && output_prepare(o, stdio) == 0 &&
                       stdio[0] == -1 && stdio[1] == -1 && stdio[2] == -1 && output_fd(o) == -1 &&
                       !output_wants_read(o) && output_deadline(o) == 0,
               "inherit: the child keeps corral's fds, nothing to watch");
        output_spawned(o);
        ok(output_tail(o, 10, NULL, NULL) == 0, "inherit: no lines kept");
        output_free(o);

        struct stat null_st, st;
        stat("/dev/null", &null_st);
        ok(output_new(&o, "n", OUTPUT_NULL, NULL, NULL) == 0 && output_prepare(o, stdio) == 0, "null set up");
        ok(stdio[0] >= 3 && stdio[1] == stdio[0] && stdio[2] == stdio[0] && fstat(stdio[0], &st) == 0 &&
                       st.st_rdev == null_st.st_rdev && (fcntl(stdio[0], F_GETFL) & O_ACCMODE) == O_RDWR,
               "null: /dev/null as 0, 1 and 2");
        ok(output_fd(o) == -1, "null: nothing to watch");
        output_spawned(o);
        ok(fcntl(stdio[0], F_GETFD) < 0 && errno == EBADF, "child's ends closed after spawn");
        output_free(o);
}

static void test_child_fds(void) {
        struct fix f;
        struct output *o;
        int stdio[3];
        struct stat null_st, st;
        fix_init(&f);
        stat("/dev/null", &null_st);
        output_new(&o, "c", OUTPUT_CONSOLE, NULL, f.c);
        output_prepare(o, stdio);
        bool good = true;
        for (int i = 0; i < 3; i++)
                good = good && stdio[i] >= 3 && (fcntl(stdio[i], F_GETFD) & FD_CLOEXEC);
        ok(good, "child's fds are >= 3 and CLOEXEC");
        ok(stdio[1] == stdio[2] && fstat(stdio[0], &st) == 0 && st.st_rdev == null_st.st_rdev &&
                       !(fcntl(stdio[1], F_GETFL) & O_NONBLOCK),
               "stdout and stderr share one blocking pipe end, stdin is /dev/null");
        output_spawned(o);
        /* No child: the pipe reads EOF at once. */
        ok(output_on_readable(o, 1) == 1 && output_idle(o), "without a child the pipe ends at once");
        output_free(o);

        ok(output_new(&o, "c", OUTPUT_CONSOLE, NULL, NULL) == -EINVAL, "console mode needs a console");
        char name[80];
        memset(name, 'n', sizeof(name) - 1);
        name[79] = '\0';
        ok(output_new(&o, name, OUTPUT_INHERIT, NULL, NULL) == -EINVAL, "an over-long name is refused");
        ok(output_new(&o, "x", OUTPUT_FILE, NULL, f.c) == -EINVAL, "file mode needs a path");
        fix_done(&f);
}

static void test_restart(void) {
        struct fix f;
        struct svc s;
        int stdio[3];
        fix_init(&f);
        svc_start(&f, &s, "r", OUTPUT_CONSOLE, NULL);
        svc_write(&s, "old\nrest");
        /* Restart before the old pipe ended (a stray process holds it). */
        ok(output_prepare(s.o, stdio) == 0, "prepare again while the old pipe is open");
        int w = fcntl(stdio[1], F_DUPFD_CLOEXEC, 3);
        output_spawned(s.o);
        safe_close(s.w);
        s.w = w;
        svc_write(&s, "new\n");
        settle(&f, &s, 1, 1000);
        ok(streq(f.acc, "r| old\nr| rest\nr| new\n"), "the old pipe's bytes come first, then the new run's");
        svc_done(&s);
        fix_done(&f);
}

static char *slurp(const char *path) {
        char *s = NULL;
        if (read_file_at(AT_FDCWD, path, 1 << 20, &s, NULL) < 0)
                return strdup("<missing>");
        return s;
}

static void test_file(void) {
        char dir[] = "/tmp/corral-output-XXXXXX";
        if (!mkdtemp(dir))
                abort();
        char *path = xasprintf("%s/svc.log", dir), *rotated = xasprintf("%s/svc.log.1", dir);
        struct fix f;
        struct svc s;
        fix_init(&f);
        ok(svc_start(&f, &s, "fl", OUTPUT_FILE, path) == 0 && output_fd(s.o) >= 0, "file mode captures via a pipe");
        struct stat st;
        ok(stat(path, &st) == 0 && (st.st_mode & 0777) == (0644 & ~umask(022)), "file created 0644");
        svc_write(&s, "first\nsecond part");
        settle(&f, &s, 1, 1000);
        char *a = slurp(path);
        ok(streq(a, "first\nsecond part") && f.acc_len == 0, "bytes appended exactly as written, nothing on console");
        free(a);
        rename(path, rotated);
        char msg[400] = "";
        ok(output_reopen_all(f.c, msg, sizeof msg) == 0 && !msg[0], "reopen");
        svc_write(&s, " ends\nthird\n");
        settle(&f, &s, 1, 1000);
        char *b = slurp(path), *r = slurp(rotated);
        ok(streq(r, "first\nsecond part") && streq(b, " ends\nthird\n"),
               "after reopen the running service writes to the new file");
        free(b);
        free(r);
        char acc[256] = "";
        output_tail(s.o, 10, tail_cb, acc);
        ok(streq(acc, "first|second part ends|third|"), "file mode keeps lines in the ring too");
        svc_done(&s);

        size_t before = count_fds();
        struct output *o;
        int stdio[3];
        output_new(&o, "bad", OUTPUT_FILE, "/nonexistent-dir/x.log", f.c);
        ok(output_prepare(o, stdio) == -ENOENT && count_fds() == before, "unopenable file: -ENOENT, no fd left open");
        output_free(o);
        fix_done(&f);
        unlink(path);
        unlink(rotated);
        rmdir(dir);
        free(path);
        free(rotated);
}

static void test_socket_console(void) {
        int sv[2];
        struct console *c;
        struct output *o;
        int stdio[3];
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
        ok(console_init(&c, sv[1]) == 0, "console on a socket");
        output_new(&o, "so", OUTPUT_CONSOLE, NULL, c);
        output_prepare(o, stdio);
        if (write_all(stdio[1], "via socket\n", 11) < 0)
                abort();
        output_spawned(o);
        while (output_on_readable(o, 1) == 0)
                ;
        console_drain(c, 1000);
        char buf[64] = "";
        ssize_t n = read(sv[0], buf, sizeof(buf) - 1);
        ok(n == 15 && streq(buf, "so| via socket\n"), "line written with send()");
        ok(!(fcntl(sv[1], F_GETFL) & O_NONBLOCK), "socket left blocking for its other holders");
        output_free(o);
        console_free(c);
        close(sv[0]);
        close(sv[1]);
}

static void test_drain(void) {
        struct fix f;
        struct svc s;
        fix_init(&f);
        svc_start(&f, &s, "d", OUTPUT_CONSOLE, NULL);
        svc_write(&s, "a\nb\n");
        output_on_readable(s.o, 1);
        ok(console_drain(f.c, 1000) == 0 && console_queued(f.c) == 0, "drain writes what is queued");
        fix_read(&f);
        ok(streq(f.acc, "d| a\nd| b\n"), "drained lines arrive");
        f.reading = false;
        int seq = 0;
        fill(&f, &s, 0, &seq, 1000000);
        uint64_t t0 = now_ms();
        ok(console_drain(f.c, 30) == -ETIMEDOUT && now_ms() - t0 < 1000, "drain gives up at its timeout");
        svc_done(&s);
        fix_done(&f);
}

int main(void) {
        test_console_init();
        test_lines();
        test_long_lines();
        test_deadline_and_eof();
        test_finish();
        test_interleave();
        test_backpressure();
        test_broken_console();
        test_broken_with_many_waiting();
        test_console_reader_gone_at_start();
        test_tail();
        test_inherit_null();
        test_child_fds();
        test_restart();
        test_file();
        test_socket_console();
        test_drain();
        return done_testing();
}
