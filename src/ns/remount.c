/* Read-only remounts, in the child (no malloc, no stdio).  A bind is made
 * recursively (MS_REC), so "read-only" must reach the mounts below it too:
 * a remount with MS_BIND changes one mount only.  mount_setattr(2) with
 * AT_RECURSIVE (Linux 5.12) does the whole tree at once; before it, each
 * mount found below the target in /proc/self/mountinfo is remounted. */
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

#include "ns-internal.h"
#include "mountinfo.h"

/* In a user namespace the kernel refuses a remount that drops flags it
 * locked (nosuid, nodev, noexec, atime), so a read-only remount keeps them. */
unsigned long ns_locked_flags(unsigned long st_flags) {
        static const struct {
                unsigned long st, ms;
        } keep[] = {
                { ST_NOSUID, MS_NOSUID },   { ST_NODEV, MS_NODEV },         { ST_NOEXEC, MS_NOEXEC },
                { ST_NOATIME, MS_NOATIME }, { ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
        };
        unsigned long flags = 0;
        for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
                if (st_flags & keep[i].st)
                        flags |= keep[i].ms;
        return flags;
}

void ns_fd_path(char buf[32], int fd) {
        char digits[12];
        int n = 0;
        do
                digits[n++] = (char)('0' + fd % 10);
        while ((fd /= 10) > 0);
        memcpy(buf, "/proc/self/fd/", 14);
        for (int i = 0; i < n; i++)
                buf[14 + i] = digits[n - 1 - i];
        buf[14 + n] = '\0';
}

static int remount_one(const char *path) {
        struct statvfs sv;
        if (statvfs(path, &sv) < 0)
                return -1;
        return mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | ns_locked_flags(sv.f_flag), NULL);
}

/* Is mp the mount point top (of length tl, 0 for "/") or below it? */
static bool in_tree(const char *mp, const char *top, size_t tl, bool below) {
        if (strncmp(mp, top, tl) != 0)
                return false;
        if (mp[tl] == '\0' || (tl == 0 && streq(mp, "/")))
                return !below;
        return mp[tl] == '/';
}

/* Without mount_setattr: every mount at (unless below) and under top, in
 * mountinfo's order (parents first).  Lines are read a buffer at a time; a
 * line longer than the buffer cannot name a path mount(2) takes anyway. */
static int remount_each(const char *top, bool below) {
        int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        size_t tl = streq(top, "/") ? 0 : strlen(top);
        char buf[16384];
        size_t len = 0;
        bool skipping = false;
        int r = 0, err = 0;
        for (;;) {
                ssize_t n = read(fd, buf + len, sizeof buf - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        if (n < 0)
                                r = -1, err = errno;
                        break;
                }
                len += (size_t)n;
                char *line = buf, *nl;
                while ((nl = memchr(line, '\n', (size_t)(buf + len - line)))) {
                        *nl = '\0';
                        char *mp = skipping ? NULL : mountinfo_mount_point(line);
                        skipping = false;
                        if (mp && in_tree(mp, top, tl, below) && remount_one(mp) < 0 && r == 0)
                                r = -1, err = errno;
                        line = nl + 1;
                }
                len = (size_t)(buf + len - line);
                if (len == sizeof buf) {
                        len = 0;
                        skipping = true;
                } else
                        memmove(buf, line, len);
        }
        close(fd);
        errno = err;
        return r;
}

int ns_remount_ro_tree(int fd, bool below) {
        struct statvfs sv;
        if (fstatvfs(fd, &sv) < 0)
                return -1;
        struct mount_attr set = { .attr_set = MOUNT_ATTR_RDONLY };
        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &set, sizeof set) == 0) {
                /* Below only: the top mount gets its own flag back. */
                struct mount_attr clr = { .attr_clr = MOUNT_ATTR_RDONLY };
                if (!below || (sv.f_flag & ST_RDONLY))
                        return 0;
                return (int)syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &clr, sizeof clr);
        }
        if (errno != ENOSYS)
                return -1;
        char link[32], top[4096];
        ns_fd_path(link, fd);
        ssize_t n = readlink(link, top, sizeof top - 1);
        if (n < 0)
                return -1;
        top[n] = '\0';
        return remount_each(top, below);
}
