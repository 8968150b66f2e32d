/* The duties of a machine's init that a container's init does not have. */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/magic.h>

#include "appliance.h"
#include "log.h"
#include "mountinfo.h"
#include "util.h"

const char *appliance_action_to_string(enum appliance_action a) {
        static const char *const t[] = { "none", "poweroff", "reboot", "halt" };
        return (size_t)a < ARRAY_SIZE(t) ? t[a] : "?";
}

enum appliance_action appliance_action_for_signal(int sig) {
        switch (sig) {
        case SIGTERM:
        case SIGUSR2:
                return ACTION_POWEROFF;
        case SIGINT:
                return ACTION_REBOOT;
        case SIGUSR1:
                return ACTION_HALT;
        default:
                return ACTION_NONE;
        }
}

/* A file system of that type is mounted right there: the type alone is not
 * enough, since an initramfs's rootfs is itself a tmpfs, so an empty /dev
 * or /run directory on it would pass for a mount of its own. */
static bool is_mounted(const char *path, long magic) {
        struct statfs sf;
        struct stat st, parent;
        char up[PATH_MAX];
        if (statfs(path, &sf) < 0 || (long)sf.f_type != magic || stat(path, &st) < 0)
                return false;
        snprintf(up, sizeof up, "%s/..", path);
        return stat(up, &parent) < 0 || parent.st_dev != st.st_dev || parent.st_ino == st.st_ino;
}

static void mount_if_absent(const char *src, const char *target, const char *type, long magic,
                            unsigned long flags, const char *data) {
        if (is_mounted(target, magic))
                return;
        if (mkdir(target, 0755) < 0 && errno != EEXIST)
                log_warn("mkdir %s: %m", target);
        if (mount(src, target, type, flags, data) < 0)
                log_warn("mount %s on %s: %m", type, target);
}

void appliance_mount_early(void) {
        const unsigned long nse = MS_NOSUID | MS_NODEV | MS_NOEXEC;
        mount_if_absent("proc", "/proc", "proc", PROC_SUPER_MAGIC, nse, NULL);
        mount_if_absent("sysfs", "/sys", "sysfs", SYSFS_MAGIC, nse, NULL);
        mount_if_absent("devtmpfs", "/dev", "devtmpfs", TMPFS_MAGIC, MS_NOSUID, "mode=0755");
        mount_if_absent("devpts", "/dev/pts", "devpts", DEVPTS_SUPER_MAGIC, MS_NOSUID | MS_NOEXEC,
                        "gid=5,mode=0620,ptmxmode=0666");
        mount_if_absent("tmpfs", "/dev/shm", "tmpfs", TMPFS_MAGIC, MS_NOSUID | MS_NODEV, "mode=1777");
        mount_if_absent("tmpfs", "/run", "tmpfs", TMPFS_MAGIC, MS_NOSUID | MS_NODEV, "mode=0755");
        mount_if_absent("cgroup2", "/sys/fs/cgroup", "cgroup2", CGROUP2_SUPER_MAGIC, nse, "nsdelegate");
        /* Ctrl-Alt-Del then sends SIGINT to PID 1, which reboots in order. */
        if (reboot(RB_DISABLE_CAD) < 0)
                log_debug("reboot(RB_DISABLE_CAD): %m");
}

