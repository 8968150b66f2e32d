/* Mount steps whose target lies below the new root, made safe against the
 * image: every path is resolved with openat2(RESOLVE_IN_ROOT), so a symlink
 * in a root directory ("etc -> /etc") or a ".." resolves inside the root as
 * it will after pivot_root, never onto the host.  The mount itself goes
 * through /proc/self/fd/N of the resolved target, as crun does.  Runs in the
 * child: no malloc, no stdio; -1 with errno on failure, like a syscall. */
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

#include "ns-internal.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

int ns_open_in_root(int rootfd, const char *path, int flags) {
        struct open_how how = {
                .flags = (unsigned)(flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

static int close_keep_errno(int fd, int r) {
        int e = errno;
        close(fd);
        errno = e;
        return r;
}

/* mkdir -p of dir below the root, each prefix resolved inside it. */
static int mkdir_in_root(int rootfd, const char *dir) {
        char buf[4096];
        size_t n = strlen(dir);
        if (n >= sizeof buf) {
                errno = ENAMETOOLONG;
                return -1;
        }
        memcpy(buf, dir, n + 1);
        int parent = ns_open_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
        for (char *p = buf; parent >= 0 && *p;) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                char *e = strchrnul(p, '/');
                char c = *e;
                *e = '\0';
                int fd = ns_open_in_root(rootfd, buf, O_PATH | O_DIRECTORY);
                if (fd < 0 && errno == ENOENT) {
                        if (mkdirat(parent, p, 0755) < 0 && errno != EEXIST)
                                return close_keep_errno(parent, -1);
                        fd = ns_open_in_root(rootfd, buf, O_PATH | O_DIRECTORY);
                }
                close_keep_errno(parent, 0);
                parent = fd;
                *e = c;
                p = e;
        }
        return parent < 0 ? -1 : close_keep_errno(parent, 0);
}

/* The directory holding path's last component (made if missing), as an
 * O_PATH fd; *ret_name points at that component inside buf. */
static int parent_in_root(int rootfd, const char *path, char *buf, size_t size, const char **ret_name) {
        size_t n = strlen(path);
        if (n >= size) {
                errno = ENAMETOOLONG;
                return -1;
        }
        memcpy(buf, path, n + 1);
        char *slash = strrchr(buf, '/');
        *ret_name = slash ? slash + 1 : buf;
        if (slash)
                *slash = '\0';
        if (mkdir_in_root(rootfd, buf) < 0)
                return -1;
        return ns_open_in_root(rootfd, *buf ? buf : "/", O_PATH | O_DIRECTORY);
}

static int make_point(int rootfd, const struct ns_step *st) {
        char buf[4096];
        const char *name;
        struct stat s;
        if (st->mkpoint == MKPOINT_DIR)
                return mkdir_in_root(rootfd, st->shown);
        if (st->mkpoint != MKPOINT_LIKE_SOURCE)
                return 0;
        if (stat(st->source, &s) < 0)
                return -1;
        if (S_ISDIR(s.st_mode))
                return mkdir_in_root(rootfd, st->shown);
        int dfd = parent_in_root(rootfd, st->shown, buf, sizeof buf, &name);
        if (dfd < 0)
                return -1;
        int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0 && errno != EEXIST)
                return close_keep_errno(dfd, -1);
        if (fd >= 0)
                close(fd);
        return close_keep_errno(dfd, 0);
}

static int symlink_in_root(int rootfd, const struct ns_step *st) {
        char buf[4096];
        const char *name;
        int dfd = parent_in_root(rootfd, st->shown, buf, sizeof buf, &name);
        if (dfd < 0)
                return -1;
        int r = symlinkat(st->source, dfd, name) < 0 && errno != EEXIST ? -1 : 0;
        return close_keep_errno(dfd, r);
}

/* mount(2) onto the target resolved inside the root. */
static int mount_at(int rootfd, const struct ns_step *st, const char *source, const char *fstype,
                    unsigned long flags, const char *data) {
        int fd = ns_open_in_root(rootfd, st->shown, O_PATH);
        if (fd < 0)
                return -1;
        char path[32];
        ns_fd_path(path, fd);
        if (flags & MS_REMOUNT) {
                struct statvfs sv;
                if (fstatvfs(fd, &sv) < 0)
                        return close_keep_errno(fd, -1);
                flags |= ns_locked_flags(sv.f_flag);
        }
        return close_keep_errno(fd, mount(source, path, fstype, flags, data));
}

int ns_in_root_step(int rootfd, const struct ns_step *st) {
        struct stat s;
        switch (st->op) {
        case STEP_MOUNT:
                if (make_point(rootfd, st) < 0)
                        return -1;
                return mount_at(rootfd, st, st->source, st->fstype, st->flags, st->data);
        case STEP_BIND:
                if (st->optional && stat(st->source, &s) < 0 && errno == ENOENT)
                        return 0;
                if (make_point(rootfd, st) < 0)
                        return -1;
                return mount_at(rootfd, st, st->source, NULL, MS_BIND | st->flags, NULL);
        case STEP_REMOUNT_RO:
                if (st->flags & MS_REC) {
                        int fd = ns_open_in_root(rootfd, st->shown, O_PATH);
                        return fd < 0 ? -1 : close_keep_errno(fd, ns_remount_ro_tree(fd, st->below));
                }
                return mount_at(rootfd, st, NULL, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
        case STEP_SYMLINK:
                return symlink_in_root(rootfd, st);
        case STEP_MKDIR_P:
                return mkdir_in_root(rootfd, st->shown);
        default:
                errno = EINVAL;
                return -1;
        }
}
