/* Helpers of the fuzz targets, linked into the libFuzzer and the replay
 * executables alike. */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "fuzz.h"

size_t fuzz_open_fds(void) {
        size_t n = 0;
        DIR *d = opendir("/proc/self/fd");
        if (!d)
                return 0;
        for (struct dirent *de; (de = readdir(d));)
                n += de->d_name[0] != '.';
        closedir(d);
        return n - 1; /* the directory's own fd */
}

int fuzz_send_fds(int sock, const struct sockaddr_un *to, const void *p, size_t n, int fd, int nfds) {
        int fds[32];
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof fds)];
        } cbuf = { 0 };
        struct iovec iov = { .iov_base = (void *)p, .iov_len = n };
        struct msghdr mh = { .msg_name = (void *)to, .msg_namelen = to ? sizeof *to : 0, .msg_iov = &iov,
                             .msg_iovlen = 1 };
        if (nfds > 32)
                nfds = 32;
        for (int i = 0; i < nfds; i++)
                fds[i] = fd;
        if (nfds > 0) {
                mh.msg_control = cbuf.buf;
                mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                *cm = (struct cmsghdr){ .cmsg_len = CMSG_LEN(nfds * sizeof(int)), .cmsg_level = SOL_SOCKET,
                                        .cmsg_type = SCM_RIGHTS };
                memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
        }
        return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}
