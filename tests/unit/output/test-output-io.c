/* Output with real processes and other kinds of console: a child's stdout
 * and stderr through the pipe, a tty and a regular file as console, deadlines
 * under backpressure, finishing a full pipe. */
#include <poll.h>
#include <sys/wait.h>
#include <termios.h>

#include "../../tap.h"
#include "fixture.h"

static void test_child(void) {
        struct fix f;
        struct output *o;
        int stdio[3];
        fix_init(&f);
        output_new(&o, "sh", OUTPUT_CONSOLE, NULL, f.c);
        if (output_prepare(o, stdio) < 0)
                abort();
        pid_t pid = fork();
        if (pid == 0) {
                for (int i = 0; i < 3; i++)
                        if (dup2(stdio[i], i) < 0)
                                _exit(126);
                execl("/bin/sh", "sh", "-c",
                      "echo out1; echo err1 >&2; echo out2;"
                      "if read x; then echo stdin-data; else echo stdin-eof; fi; printf partial",
                      (char *)NULL);
                _exit(127);
        }
        output_spawned(o);
        uint64_t deadline = now_ms() + 10000;
        while (output_fd(o) >= 0 && now_ms() < deadline) {
                struct pollfd p = { .fd = output_fd(o), .events = POLLIN };
                poll(&p, 1, 1000);
                output_on_readable(o, now_ms());
        }
        int status;
        waitpid(pid, &status, 0);
        console_drain(f.c, 1000);
        fix_read(&f);
        is_str(f.acc, "sh| out1\nsh| err1\nsh| out2\nsh| stdin-eof\nsh| partial\n",
               "a child's stdout and stderr in order, stdin at EOF, partial line at exit");
        ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 && output_idle(o), "child exited, output idle");
        output_free(o);
        fix_done(&f);
}

static void test_tty_console(void) {
        int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0) {
                ok(true, "tty console # SKIP no pseudo-terminal");
                ok(true, "tty console # SKIP no pseudo-terminal");
                safe_close(m);
                return;
        }
        int s = open(ptsname(m), O_RDWR | O_NOCTTY | O_CLOEXEC);
        struct termios t;
        tcgetattr(s, &t);
        cfmakeraw(&t);
        tcsetattr(s, TCSANOW, &t);

        struct console *c;
        struct output *o;
        int stdio[3];
        console_init(&c, s);
        ok(!(fcntl(s, F_GETFL) & O_NONBLOCK) && (fcntl(console_fd(c), F_GETFL) & O_NONBLOCK),
           "tty: a private non-blocking description, the shared one stays blocking");
        output_new(&o, "tty", OUTPUT_CONSOLE, NULL, c);
        output_prepare(o, stdio);
        if (write_all(stdio[1], "on a terminal\n", 14) < 0)
                abort();
        output_spawned(o);
        while (output_on_readable(o, 1) == 0)
                ;
        console_drain(c, 1000);
        char buf[128] = "";
        size_t len = 0;
        uint64_t deadline = now_ms() + 5000;
        while (len < 19 && now_ms() < deadline) {
                struct pollfd p = { .fd = m, .events = POLLIN };
                if (poll(&p, 1, 1000) <= 0)
                        continue;
                ssize_t n = read(m, buf + len, sizeof(buf) - 1 - len);
                if (n > 0)
                        len += (size_t)n;
        }
        buf[len] = '\0';
        is_str(buf, "tty| on a terminal\n", "tty: the line arrives on the terminal");
        output_free(o);
        console_free(c);
        close(s);
        close(m);
}

static void test_file_console(void) {
        char path[] = "/tmp/corral-console-XXXXXX";
        int fd = mkstemp(path);
        struct console *c;
        struct output *o;
        int stdio[3];
        if (write_all(fd, "before\n", 7) < 0)
                abort();
        console_init(&c, fd);
        output_new(&o, "f", OUTPUT_CONSOLE, NULL, c);
        output_prepare(o, stdio);
        if (write_all(stdio[1], "x\n", 2) < 0)
                abort();
        output_spawned(o);
        while (output_on_readable(o, 1) == 0)
                ;
        if (write_all(fd, "after\n", 6) < 0)
                abort();
        char *s = NULL;
        read_file_at(AT_FDCWD, path, 4096, &s, NULL);
        is_str(s, "before\nf| x\nafter\n", "regular file as console: writes continue at the shared offset");
        ok(console_queued(c) == 0 && !console_wants_write(c), "a file console never waits");
        free(s);
        output_free(o);
        console_free(c);
        close(fd);
        unlink(path);
}

