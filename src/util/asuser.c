/* See asuser.h. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "asuser.h"
#include "util.h"

/* The child: raw syscalls only (the libc wrappers of set*id would talk to
 * threads the child does not have), then _exit. */
static _noreturn_ void child(int sock, const char *path, int flags, mode_t mode, const struct asuser_ids *ids) {
        int err = 0, fd = -1;
        /* Not dumpable, so that the user it becomes cannot look into a copy
         * of corral's memory; gone with corral. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
            syscall(SYS_setgroups, ids->n_groups, ids->groups) < 0 ||
            syscall(SYS_setresgid, ids->gid, ids->gid, ids->gid) < 0 ||
            syscall(SYS_setresuid, ids->uid, ids->uid, ids->uid) < 0)
                err = errno;
        else if ((fd = open(path, flags, mode)) < 0)
                err = errno;
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } cbuf;
        struct iovec iov = { .iov_base = &err, .iov_len = sizeof err };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (fd >= 0) {
                mh.msg_control = cbuf.buf;
                mh.msg_controllen = sizeof cbuf.buf;
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cm), &fd, sizeof fd);
        }
        _exit(sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? 1 : 0);
}

/* The child's answer: 0 and *ret_fd, the child's -errno, or -ETIMEDOUT.
 * *ret_over: the child answered or died, so it is at its end. */
static int receive(int sock, int timeout_ms, int *ret_fd, bool *ret_over) {
        *ret_over = false;
        uint64_t deadline = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
        for (;;) {
                uint64_t now = now_ms();
                struct pollfd p = { .fd = sock, .events = POLLIN };
                int n = poll(&p, 1, now < deadline ? (int)(deadline - now) : 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -ETIMEDOUT;
                break;
        }
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } cbuf;
        int err = 0;
        struct iovec iov = { .iov_base = &err, .iov_len = sizeof err };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
                             .msg_controllen = sizeof cbuf.buf };
        ssize_t k = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (k < 0)
                return -errno;
        *ret_over = true;
        int fd = -1;
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
            cm->cmsg_len == CMSG_LEN(sizeof(int)))
                memcpy(&fd, CMSG_DATA(cm), sizeof fd);
        if (k != (ssize_t)sizeof err) {
                safe_close(fd);
                return -EIO; /* the child died before it answered */
        }
        if (err != 0 || fd < 0) {
                safe_close(fd);
                return err ? -err : -EIO;
        }
        if (fd < 3) {
                /* corral runs with 0, 1 or 2 closed: keep clear of them. */
                int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                int r = nfd < 0 ? -errno : 0;
                close(fd);
                if (r < 0)
                        return r;
                fd = nfd;
        }
        *ret_fd = fd;
        return 0;
}

int asuser_open(const char *path, int flags, mode_t mode, const struct asuser_ids *ids, int timeout_ms,
                int *ret_fd) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        flags |= O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
        pid_t pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(sv[0]);
                close(sv[1]);
                return r;
        }
        if (pid == 0) {
                close(sv[0]);
                child(sv[1], path, flags, mode, ids);
        }
        close(sv[1]);
        int fd = -1;
        bool over;
        int r = receive(sv[0], timeout_ms, &fd, &over);
        close(sv[0]);
        if (!over) {
                /* An open stuck in the kernel (a hung network file system)
                 * may outlive even SIGKILL for a while: not waited for here,
                 * the caller's reaper of every child (waitpid(-1)) takes it. */
                kill(pid, SIGKILL);
                (void)waitpid(pid, NULL, WNOHANG);
                return r;
        }
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        if (r < 0)
                return r;
        *ret_fd = fd;
        return 0;
}
