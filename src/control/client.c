/* corralctl's side of the control protocol. */
#include <sys/socket.h>
#include <sys/un.h>

#include "control.h"
#include "util.h"

static int connect_to(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

/* exec passes the client's stdin, stdout and stderr along with the request. */
static int send_request(int fd, const char *buf, size_t len, bool pass_stdio) {
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(3 * sizeof(int))];
        } cbuf;
        struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (pass_stdio) {
                mh.msg_control = cbuf.buf;
                mh.msg_controllen = sizeof cbuf.buf;
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(3 * sizeof(int));
                int fds[3] = { 0, 1, 2 };
                memcpy(CMSG_DATA(cm), fds, sizeof fds);
        }
        ssize_t n;
        do
                n = sendmsg(fd, &mh, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        return n < 0 ? -errno : 0;
}

int ctl_client_read_reply(int fd, int out_fd, int err_fd) {
        _cleanup_free_ char *pkt = malloc(CTL_PACKET + 2);
        if (!pkt)
                return CTL_EXIT_FAIL;
        for (;;) {
                ssize_t n = recv(fd, pkt, CTL_PACKET + 1, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        dprintf(err_fd, "corralctl: corral closed the connection without an answer\n");
                        return CTL_EXIT_FAIL;
                }
                pkt[n] = '\0';
                if (pkt[0] == 'o')
                        (void)write_all(out_fd, pkt + 1, (size_t)n - 1);
                else if (pkt[0] == 'e')
                        (void)write_all(err_fd, pkt + 1, (size_t)n - 1);
                else if (pkt[0] == 'x') {
                        int st = ctl_exit_status_parse(pkt + 1, (size_t)n - 1);
                        if (st >= 0)
                                return st;
                        /* The bytes may hold a NUL: quote what precedes it. */
                        dprintf(err_fd, "corralctl: corral sent a malformed exit status %s\n", QUOTED(pkt + 1));
                        return CTL_EXIT_FAIL;
                }
        }
}

int ctl_client_run(const char *socket_path, char *const *words, size_t n) {
        _cleanup_free_ char *buf = malloc(CTL_MAX_REQUEST);
        if (!buf)
                return CTL_EXIT_FAIL;
        size_t len;
        const char *why;
        if (ctl_request_encode(words, n, buf, CTL_MAX_REQUEST, &len, &why) < 0) {
                fprintf(stderr, "corralctl: %s\n", why);
                return CTL_EXIT_USAGE;
        }
        _cleanup_close_ int fd = connect_to(socket_path);
        if (fd < 0) {
                fprintf(stderr, "corralctl: cannot reach corral at %s: %s\n", QUOTED(socket_path), strerror(-fd));
                return CTL_EXIT_NOT_RUNNING;
        }
        int r = send_request(fd, buf, len, streq(words[0], "exec"));
        if (r < 0) {
                fprintf(stderr, "corralctl: sending to %s: %s\n", QUOTED(socket_path), strerror(-r));
                return CTL_EXIT_NOT_RUNNING;
        }
        fflush(stdout);
        return ctl_client_read_reply(fd, STDOUT_FILENO, STDERR_FILENO);
}
