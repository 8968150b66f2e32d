/* The control protocol: request grammar, status formatting, and a real
 * server answering requests, garbage and refused peers. */
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "control.h"
#include "tap.h"
#include "util.h"

static int parse_words(const char *const *w, size_t n, struct ctl_request *req, const char **why) {
        static char buf[4096];
        static char *space[CTL_MAX_WORDS + 1];
        size_t len = 0;
        for (size_t i = 0; i < n; i++) {
                size_t l = strlen(w[i]) + 1;
                memcpy(buf + len, w[i], l);
                len += l;
        }
        return ctl_request_parse(buf, len, req, space, CTL_MAX_WORDS + 1, why);
}

#define PARSE(req, why, ...)                                                                       \
        ({                                                                                         \
                const char *const _w[] = { __VA_ARGS__ };                                          \
                parse_words(_w, ARRAY_SIZE(_w), req, why);                                         \
        })

static void test_grammar(void) {
        struct ctl_request r;
        const char *why;
        ok(PARSE(&r, &why, "status") == 0 && r.cmd == CTL_STATUS && !r.name && !r.json, "status");
        ok(PARSE(&r, &why, "status", "web", "--json") == 0 && r.json && streq(r.name, "web"), "status NAME --json");
        ok(PARSE(&r, &why, "kill", "web", "SIGUSR1") == 0 && r.signal == SIGUSR1, "kill SIGUSR1");
        ok(PARSE(&r, &why, "kill", "web", "USR1") == 0 && r.signal == SIGUSR1, "kill USR1");
        ok(PARSE(&r, &why, "kill", "web", "10") == 0 && r.signal == 10, "kill 10");
        ok(PARSE(&r, &why, "kill", "web", "SIGNOPE") < 0, "kill with a bad signal refused");
        ok(PARSE(&r, &why, "logs", "db", "-n", "7") == 0 && r.lines == 7, "logs -n 7");
        ok(PARSE(&r, &why, "logs", "db") == 0 && r.lines == 50, "logs default 50 lines");
        ok(PARSE(&r, &why, "logs", "db", "-n", "x") < 0, "logs -n x refused");
        ok(PARSE(&r, &why, "exec", "db", "--", "sh", "-c", "id") == 0 && streq(r.argv[0], "sh") &&
                   streq(r.argv[2], "id") && !r.argv[3], "exec NAME -- argv");
        ok(PARSE(&r, &why, "exec", "db", "sh") < 0, "exec without -- refused");
        ok(PARSE(&r, &why, "start", "../x") < 0, "bad service name refused");
        ok(PARSE(&r, &why, "reload", "x") < 0, "reload takes no argument");
        ok(PARSE(&r, &why, "frobnicate") < 0 && strncmp(why, "unknown command", 15) == 0, "unknown command");
        char bad[] = { 's', 't', 'a' };
        char *space[4];
        ok(ctl_request_parse(bad, sizeof bad, &r, space, 4, &why) < 0, "unterminated packet refused");
        ok(ctl_request_parse(bad, 0, &r, space, 4, &why) < 0, "empty packet refused");
}

static void test_status_format(void) {
        struct ctl_service_status v[2] = {
                { .name = "db", .state = "ready", .pid = 42, .uptime_ms = 1500, .restarts = 2,
                  .exited = true, .code = 3, .ready = true, .cgroup = "pod/db", .memory_current = 4096,
                  .memory_max = -1, .oom_kills = 1 },
                { .name = "we\"b", .state = "backoff", .pid = 0, .signaled = true, .signal = 9,
                  .cgroup = NULL, .memory_current = -1, .memory_max = 1048576 },
        };
        struct ctl_reply r = {0};
        ctl_format_status(&r, v, 2, true);
        is_str(r.out,
               "{\"services\":[{\"name\":\"db\",\"state\":\"ready\",\"pid\":42,\"uptime_ms\":1500,"
               "\"restarts\":2,\"last_exit\":{\"code\":3},\"ready\":true,\"cgroup\":\"pod/db\","
               "\"memory_current\":4096,\"memory_max\":null,\"oom_kills\":1},"
               "{\"name\":\"we\\\"b\",\"state\":\"backoff\",\"pid\":null,\"uptime_ms\":0,\"restarts\":0,"
               "\"last_exit\":{\"signal\":9},\"ready\":false,\"cgroup\":null,\"memory_current\":null,"
               "\"memory_max\":1048576,\"oom_kills\":0}]}\n",
               "status --json has exactly the keys of SPEC 6");
        ctl_reply_free(&r);
        ctl_format_status(&r, v, 2, false);
        like(r.out, "NAME", "table has a header");
        like(r.out, "exit 3", "table shows the last exit");
        like(r.out, "SIGKILL", "table shows a signal exit");
        ctl_reply_free(&r);
}