static void test_deadline_under_backpressure(void) {
        struct fix f;
        struct svc a, b;
        char line[200];
        fix_init(&f);
        f.reading = false;
        svc_start(&f, &a, "a", OUTPUT_CONSOLE, NULL);
        svc_start(&f, &b, "b", OUTPUT_CONSOLE, NULL);
        memset(line, 'a', sizeof(line) - 1);
        line[sizeof(line) - 1] = '\n';
        size_t sent = 0;
        while (output_wants_read(a.o)) {
                ssize_t n = write(a.w, line, sizeof(line));
                if (n > 0)
                        sent += (size_t)n;
                output_on_readable(a.o, 1000);
        }
        svc_write(&b, "partial");
        output_on_readable(b.o, 1000);
        ok(output_wants_read(b.o) && output_deadline(b.o) == 1100, "another service's partial line has a deadline");
        output_on_deadline(b.o, 1100);
        ok(!output_wants_read(b.o) && output_deadline(b.o) == 0,
           "due while the console is full: it waits, no deadline left to fire");
        f.reading = true;
        struct svc both[2] = { a, b };
        settle(&f, both, 2, 1200);
        /* Only a's whole lines remain in a's pipe: count them. */
        size_t lines_a = 0;
        bool b_whole = false;
        for (const char *p = f.acc; p && *p;) {
                const char *nl = strchr(p, '\n');
                if (!nl)
                        break;
                if (strncmp(p, "a| ", 3) == 0 && (size_t)(nl - p) == 3 + sizeof(line) - 1)
                        lines_a++;
                else if ((size_t)(nl - p) == 10 && strncmp(p, "b| partial", 10) == 0)
                        b_whole = true;
                p = nl + 1;
        }
        ok(b_whole && lines_a * sizeof(line) == sent, "the partial line came out whole once room was made, a's lines all arrived");
        svc_done(&a);
        svc_done(&b);
        fix_done(&f);
}

static void test_finish_full_pipe(void) {
        struct fix f;
        struct svc s;
        fix_init(&f);
        svc_start(&f, &s, "full", OUTPUT_CONSOLE, NULL);
        char line[100];
        memset(line, 'q', sizeof(line) - 1);
        line[sizeof(line) - 1] = '\n';
        size_t n_lines = 0;
        while (write(s.w, line, sizeof(line)) == (ssize_t)sizeof(line))
                n_lines++;
        /* The console reader keeps up; the service is gone but a stray
         * process holds the write end (our s.w). */
        f.reading = true;
        output_finish(s.o, 1000);
        for (int i = 0; i < 100 && output_fd(s.o) >= 0; i++) {
                fix_read(&f);
                console_on_writable(f.c, 1000);
        }
        ok(output_fd(s.o) < 0, "finish closes the pipe once it ran dry (%zu lines were in it)", n_lines);
        settle(&f, &s, 1, 1000);
        ok(f.acc_len == n_lines * (6 + sizeof(line)), "every line of the full pipe arrived");
        svc_done(&s);
        fix_done(&f);
}

static void test_free_flushes(void) {
        struct fix f;
        struct svc s;
        fix_init(&f);
        svc_start(&f, &s, "x", OUTPUT_CONSOLE, NULL);
        svc_write(&s, "abc\ndef");
        output_on_readable(s.o, 1);
        svc_done(&s);
        console_drain(f.c, 1000);
        fix_read(&f);
        is_str(f.acc, "x| abc\nx| def\n", "freeing an output queues its partial line when there is room");
        fix_done(&f);
}

int main(void) {
        test_child();
        test_tty_console();
        test_file_console();
        test_deadline_under_backpressure();
        test_finish_full_pipe();
        test_free_flushes();
        return done_testing();
}
