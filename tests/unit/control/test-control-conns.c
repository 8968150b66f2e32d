/* The control server's connections: a table that grows up to its maximum,
 * an idle client giving way to a new one when it is full, idle connections
 * and unread replies timed out, the timer driven through the server's own
 * epoll fd. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "control.h"
#include "tap.h"
#include "util.h"

static void handler(void *ud, struct ctl_request *req, struct ctl_reply *r, int conn_fd) {
        (void)ud;
        (void)conn_fd;
        if (req->cmd == CTL_LOGS)
                for (int i = 0; i < 20000; i++)
                        ctl_out(r, "a rather long line of a reply nobody reads, number %d\n", i);
        else
                ctl_out(r, "ok\n");
}

static int connect_to(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        strcpy(sa.sun_path, path);
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                safe_close(fd);
                return -1;
        }
        return fd;
}

/* Dispatch until fd has something to read (a reply, or EOF). */
static bool wait_readable(struct ctl_server *s, int fd, int timeout_ms) {
        uint64_t end = now_ms() + (uint64_t)timeout_ms;
        while (now_ms() < end) {
                struct pollfd p[2] = { { .fd = ctl_server_fd(s), .events = POLLIN }, { .fd = fd, .events = POLLIN } };
                poll(p, 2, 100);
                ctl_server_dispatch(s);
                p[1].revents = 0;
                if (poll(&p[1], 1, 0) > 0)
                        return true;
        }
        return false;
}

/* Send status, read the whole reply: its exit status, or -1. */
static int status_of(struct ctl_server *s, int fd) {
        if (send(fd, "status", 7, 0) < 0)
                return -1;
        char pkt[CTL_PACKET + 2];
        for (;;) {
                if (!wait_readable(s, fd, 5000))
                        return -1;
                ssize_t n = recv(fd, pkt, sizeof pkt - 1, MSG_DONTWAIT);
                if (n <= 0)
                        return -1;
                pkt[n] = '\0';
                if (pkt[0] == 'x')
                        return atoi(pkt + 1);
        }
}

static bool at_eof(int fd) {
        char c;
        ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
        return n == 0 || (n < 0 && errno == ECONNRESET);
}

static void test_grow_and_max(const char *path) {
        struct ctl_server *s;
        if (ctl_server_open(path, handler, NULL, &s) < 0)
                abort();
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        rlim_t want = 2 * CTL_MAX_CONNS + 64;
        if (rl.rlim_cur < want && rl.rlim_max >= want) {
                rl.rlim_cur = want;
                setrlimit(RLIMIT_NOFILE, &rl);
        }
        if (rl.rlim_cur < want) {
                for (int i = 0; i < 5; i++)
                        ok(true, "# SKIP RLIMIT_NOFILE below %llu", (unsigned long long)want);
                ctl_server_close(s);
                return;
        }
        static int fds[CTL_MAX_CONNS];
        int n = 0;
        for (; n < CTL_MAX_CONNS; n++) {
                fds[n] = connect_to(path);
                if (fds[n] < 0)
                        break;
                if (n % 64 == 63)
                        ctl_server_dispatch(s);
        }
        ctl_server_dispatch(s);
        is_int(n, CTL_MAX_CONNS, "%d idle clients connect without waiting", CTL_MAX_CONNS);
        is_int(ctl_server_connections(s), CTL_MAX_CONNS, "the table grew to hold them all");
        int fresh = connect_to(path);
        is_int(status_of(s, fresh), 0, "one more client is answered");
        ok(at_eof(fds[0]) && !at_eof(fds[1]), "... in the place of the client idle the longest");
        is_int(ctl_server_connections(s), CTL_MAX_CONNS - 1, "the table stays at its maximum");
        close(fresh);
        for (int i = 0; i < n; i++)
                close(fds[i]);
        ctl_server_close(s);
}

static void test_idle(const char *path) {
        struct ctl_server *s;
        if (ctl_server_open(path, handler, NULL, &s) < 0)
                abort();
        ctl_server_set_idle_timeout(s, 300);
        int idle = connect_to(path);
        int reader = connect_to(path);
        int lazy = connect_to(path);
        uint64_t t0 = now_ms();
        ctl_server_dispatch(s);
        if (send(lazy, "logs\0x", 7, 0) < 0)
                abort();
        is_int(status_of(s, reader), 0, "a client that asks is answered");
        ok(wait_readable(s, idle, 5000) && at_eof(idle), "an idle client is closed");
        uint64_t took = now_ms() - t0;
        ok(took >= 300 && took < 5000, "... after its idle time (%llu ms)", (unsigned long long)took);
        /* The lazy client got the start of its reply and reads no more. */
        char pkt[CTL_PACKET + 2];
        ssize_t got = recv(lazy, pkt, sizeof pkt, MSG_DONTWAIT);
        bool closed = false;
        uint64_t end = now_ms() + 5000;
        while (!closed && now_ms() < end) {
                struct pollfd p = { .fd = ctl_server_fd(s), .events = POLLIN };
                poll(&p, 1, 100);
                ctl_server_dispatch(s);
                closed = ctl_server_connections(s) == 0;
        }
        ok(got > 0 && closed, "a client that leaves its reply unread is closed too");
        close(reader);
        close(idle);
        close(lazy);
        int later = connect_to(path);
        is_int(status_of(s, later), 0, "the server goes on answering");
        close(later);
        ctl_server_close(s);
}

/* The answer of a deferred request (exec) is sent when corral gets to it:
 * a client that does not read may not hold the loop then. */
static void test_deferred_reply(void) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                abort();
        fcntl(sv[0], F_SETFL, O_NONBLOCK);
        static char pkt[4096];
        while (send(sv[0], pkt, sizeof pkt, MSG_DONTWAIT) > 0)
                ;
        struct ctl_reply r = { .status = 3 };
        uint64_t t0 = now_ms();
        alarm(10); /* what blocks is killed: the test fails */
        ctl_send_reply(sv[0], &r);
        alarm(0);
        ok(now_ms() - t0 < 1000, "a deferred answer to a client that reads nothing does not wait");
        close(sv[1]);

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                abort();
        fcntl(sv[0], F_SETFL, O_NONBLOCK);
        ctl_send_reply(sv[0], &r);
        char got[16] = "";
        ssize_t n = recv(sv[1], got, sizeof got - 1, 0);
        ok(n == 2 && streq(got, "x3"), "... and one that reads gets it (%s)", got);
        close(sv[1]);
}

int main(void) {
        signal(SIGPIPE, SIG_IGN);
        test_deferred_reply();
        char dir[] = "/tmp/corral-ctlc-XXXXXX";
        if (!mkdtemp(dir))
                abort();
        char path[256];
        snprintf(path, sizeof path, "%s/control", dir);
        test_grow_and_max(path);
        test_idle(path);
        rmdir(dir);
        return done_testing();
}