int appliance_unmount_order(char *mountinfo, char ***ret, size_t *ret_n) {
        _cleanup_free_ char **v = NULL;
        size_t n = 0, cap = 0;
        for (char *save, *line = strtok_r(mountinfo, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *mp = mountinfo_mount_point(line);
                if (!mp || streq(mp, "/"))
                        continue;
                char **nv = grow_array(v, &cap, n + 1, sizeof *nv, 64);
                if (!nv)
                        return -ENOMEM;
                v = nv;
                v[n++] = mp;
        }
        /* mountinfo lists parents before children: reversing it unmounts
         * children first. */
        for (size_t i = 0; i < n / 2; i++) {
                char *t = v[i];
                v[i] = v[n - 1 - i];
                v[n - 1 - i] = t;
        }
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

/* Where mountinfo is read from: it stays mounted to the end (a proc
 * file system holds no data to lose). */
#define KEPT_MOUNT "/proc"

/* One pass: try every mount point once; returns how many went. */
static size_t unmount_pass(const struct unmount_ops *ops, bool *ret_read) {
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ char **mps = NULL;
        size_t n = 0, done = 0;
        *ret_read = ops->read_mountinfo(ops->ud, &text) >= 0 && appliance_unmount_order(text, &mps, &n) >= 0;
        for (size_t i = 0; *ret_read && i < n; i++)
                if (!streq(mps[i], KEPT_MOUNT) && ops->unmount(ops->ud, mps[i]) >= 0)
                        done++;
        return done;
}

void appliance_unmount_all(const struct unmount_ops *ops, struct unmount_report *ret) {
        struct unmount_report rep = {0};
        /* A mount that is busy only because of another one above it (a
         * bind of a directory below it, a mount moved) goes in a later
         * pass: repeat while a pass gets anything done. */
        for (bool read_ok = true; read_ok;) {
                size_t done = unmount_pass(ops, &read_ok);
                rep.passes++;
                rep.unmounted += done;
                if (done == 0)
                        break;
        }
        /* What stays is busy (or the root): read-only, so that nothing is
         * left half-written when reboot(2) cuts the power. */
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ char **mps = NULL;
        size_t n = 0;
        if (ops->read_mountinfo(ops->ud, &text) >= 0 && appliance_unmount_order(text, &mps, &n) >= 0) {
                for (size_t i = 0; i < n; i++) {
                        if (streq(mps[i], KEPT_MOUNT))
                                continue;
                        rep.busy++;
                        rep.remounted += ops->remount_ro(ops->ud, mps[i]) >= 0;
                }
        }
        rep.root_ro = ops->remount_ro(ops->ud, "/") >= 0;
        *ret = rep;
}

/* Reap until no child is left (ECHILD) or the deadline passes.  This runs
 * after the event loop has ended, so it is the only reaper left. */
static bool reap_all_until(uint64_t deadline) {
        sigset_t chld;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        sigprocmask(SIG_BLOCK, &chld, NULL);
        for (;;) {
                pid_t p;
                while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
                        ;
                if (p < 0 && errno == ECHILD)
                        return true;
                uint64_t now = now_ms();
                if (now >= deadline)
                        return false;
                uint64_t left = deadline - now;
                struct timespec ts = { .tv_sec = (time_t)(left / 1000), .tv_nsec = (long)(left % 1000) * 1000000 };
                sigtimedwait(&chld, NULL, &ts);
        }
}

static void kill_everything(void) {
        /* kill(-1) reaches every process but ourselves; in the initial PID
         * namespace every one of them is our descendant, so ECHILD means
         * none is left. */
        kill(-1, SIGTERM);
        kill(-1, SIGCONT);
        if (reap_all_until(now_ms() + 2000))
                return;
        kill(-1, SIGKILL);
        reap_all_until(now_ms() + 2000);
}

static int read_mountinfo(void *ud, char **ret) {
        (void)ud;
        /* However many mounts there are: a megabyte a thousand lines. */
        return read_file_at(AT_FDCWD, "/proc/self/mountinfo", (size_t)1 << 30, ret, NULL);
}

static int unmount_one(void *ud, const char *path) {
        (void)ud;
        if (umount2(path, UMOUNT_NOFOLLOW) == 0)
                return 0;
        log_debug("umount %s: %m", path);
        return -errno;
}

/* The superblock itself (no MS_BIND), so its data is flushed and stays
 * consistent; a mount that is busy for writing refuses (EBUSY). */
static int remount_ro(void *ud, const char *path) {
        (void)ud;
        struct statvfs sv;
        if (mount(NULL, path, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0 || statvfs(path, &sv) < 0 ||
            !(sv.f_flag & ST_RDONLY)) {
                log_warn("%s: still mounted and not read-only: %m", path);
                return -errno;
        }
        if (!streq(path, "/"))
                log_info("%s: busy, remounted read-only", path);
        return 0;
}

static void unmount_all(void) {
        const struct unmount_ops ops = { read_mountinfo, unmount_one, remount_ro, NULL };
        struct unmount_report rep;
        appliance_unmount_all(&ops, &rep);
        log_info("unmounted %zu file systems in %zu passes; %zu busy, %zu of them remounted read-only; "
                 "/ %s",
                 rep.unmounted, rep.passes, rep.busy, rep.remounted, rep.root_ro ? "read-only" : "still writable");
}

_Noreturn void appliance_finish(enum appliance_action a) {
        log_info("%s", a == ACTION_REBOOT ? "rebooting" : a == ACTION_HALT ? "halting" : "powering off");
        kill_everything();
        sync();
        unmount_all();
        sync();
        int how = a == ACTION_REBOOT ? RB_AUTOBOOT : a == ACTION_HALT ? RB_HALT_SYSTEM : RB_POWER_OFF;
        reboot(how);
        /* reboot(2) returned: nothing else to do but stay PID 1. */
        log_error("reboot(2): %m");
        for (;;)
                pause();
}
