#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "sys.h"
#include "util.h"

long sys_clone(uint64_t flags) {
#if defined(__s390__) || defined(__CRIS__)
        long r = syscall(SYS_clone, 0, flags | SIGCHLD, NULL, NULL, 0);
#else
        long r = syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
#endif
        return r < 0 ? -errno : r;
}

long sys_clone3(struct clone_args *args, size_t size) {
        long r = syscall(SYS_clone3, args, size);
        return r < 0 ? -errno : r;
}

int sys_pidfd_open(pid_t pid) {
        long r = syscall(SYS_pidfd_open, pid, 0);
        return r < 0 ? -errno : (int)r;
}

int sys_pidfd_send_signal(int pidfd, int sig) {
        long r = syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
        return r < 0 ? -errno : 0;
}

int sys_close_from(int first) {
        if (syscall(SYS_close_range, (unsigned)first, ~0U, 0) == 0)
                return 0;
        /* Fallback for kernels before 5.9: walk the open descriptors.  Uses
         * getdents64 directly so that no memory is allocated in a child. */
        int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
                for (int fd = first; fd < 65536; fd++)
                        close(fd);
                return 0;
        }
        char buf[4096];
        long n;
        while ((n = syscall(SYS_getdents64, dfd, buf, sizeof buf)) > 0) {
                for (long off = 0; off < n;) {
                        struct dirent64 *de = (struct dirent64 *)(buf + off);
                        off += de->d_reclen;
                        int fd = 0;
                        const char *p = de->d_name;
                        if (*p < '0' || *p > '9')
                                continue;
                        for (; *p >= '0' && *p <= '9'; p++)
                                fd = fd * 10 + (*p - '0');
                        if (fd >= first && fd != dfd)
                                close(fd);
                }
        }
        close(dfd);
        return 0;
}

int sys_unshare_fds_below(int first) {
        return syscall(SYS_close_range, (unsigned)first, ~0U, CLOSE_RANGE_UNSHARE) < 0 ? -errno : 0;
}

/* One fd for n: /dev/null, or without it the end of a pipe whose other
 * end is closed (reads see EOF, writes EPIPE), which cannot reach a file. */
static int placeholder_fd(int n) {
        int fd = open("/dev/null", O_RDWR | O_NOCTTY);
        if (fd >= 0)
                return fd;
        int p[2];
        if (pipe(p) < 0)
                return -errno;
        int keep = n == 0 ? p[0] : p[1];
        close(n == 0 ? p[1] : p[0]);
        return keep;
}

int sys_stdio_fill(void) {
        for (int n = 0; n < 3; n++) {
                if (fcntl(n, F_GETFD) >= 0 || errno != EBADF)
                        continue;
                /* The lowest free fd is n: those below it are open. */
                int fd = placeholder_fd(n);
                if (fd < 0)
                        return fd;
                if (fd != n) {
                        int r = dup2(fd, n) < 0 ? -errno : 0;
                        close(fd);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* Before openat2 (Linux 5.6): one component at a time from /, each
 * directory opened with O_NOFOLLOW (a symlink there is not a directory),
 * the last one with O_NOFOLLOW too. */
static int open_walk(const char *path, int flags) {
        char part[NAME_MAX + 1];
        _cleanup_close_ int dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return -errno;
        for (const char *p = path;;) {
                while (*p == '/')
                        p++;
                size_t n = strcspn(p, "/");
                if (n > NAME_MAX)
                        return -ENAMETOOLONG;
                memcpy(part, p, n);
                part[n] = '\0';
                p += n;
                while (*p == '/')
                        p++;
                if (!*p) {
                        int fd = openat(dir, n ? part : ".", flags | O_NOFOLLOW);
                        return fd < 0 ? -errno : fd;
                }
                int next = openat(dir, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0) {
                        struct stat st;
                        int r = -errno;
                        if (r == -ENOTDIR && fstatat(dir, part, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                                r = -ELOOP;
                        return r;
                }
                close(dir);
                dir = next;
        }
}

int sys_open_nofollow(const char *path, int flags) {
        if (path[0] != '/')
                return -EINVAL;
        struct open_how how = {
                .flags = (uint64_t)(flags | O_CLOEXEC),
                .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        long fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
        if (fd >= 0)
                return (int)fd;
        if (errno != ENOSYS)
                return -errno;
        return open_walk(path, flags | O_CLOEXEC);
}

int sys_ns_open(pid_t pid, const char *name, int *ret_fd) {
        char path[64];
        struct stat me, owner, st;
        *ret_fd = -1;
        snprintf(path, sizeof path, "/proc/self/ns/%s", name);
        if (stat(path, &me) < 0)
                return errno == ENOENT ? 0 : -errno;
        snprintf(path, sizeof path, "/proc/%d", (int)pid);
        if (stat(path, &owner) < 0)
                return -errno;
        snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, name);
        /* The group first: setfsgid needs CAP_SETGID, which a change of
         * the fs uid away from 0 leaves in place (it drops only the file
         * capabilities, and setting it back restores them). */
        int old_gid = setfsgid(owner.st_gid), old_uid = setfsuid(owner.st_uid);
        int fd = open(path, O_RDONLY | O_CLOEXEC), err = errno;
        setfsuid((uid_t)old_uid);
        setfsgid((gid_t)old_gid);
        if (fd < 0)
                return -err;
        if (fstat(fd, &st) < 0) {
                err = errno;
                close(fd);
                return -err;
        }
        if (st.st_dev == me.st_dev && st.st_ino == me.st_ino)
                close(fd);
        else
                *ret_fd = fd;
        return 0;
}

int sys_pivot_root(const char *new_root, const char *put_old) {
        return syscall(SYS_pivot_root, new_root, put_old) < 0 ? -errno : 0;
}

int sys_capget(struct __user_cap_header_struct *hdr, struct __user_cap_data_struct *data) {
        return syscall(SYS_capget, hdr, data) < 0 ? -errno : 0;
}

int sys_capset(struct __user_cap_header_struct *hdr, const struct __user_cap_data_struct *data) {
        return syscall(SYS_capset, hdr, data) < 0 ? -errno : 0;
}
