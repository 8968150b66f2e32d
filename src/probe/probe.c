/* tcp and file probe attempts: children that enter a service.  Exec
 * probes run as the service runs, through spawn_exec() (ready.c). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "probe.h"
#include "sys.h"
#include "util.h"

int probe_parse_tcp(const char *hostport, struct sockaddr_storage *ret, socklen_t *ret_len) {
        char host[128];
        const char *colon = strrchr(hostport, ':');
        if (!colon || colon == hostport || (size_t)(colon - hostport) >= sizeof host)
                return -EINVAL;
        char *end;
        errno = 0;
        long port = strtol(colon + 1, &end, 10);
        if (errno || *end || !colon[1] || port <= 0 || port > 65535)
                return -EINVAL;
        size_t hl = (size_t)(colon - hostport);
        if (hostport[0] == '[' && hostport[hl - 1] == ']') {
                memcpy(host, hostport + 1, hl - 2);
                host[hl - 2] = '\0';
        } else {
                memcpy(host, hostport, hl);
                host[hl] = '\0';
        }
        if (streq(host, "localhost"))
                strcpy(host, "127.0.0.1");
        struct sockaddr_storage ss = {0};
        struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
                in4->sin_family = AF_INET;
                in4->sin_port = htons((uint16_t)port);
                *ret_len = sizeof *in4;
        } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons((uint16_t)port);
                *ret_len = sizeof *in6;
        } else
                return -EINVAL;
        *ret = ss;
        return 0;
}

int probe_plan_init(const struct probe *p, uint32_t attempt_timeout_ms, struct probe_plan *ret) {
        struct probe_plan pl = { .kind = p->kind, .file = p->file, .timeout_ms = attempt_timeout_ms };
        if (p->kind == PROBE_TCP) {
                int r = probe_parse_tcp(p->tcp, &pl.addr, &pl.addr_len);
                if (r < 0)
                        return r;
        }
        *ret = pl;
        return 0;
}

static const struct {
        const char *name;
        int flag;
} ns_order[] = {
        /* user first, so the others are joined with its privileges; mnt last,
         * since it changes how /proc/PID/ns paths resolve. */
        { "user", CLONE_NEWUSER }, { "cgroup", CLONE_NEWCGROUP }, { "ipc", CLONE_NEWIPC },
        { "uts", CLONE_NEWUTS },   { "net", CLONE_NEWNET },       { "pid", CLONE_NEWPID },
        { "mnt", CLONE_NEWNS },
};

int enter_join(const struct enter_target *t) {
        if (t->cgroup_fd >= 0) {
                int fd = openat(t->cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write(fd, "0", 1) != 1)
                        return -errno;
                close(fd);
        }
        if (t->pid <= 0)
                return 0;
        /* Open every namespace file first: after joining the mount
         * namespace, /proc may no longer be the one we need. */
        int fds[ARRAY_SIZE(ns_order)];
        for (size_t i = 0; i < ARRAY_SIZE(ns_order); i++) {
                int r = sys_ns_open(t->pid, ns_order[i].name, &fds[i]);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ARRAY_SIZE(ns_order); i++) {
                if (fds[i] < 0)
                        continue;
                if (setns(fds[i], ns_order[i].flag) < 0)
                        return -errno;
                close(fds[i]);
        }
        if (chdir("/") < 0)
                return -errno;
        return 0;
}

static void reset_child(void) {
        sigset_t all;
        sigemptyset(&all);
        for (int s = 1; s < NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP)
                        signal(s, SIG_DFL);
        sigprocmask(SIG_SETMASK, &all, NULL);
}

static int drop_ids(const struct enter_target *t) {
        if (!t->set_ids)
                return 0;
        if (setgroups(0, NULL) < 0 || setgid(t->gid) < 0 || setuid(t->uid) < 0)
                return -errno;
        return 0;
}

/* Joining a PID namespace takes effect for children: fork once more and
 * pass the grandchild's status through. */
static void fork_into_pidns(void) {
        pid_t pid = fork();
        if (pid < 0)
                _exit(125);
        if (pid == 0)
                return;
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

static int tcp_attempt(const struct probe_plan *p) {
        int fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return 1;
        if (connect(fd, (const struct sockaddr *)&p->addr, p->addr_len) == 0)
                return 0;
        if (errno != EINPROGRESS)
                return 1;
        struct pollfd pfd = { .fd = fd, .events = POLLOUT };
        if (poll(&pfd, 1, (int)p->timeout_ms) != 1)
                return 1;
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        return err ? 1 : 0;
}

/* fork(); in the child, signals back to their defaults and unblocked. */
static pid_t fork_reset(void) {
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                reset_child();
        return pid;
}

pid_t probe_start(const struct probe_plan *p, const struct enter_target *t) {
        if (p->kind != PROBE_TCP && p->kind != PROBE_FILE)
                return -EINVAL;
        pid_t pid = fork_reset();
        if (pid != 0) {
                /* Both sides make the group, as a shell does for a job:
                 * whichever runs first, it exists once this returns. */
                if (pid > 0)
                        (void)setpgid(pid, pid);
                return pid;
        }
        /* Its own process group, which the process it forks after joining
         * the namespaces (and what an exec probe starts) inherits: that is
         * what probe_kill() ends at once. */
        (void)setpgid(0, 0);
        if (enter_join(t) < 0)
                _exit(125);
        fork_into_pidns();
        switch (p->kind) {
        case PROBE_TCP:
                _exit(tcp_attempt(p));
        case PROBE_FILE:
                /* Seen as the service's user sees it: a path the service
                 * could not reach says nothing, even where it exists. */
                if (drop_ids(t) < 0)
                        _exit(125);
                _exit(access(p->file, F_OK) == 0 ? 0 : 1);
        default:
                _exit(125);
        }
}

int probe_kill(pid_t pid) {
        if (pid <= 0)
                return -EINVAL;
        if (kill(-pid, SIGKILL) == 0)
                return 0;
        if (errno != ESRCH)
                return -errno;
        /* No group yet: the child has not reached setpgid() (nor forked). */
        return kill(pid, SIGKILL) < 0 ? -errno : 0;
}
