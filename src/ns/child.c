/* The child side: runs right after clone, before ids are dropped and exec.
 * No malloc and no stdio here: every path and option string was computed by
 * the plan; this file only makes syscalls and records what failed. */
#include <fcntl.h>
#include <linux/magic.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

#include "ns-internal.h"
#include "sys.h"

/* Written only in the child, read by the spawn code of the same child to
 * fill spawn_error.arg. */
static int child_what = NS_WHAT_NONE;

int ns_child_failure(void) {
        return child_what;
}

static void close_errno(int fd) {
        int e = errno;
        close(fd);
        errno = e;
}

static int fail(int what) {
        int e = errno ? errno : EINVAL;
        child_what = what;
        return -e;
}

int ns_lo_up(void) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        struct ifreq ifr = { .ifr_name = "lo" };
        int r = 0;
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                r = -errno;
        else if (!(ifr.ifr_flags & IFF_UP)) {
                ifr.ifr_flags |= IFF_UP;
                if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                        r = -errno;
        }
        close(fd);
        return r;
}

static int join_pods(const struct ns_plan *p) {
        for (int k = 0; k < _POD_NS_MAX; k++) {
                if (!p->pod_path[k])
                        continue;
                int fd = open(p->pod_path[k], O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return fail(NS_WHAT_SETNS + k);
                int r = setns(fd, pod_ns_flag[k]);
                int e = errno;
                close(fd);
                errno = e;
                if (r < 0)
                        return fail(NS_WHAT_SETNS + k);
        }
        return 0;
}

/* mkdir -p with a stack buffer. */
static int mkdir_p(const char *path) {
        char buf[4096];
        size_t n = strlen(path);
        if (n >= sizeof buf) {
                errno = ENAMETOOLONG;
                return -1;
        }
        memcpy(buf, path, n + 1);
        for (size_t i = 1; i <= n; i++) {
                if (buf[i] != '/' && buf[i] != '\0')
                        continue;
                char c = buf[i];
                buf[i] = '\0';
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return -1;
                buf[i] = c;
        }
        return 0;
}

static int make_point(const struct ns_step *st) {
        struct stat s;
        switch (st->mkpoint) {
        case MKPOINT_DIR:
                return mkdir(st->target, 0755) < 0 && errno != EEXIST ? -1 : 0;
        case MKPOINT_LIKE_SOURCE:
                if (stat(st->source, &s) < 0)
                        return -1;
                if (S_ISDIR(s.st_mode))
                        return mkdir_p(st->target);
                if (lstat(st->target, &s) == 0)
                        return 0;
                int fd = open(st->target, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
                if (fd < 0)
                        return -1;
                close(fd);
                return 0;
        default:
                return 0;
        }
}

static int remount_ro(const struct ns_step *st) {
        const char *target = st->target;
        if (st->flags & MS_REC) {
                int fd = open(target, O_PATH | O_CLOEXEC);
                if (fd < 0)
                        return -1;
                int r = ns_remount_ro_tree(fd, st->below);
                close_errno(fd);
                return r;
        }
        struct statvfs sv;
        if (statvfs(target, &sv) < 0)
                return -1;
        return mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | ns_locked_flags(sv.f_flag), NULL);
}

static int run_step(const struct ns_step *st) {
        struct stat s;
        switch (st->op) {
        case STEP_MOUNT:
                if (make_point(st) < 0)
                        return -1;
                return mount(st->source, st->target, st->fstype, st->flags, st->data);
        case STEP_BIND:
                if (st->optional && stat(st->source, &s) < 0 && errno == ENOENT)
                        return 0;
                if (make_point(st) < 0)
                        return -1;
                return mount(st->source, st->target, NULL, MS_BIND | st->flags, NULL);
        case STEP_REMOUNT_RO:
                return remount_ro(st);
        case STEP_MKDIR_P:
                return mkdir_p(st->target);
        case STEP_SYMLINK:
                return symlink(st->source, st->target) < 0 && errno != EEXIST ? -1 : 0;
        default:
                errno = EINVAL;
                return -1;
        }
}

/* Is / the initial ramfs/tmpfs rootfs, which pivot_root(2) cannot move? */
static bool root_is_rootfs(void) {
        struct statfs sf;
        return statfs("/", &sf) == 0 && (sf.f_type == RAMFS_MAGIC || sf.f_type == TMPFS_MAGIC);
}

/* pivot_root(".", ".") stacks the old root on the new one, so it can be
 * detached without a put_old directory (pivot_root(2), NOTES).  From an
 * initramfs, do what switch_root(8) does instead: move the new root over /
 * and chroot into it. */
static int change_root(const struct ns_plan *p) {
        if (chdir(p->new_root) < 0)
                return fail(NS_WHAT_PIVOT);
        int r = sys_pivot_root(".", ".");
        if (r == 0) {
                if (umount2(".", MNT_DETACH) < 0)
                        return fail(NS_WHAT_PIVOT);
        } else if (r == -EINVAL && root_is_rootfs()) {
                if (mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0)
                        return fail(NS_WHAT_PIVOT);
        } else {
                errno = -r;
                return fail(NS_WHAT_PIVOT);
        }
        if (chdir("/") < 0)
                return fail(NS_WHAT_PIVOT);
        return 0;
}

static int do_mounts(const struct ns_plan *p) {
        /* Before any mount, so that nothing propagates back to corral's
         * mount table (mount_namespaces(7), "Shared subtrees"). */
        if (p->make_private && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return fail(NS_WHAT_PRIVATE);
        int rootfd = -1;
        for (size_t i = 0; i < p->n_steps; i++) {
                const struct ns_step *st = &p->steps[i];
                /* Opened once the root itself is mounted: every step below
                 * it resolves its target inside it.  Without openat2 (before
                 * Linux 5.6) plain paths are used. */
                if (st->in_root && rootfd == -1) {
                        rootfd = open(p->new_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
                        if (rootfd < 0)
                                return fail((int)i);
                        int probe = ns_open_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
                        if (probe < 0 && errno == ENOSYS) {
                                close(rootfd);
                                rootfd = -2;
                        } else if (probe >= 0)
                                close(probe);
                }
                int r = st->in_root && rootfd >= 0 ? ns_in_root_step(rootfd, st) : run_step(st);
                if (r < 0) {
                        if (rootfd >= 0)
                                close_errno(rootfd);
                        return fail((int)i);
                }
        }
        if (rootfd >= 0)
                close(rootfd);
        return p->pivot ? change_root(p) : 0;
}

/* In a new user namespace the child starts as the overflow uid until it
 * switches to ids the maps define: become root inside (uid 0 and gid 0 when
 * mapped) so that the service's own user and group are set from there.
 * Raw syscalls: libc's set*id wrappers synchronize threads this child does
 * not have. */
static int become_root(void) {
        if (syscall(SYS_setresgid, 0, 0, 0) < 0 && errno != EINVAL)
                return -1;
        if (syscall(SYS_setgroups, 0, NULL) < 0 && errno != EPERM)
                return -1;
        if (syscall(SYS_setresuid, 0, 0, 0) < 0 && errno != EINVAL)
                return -1;
        return 0;
}

int ns_child_setup(const struct ns_plan *p, int errfd, struct ns_exit_report *report) {
        if (!p)
                return 0;
        errno = 0;
        if ((p->clone_flags & CLONE_NEWUSER) && become_root() < 0)
                return fail(NS_WHAT_USER);
        int r = join_pods(p);
        if (r < 0)
                return r;
        if (p->unshare_cgroup && unshare(CLONE_NEWCGROUP) < 0)
                return fail(NS_WHAT_CGROUP);
        if (p->hostname && sethostname(p->hostname, strlen(p->hostname)) < 0)
                return fail(NS_WHAT_HOSTNAME);
        if (p->lo_up && (r = ns_lo_up()) < 0) {
                errno = -r;
                return fail(NS_WHAT_LO);
        }
        r = do_mounts(p);
        if (r < 0)
                return r;
        if (p->pid_init && (r = ns_pid_init_fork(p, errfd, report)) < 0) {
                errno = -r;
                return fail(NS_WHAT_FORK);
        }
        return 0;
}