static void handler(void *ud, struct ctl_request *req, struct ctl_reply *reply, int fd) {
        (void)ud;
        (void)fd;
        if (req->cmd == CTL_STATUS) {
                for (int i = 0; i < 3000; i++)
                        ctl_out(reply, "line %d\n", i);
        } else if (req->cmd == CTL_CHECK) {
                ctl_err(reply, "not ready\n");
                reply->status = CTL_EXIT_FAIL;
        } else
                ctl_out(reply, "%s %s\n", ctl_cmd_to_string(req->cmd), req->name ? req->name : "-");
}

static int connect_raw(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        strcpy(sa.sun_path, path);
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                close(fd);
                return -errno;
        }
        return fd;
}

/* Read a whole reply while dispatching the server in between. */
static int read_reply(struct ctl_server *s, int fd, char *out, size_t cap, int *ret_status) {
        size_t len = 0;
        char pkt[CTL_PACKET + 2];
        for (int spins = 0; spins < 100000; spins++) {
                ctl_server_dispatch(s);
                ssize_t n = recv(fd, pkt, sizeof pkt - 1, MSG_DONTWAIT);
                if (n < 0 && errno == EAGAIN)
                        continue;
                if (n <= 0)
                        return -1;
                pkt[n] = '\0';
                if (pkt[0] == 'x') {
                        *ret_status = atoi(pkt + 1);
                        out[len] = '\0';
                        return 0;
                }
                if ((size_t)n - 1 + len < cap) {
                        memcpy(out + len, pkt + 1, (size_t)n - 1);
                        len += (size_t)n - 1;
                }
        }
        return -1;
}

static int roundtrip(struct ctl_server *s, const char *path, const void *req, size_t len, char *out,
                     size_t cap) {
        int fd = connect_raw(path);
        if (fd < 0)
                return -1;
        int status = -1;
        if (send(fd, req, len, 0) < 0 || read_reply(s, fd, out, cap, &status) < 0)
                status = -1;
        close(fd);
        return status;
}

static void test_server(const char *dir) {
        char path[256], out[65536];
        snprintf(path, sizeof path, "%s/control", dir);
        struct ctl_server *s;
        if (!ok(ctl_server_open(path, handler, NULL, &s) == 0, "server opens"))
                return;
        struct stat st;
        ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "socket mode is 0600");
        is_int(roundtrip(s, path, "start\0web", 10, out, sizeof out), 0, "start answered");
        is_str(out, "start web\n", "handler output relayed");
        is_int(roundtrip(s, path, "status", 7, out, sizeof out), 0, "large reply answered");
        like(out, "line 2999\n", "large reply arrives whole over several packets");
        is_int(roundtrip(s, path, "check\0db", 9, out, sizeof out), CTL_EXIT_FAIL, "handler status relayed");
        is_int(roundtrip(s, path, "bogus\0", 6, out, sizeof out), CTL_EXIT_USAGE, "unknown command refused");
        is_int(roundtrip(s, path, "\x01\x02\xff", 3, out, sizeof out), CTL_EXIT_USAGE, "binary garbage refused");
        is_int(roundtrip(s, path, "stat", 4, out, sizeof out), CTL_EXIT_USAGE, "truncated request refused");
        static char big[CTL_MAX_REQUEST + 100];
        memset(big, 'a', sizeof big);
        is_int(roundtrip(s, path, big, sizeof big, out, sizeof out), CTL_EXIT_USAGE, "oversized request refused");
        like(out, "too large", "oversized request named");
        is_int(roundtrip(s, path, "reload\0", 7, out, sizeof out), 0, "server still answers after garbage");

        if (geteuid() != 0) {
                ok(true, "# SKIP refused peer needs root");
        } else {
                /* let the filesystem pass, so SO_PEERCRED is what refuses */
                chmod(dir, 0755);
                chmod(path, 0666);
                int sv[2];
                socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
                pid_t pid = fork();
                if (pid == 0) {
                        close(sv[0]);
                        if (setgid(65534) < 0 || setuid(65534) < 0)
                                _exit(99);
                        int fd = connect_raw(path);
                        char c = fd >= 0 ? 'c' : 'f';
                        (void)write(sv[1], &c, 1);
                        if (fd < 0)
                                _exit(98);
                        (void)send(fd, "status\0", 7, 0);
                        char pkt[256] = "";
                        ssize_t n;
                        int st = -1;
                        while ((n = recv(fd, pkt, sizeof pkt - 1, 0)) > 0) {
                                pkt[n] = 0;
                                if (pkt[0] == 'x')
                                        st = atoi(pkt + 1);
                        }
                        _exit(st);
                }
                close(sv[1]);
                char c = 0;
                (void)read(sv[0], &c, 1);
                close(sv[0]);
                int status = 0;
                while (waitpid(pid, &status, WNOHANG) == 0)
                        ctl_server_dispatch(s);
                is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, CTL_EXIT_DENIED, "non-root peer refused");
        }
        ctl_server_close(s);
        ok(access(path, F_OK) < 0, "socket removed on close");
}

int main(void) {
        plan(35);
        test_grammar();
        test_status_format();
        char dir[] = "/tmp/corral-ctl-XXXXXX";
        if (!mkdtemp(dir))
                return 1;
        test_server(dir);
        rmdir(dir);
        return done_testing();
}
