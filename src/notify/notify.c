/* The NOTIFY_SOCKET server of services of type "notify". */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "notify.h"
#include "util.h"

static bool key_is(const char *line, size_t len, const char *assign) {
        size_t n = strlen(assign);
        return len == n && memcmp(line, assign, n) == 0;
}

/* The kernel's pid_max: pids are below it.  Read each time, as it may be
 * raised at run time; NOTIFY_PID_MAX, the ceiling of any pid_max, when
 * /proc cannot tell. */
static long pid_limit(void) {
        char buf[32];
        long v = 0;
        _cleanup_close_ int fd = open("/proc/sys/kernel/pid_max", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9' && v <= NOTIFY_PID_MAX; i++)
                v = v * 10 + (buf[i] - '0');
        return v > 1 && v <= NOTIFY_PID_MAX ? v : NOTIFY_PID_MAX;
}

/* A pid in decimal digits only, 1 .. pid_max - 1; 0 for anything else, so
 * that no value wraps into another process's pid when cast. */
static pid_t parse_pid(const char *s, size_t len) {
        long v = 0;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return 0;
                v = v * 10 + (s[i] - '0');
                if (v > NOTIFY_PID_MAX)
                        return 0;
        }
        return v > 0 && v < pid_limit() ? (pid_t)v : 0;
}

static void parse_line(const char *l, size_t len, struct notify_msg *m) {
        if (key_is(l, len, "READY=1"))
                m->ready = true;
        else if (key_is(l, len, "STOPPING=1"))
                m->stopping = true;
        else if (key_is(l, len, "RELOADING=1"))
                m->reloading = true;
        else if (key_is(l, len, "WATCHDOG=1"))
                m->watchdog = true;
        else if (key_is(l, len, "WATCHDOG=trigger"))
                m->watchdog_trigger = true;
        else if (len > 8 && memcmp(l, "MAINPID=", 8) == 0)
                m->mainpid = parse_pid(l + 8, len - 8);
        else if (len >= 7 && memcmp(l, "STATUS=", 7) == 0) {
                size_t n = len - 7 < sizeof m->status - 1 ? len - 7 : sizeof m->status - 1;
                /* Shown to whoever runs corralctl status: no byte of it may
                 * drive their terminal. */
                for (size_t i = 0; i < n; i++) {
                        unsigned char c = (unsigned char)l[7 + i];
                        m->status[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
                }
                m->status[n] = '\0';
        }
}

int notify_parse(const char *buf, size_t len, struct notify_msg *ret) {
        struct notify_msg m = { .pid = ret->pid, .uid = ret->uid };
        size_t start = 0;
        for (size_t i = 0; i <= len; i++) {
                if (i == len || buf[i] == '\n') {
                        if (i > start)
                                parse_line(buf + start, i - start, &m);
                        start = i + 1;
                }
        }
        *ret = m;
        return 0;
}

struct notify_server {
        int fd;
        char *path;
};

int notify_server_open(const char *path, struct notify_server **ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        int one = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
                return -errno;
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
                unlink(path);
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
                return -errno;
        /* Services may run as other users and still must be able to notify;
         * the sender is identified by its credentials, not by access. */
        if (chmod(path, 0666) < 0)
                return -errno;
        struct notify_server *s = calloc(1, sizeof *s);
        if (!s || !(s->path = strdup(path))) {
                free(s);
                unlink(path);
                return -ENOMEM;
        }
        s->fd = TAKE_FD(fd);
        *ret = s;
        return 0;
}

int notify_server_fd(const struct notify_server *s) {
        return s->fd;
}

const char *notify_server_path(const struct notify_server *s) {
        return s->path;
}

int notify_server_recv(struct notify_server *s, struct notify_msg *ret) {
        char buf[NOTIFY_MAX_MESSAGE + 1];
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(16 * sizeof(int))];
        } cbuf;
        for (;;) {
                struct iovec iov = { .iov_base = buf, .iov_len = NOTIFY_MAX_MESSAGE };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
                                     .msg_controllen = sizeof cbuf.buf };
                ssize_t n = recvmsg(s->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EAGAIN ? 0 : -errno;
                }
                struct ucred *cred = NULL;
                for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
                        if (cm->cmsg_level != SOL_SOCKET)
                                continue;
                        if (cm->cmsg_type == SCM_CREDENTIALS && cm->cmsg_len == CMSG_LEN(sizeof *cred))
                                cred = (struct ucred *)CMSG_DATA(cm);
                        else if (cm->cmsg_type == SCM_RIGHTS) {
                                int *fds = (int *)CMSG_DATA(cm);
                                for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++)
                                        close(fds[i]);
                        }
                }
                /* A sender outside corral's PID namespace shows as pid 0: it
                 * is passed on, to be counted as nobody's. */
                if (!cred || n > NOTIFY_MAX_MESSAGE)
                        continue;
                struct notify_msg m = { .pid = cred->pid, .uid = cred->uid };
                notify_parse(buf, (size_t)n, &m);
                *ret = m;
                return 1;
        }
}

void notify_server_close(struct notify_server *s) {
        if (!s)
                return;
        safe_close(s->fd);
        unlink(s->path);
        free(s->path);
        free(s);
}
