/* The control protocol's parsers as corralctl and corral use them: every
 * refusal quotes the offending word, signals and line counts are exact, and
 * the client takes only a well-formed exit status from the server. */
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "control.h"
#include "tap.h"
#include "util.h"

/* Parse words as the server would; *why is the refusal, "" when accepted. */
static int parse(struct ctl_request *r, const char **why, size_t n, const char *const *w) {
        static char buf[CTL_MAX_REQUEST];
        static char *space[CTL_MAX_WORDS + 1];
        size_t len = 0;
        for (size_t i = 0; i < n; i++) {
                size_t l = strlen(w[i]) + 1;
                memcpy(buf + len, w[i], l);
                len += l;
        }
        *why = "";
        return ctl_request_parse(buf, len, r, space, CTL_MAX_WORDS + 1, why);
}

#define REFUSED(want, ...)                                                                          \
        do {                                                                                        \
                const char *const _w[] = { __VA_ARGS__ };                                           \
                struct ctl_request _r;                                                              \
                const char *_why;                                                                   \
                int _rc = parse(&_r, &_why, ARRAY_SIZE(_w), _w);                                    \
                tap_ok(_rc == -EINVAL && streq(_why, want), "refused: %s", want);                   \
                if (_rc != -EINVAL || !streq(_why, want))                                           \
                        tap_diag("got %d, \"%s\"", _rc, _why);                                      \
        } while (0)

static void test_refusals(void) {
        REFUSED("kill: \"SIGNOPE\" is not a signal name or number", "kill", "web", "SIGNOPE");
        REFUSED("kill: \"RTMIN+9223372036854775774\" is not a signal name or number", "kill", "web",
                "RTMIN+9223372036854775774");
        REFUSED("kill: \"32\" is not a signal name or number", "kill", "web", "32");
        REFUSED("kill: \"\" is not a signal name or number", "kill", "web", "");
        REFUSED("usage: kill NAME SIGNAL", "kill", "web");
        REFUSED("start: \"../x\" is not a service name", "start", "../x");
        REFUSED("usage: stop NAME", "stop");
        REFUSED("status: \"a b\" is not a service name", "status", "a b");
        REFUSED("logs: -n: \"x\" is not a number of lines (0 to 1000000)", "logs", "db", "-n", "x");
        REFUSED("logs: -n: \"-1\" is not a number of lines (0 to 1000000)", "logs", "db", "-n", "-1");
        REFUSED("logs: -n: \"99999999999999999999\" is not a number of lines (0 to 1000000)", "logs", "db", "-n",
                "99999999999999999999");
        REFUSED("unknown command \"frob\\nnicate\\x1b\"", "frob\nnicate\x1b");
        REFUSED("usage: reload (no arguments)", "reload", "now");
        REFUSED("usage: exec NAME -- COMMAND [ARG...]", "exec", "db", "sh");

        struct ctl_request r;
        const char *why;
        const char *const lines[] = { "logs", "db", "-n", "1000000" };
        tap_ok(parse(&r, &why, 4, lines) == 0 && r.lines == 1000000, "logs -n 1000000");
        const char *const rt[] = { "kill", "db", "RTMIN+1" };
        tap_ok(parse(&r, &why, 3, rt) == 0 && r.signal == SIGRTMIN + 1, "kill RTMIN+1");
}

static void test_encode(void) {
        char buf[256];
        size_t len;
        const char *why = "";
        char *w[] = { "kill", "web", "SIGNOPE" };
        tap_ok(ctl_request_encode(w, 3, buf, sizeof buf, &len, &why) == -EINVAL &&
                       streq(why, "kill: \"SIGNOPE\" is not a signal name or number"),
               "corralctl refuses a bad signal itself, quoting it: %s", why);
}

static void test_status_parse(void) {
        static const struct {
                const char *s;
                int want;
        } cases[] = {
                { "0", 0 },     { "1", 1 },     { "255", 255 },  { "130", 130 }, { "256", -EINVAL },
                { "", -EINVAL }, { "-1", -EINVAL }, { "+1", -EINVAL }, { " 1", -EINVAL }, { "1x", -EINVAL },
                { "0256", -EINVAL }, { "4294967296", -EINVAL }, { "x", -EINVAL },
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
                tap_ok(ctl_exit_status_parse(cases[i].s, strlen(cases[i].s)) == cases[i].want,
                       "exit status \"%s\" -> %d", cases[i].s, cases[i].want);
        tap_ok(ctl_exit_status_parse("1\0" "2", 3) == -EINVAL, "a NUL inside the status is refused");
}

/* A server that answers one request with the given packets, in a child. */
static pid_t fake_server(const char *path, const char *const *pkts, size_t n) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
        int lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 1) < 0)
                return -1;
        pid_t pid = fork();
        if (pid == 0) {
                char req[CTL_MAX_REQUEST];
                int fd = accept(lfd, NULL, NULL);
                if (fd < 0 || recv(fd, req, sizeof req, 0) < 0)
                        _exit(1);
                for (size_t i = 0; i < n; i++)
                        if (send(fd, pkts[i], strlen(pkts[i]), MSG_NOSIGNAL) < 0)
                                _exit(1);
                _exit(0);
        }
        close(lfd);
        return pid;
}

/* corralctl's exit status for a server answering pkts; its stderr in err. */
static int client_status(const char *dir, const char *const *pkts, size_t n, char *err, size_t size) {
        char path[256], errf[256];
        snprintf(path, sizeof path, "%s/control", dir);
        snprintf(errf, sizeof errf, "%s/stderr", dir);
        unlink(path);
        pid_t pid = fake_server(path, pkts, n);
        if (pid < 0)
                return -1;
        int saved = dup(STDERR_FILENO);
        int efd = open(errf, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        dup2(efd, STDERR_FILENO);
        char *words[] = { "status" };
        int st = ctl_client_run(path, words, 1);
        dup2(saved, STDERR_FILENO);
        close(saved);
        ssize_t k = pread(efd, err, size - 1, 0);
        err[k > 0 ? k : 0] = 0;
        close(efd);
        waitpid(pid, NULL, 0);
        return st;
}

static void test_client(void) {
        char dir[] = "/tmp/corral-ctlproto-XXXXXX", err[512];
        if (!mkdtemp(dir)) {
                tap_skip("client replies", "no temporary directory");
                return;
        }
        const char *const good[] = { "e", "x3" };
        tap_ok(client_status(dir, good, 2, err, sizeof err) == 3, "status 3 is passed on");
        const char *const wraps[] = { "x256" };
        tap_ok(client_status(dir, wraps, 1, err, sizeof err) == CTL_EXIT_FAIL, "status 256 does not wrap to 0");
        tap_ok(strstr(err, "malformed exit status \"256\"") != NULL, "and is named: %s", err);
        const char *const junk[] = { "x3x" };
        tap_ok(client_status(dir, junk, 1, err, sizeof err) == CTL_EXIT_FAIL, "status 3x is refused");
        const char *const none[] = { "owhatever" };
        tap_ok(client_status(dir, none, 0, err, sizeof err) == CTL_EXIT_FAIL && strstr(err, "without an answer"),
               "no status at all: failure");
        char path[300];
        snprintf(path, sizeof path, "%s/control", dir);
        unlink(path);
        snprintf(path, sizeof path, "%s/stderr", dir);
        unlink(path);
        rmdir(dir);
}

int main(void) {
        signal(SIGPIPE, SIG_IGN);
        test_refusals();
        test_encode();
        test_status_parse();
        test_client();
        return tap_done();
}
