/* Probes: address parsing, tcp/file/exec attempts, entering another
 * network namespace so that 127.0.0.1 is the service's own, and killing an
 * attempt that hangs with everything it started. */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "probe.h"
#include "tap.h"
#include "util.h"


static int run(pid_t pid) {
        int st;
        if (pid < 0 || waitpid(pid, &st, 0) != pid)
                return -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int listen_any(uint16_t *ret_port) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof a;
        if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4) < 0)
                return -1;
        getsockname(fd, (struct sockaddr *)&a, &len);
        *ret_port = ntohs(a.sin_port);
        return fd;
}

static struct probe_plan tcp_plan(uint16_t port) {
        char hp[64];
        snprintf(hp, sizeof hp, "127.0.0.1:%u", port);
        struct probe p = { .kind = PROBE_TCP, .tcp = hp };
        struct probe_plan pl;
        probe_plan_init(&p, 1000, &pl);
        return pl;
}

static void test_parse(void) {
        struct sockaddr_storage ss;
        socklen_t len;
        ok(probe_parse_tcp("127.0.0.1:6379", &ss, &len) == 0 && ss.ss_family == AF_INET &&
                   ntohs(((struct sockaddr_in *)&ss)->sin_port) == 6379, "ipv4 address");
        ok(probe_parse_tcp("[::1]:80", &ss, &len) == 0 && ss.ss_family == AF_INET6, "ipv6 address");
        ok(probe_parse_tcp("localhost:80", &ss, &len) == 0 && ss.ss_family == AF_INET, "localhost");
        ok(probe_parse_tcp("127.0.0.1", &ss, &len) < 0, "missing port refused");
        ok(probe_parse_tcp("127.0.0.1:70000", &ss, &len) < 0, "port out of range refused");
        ok(probe_parse_tcp("example.org:80", &ss, &len) < 0, "names other than localhost refused");
}

static void test_local(void) {
        struct enter_target none = { .pid = 0, .cgroup_fd = -1 };
        uint16_t port;
        int l = listen_any(&port);
        struct probe_plan p = tcp_plan(port);
        is_int(run(probe_start(&p, &none)), 0, "tcp probe succeeds on a listening port");
        close(l);
        is_int(run(probe_start(&p, &none)), 1, "tcp probe fails on a closed port");
        struct probe fp = { .kind = PROBE_FILE, .file = "/proc/self/status" };
        struct probe_plan pl;
        probe_plan_init(&fp, 1000, &pl);
        is_int(run(probe_start(&pl, &none)), 0, "file probe: present");
        fp.file = "/nonexistent/ready";
        probe_plan_init(&fp, 1000, &pl);
        is_int(run(probe_start(&pl, &none)), 1, "file probe: absent");
        char *t[] = { "true", NULL };
        struct probe ep = { .kind = PROBE_EXEC, .exec_argv = t };
        probe_plan_init(&ep, 1000, &pl);
        is_int(probe_start(&pl, &none), -EINVAL, "exec probes are left to spawn_exec(), which runs them as the service");
}

/* A child in a network namespace of its own, listening on 127.0.0.1:port. */
static pid_t netns_listener(uint16_t *ret_port) {
        int pfd[2];
        if (pipe(pfd) < 0)
                return -1;
        pid_t pid = fork();
        if (pid == 0) {
                close(pfd[0]);
                if (unshare(CLONE_NEWNET) < 0)
                        _exit(1);
                int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                struct ifreq ifr = {0};
                strcpy(ifr.ifr_name, "lo");
                ifr.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
                if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                        _exit(1);
                uint16_t port;
                if (listen_any(&port) < 0)
                        _exit(1);
                (void)write(pfd[1], &port, sizeof port);
                pause();
                _exit(0);
        }
        close(pfd[1]);
        if (read(pfd[0], ret_port, sizeof *ret_port) != sizeof *ret_port) {
                close(pfd[0]);
                return -1;
        }
        close(pfd[0]);
        return pid;
}

static void test_enter(void) {
        if (geteuid() != 0) {
                ok(true, "# SKIP entering namespaces needs root");
                ok(true, "# SKIP entering namespaces needs root");
                return;
        }
        uint16_t port;
        pid_t srv = netns_listener(&port);
        if (!ok(srv > 0, "listener in its own network namespace")) {
                ok(false, "skipped");
                return;
        }
        struct probe_plan p = tcp_plan(port);
        struct enter_target t = { .pid = srv, .cgroup_fd = -1 };
        is_int(run(probe_start(&p, &t)), 0, "tcp probe reaches 127.0.0.1 of the service's namespace");
        kill(srv, SIGKILL);
        waitpid(srv, NULL, 0);
}

static char mark[32];

/* Live processes running `sleep MARK` (a zombie's cmdline is empty). */
static int sleepers(void) {
        int n = 0;
        DIR *d = opendir("/proc");
        for (struct dirent *e; d && (e = readdir(d));) {
                char path[300], buf[128];
                if (e->d_name[0] < '0' || e->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                ssize_t len = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
                if (fd >= 0)
                        close(fd);
                if (len <= 0)
                        continue;
                buf[len] = '\0';
                const char *arg = buf + strlen(buf) + 1;
                if (arg < buf + len && strstr(buf, "sleep") && streq(arg, mark))
                        n++;
        }
        if (d)
                closedir(d);
        return n;
}

static bool wait_sleepers(int want) {
        uint64_t deadline = now_ms() + 10000;
        while (sleepers() != want)
                if (now_ms() > deadline)
                        return false;
                else
                        usleep(10000);
        return true;
}

/* An attempt that hangs, killed at its "timeout" ten times: like a probe
 * attempt it leads its own group and forks once more (as it does after
 * joining the service's namespaces), so killing its pid alone would leave
 * the second process running.  probe_kill() ends the whole group. */
static pid_t hanging_attempt(void) {
        pid_t pid = fork();
        if (pid == 0) {
                (void)setpgid(0, 0);
                (void)fork();
                execlp("sleep", "sleep", mark, (char *)NULL);
                _exit(127);
        }
        if (pid > 0)
                (void)setpgid(pid, pid);
        return pid;
}

static void test_kill(void) {
        snprintf(mark, sizeof mark, "777.%d", (int)getpid());
        int started = 0, killed = 0;
        for (int i = 0; i < 10; i++) {
                pid_t pid = hanging_attempt();
                if (pid <= 0)
                        continue;
                started += wait_sleepers(2);
                killed += probe_kill(pid) == 0 && run(pid) == 128 + SIGKILL;
        }
        is_int(started, 10, "ten attempts ran `sleep %s` twice", mark);
        is_int(killed, 10, "each attempt killed by probe_kill()");
        ok(wait_sleepers(0), "no probe process left after ten kills (%d left)", sleepers());
        /* A child that never made its group: the pid alone is killed. */
        pid_t pid = fork();
        if (pid == 0) {
                pause();
                _exit(0);
        }
        ok(probe_kill(pid) == 0 && run(pid) == 128 + SIGKILL, "a child without a group of its own is killed too");
}

int main(void) {
        plan(17);
        test_parse();
        test_local();
        test_enter();
        test_kill();
        return done_testing();
}
