/* corral as the real PID 1 of a machine (SPEC 7): the early mounts, the
 * signals that mean poweroff, reboot and halt, and the final steps after
 * every service stopped: kill what is left, sync, unmount (and remount
 * read-only what stays busy), reboot(2). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum appliance_action { ACTION_NONE, ACTION_POWEROFF, ACTION_REBOOT, ACTION_HALT };
const char *appliance_action_to_string(enum appliance_action a);

/* What a signal asks of a machine's init: SIGTERM and SIGUSR2 power off,
 * SIGINT (also Ctrl-Alt-Del) reboots, SIGUSR1 halts; others: ACTION_NONE. */
enum appliance_action appliance_action_for_signal(int sig);

/* Mount /proc, /sys, /dev (devtmpfs, with /dev/pts and /dev/shm), /run and
 * cgroup2 on /sys/fs/cgroup where nothing is mounted yet; let Ctrl-Alt-Del
 * send SIGINT instead of rebooting at once.  Failures are logged, not fatal:
 * the machine must come up as far as it can. */
void appliance_mount_early(void);

/* Mount points of mountinfo text in the order to unmount them: deepest and
 * latest first, "/" left out, however many there are.  *ret (free it) holds
 * *ret_n pointers into mountinfo, which is modified.  0 or -ENOMEM. */
int appliance_unmount_order(char *mountinfo, char ***ret, size_t *ret_n);

/* The last unmounting, with the system calls behind a seam for tests. */
struct unmount_ops {
        int (*read_mountinfo)(void *ud, char **ret); /* allocated text; -errno */
        int (*unmount)(void *ud, const char *path);  /* 0, or -errno (EBUSY) */
        int (*remount_ro)(void *ud, const char *path);
        void *ud;
};
struct unmount_report {
        size_t unmounted; /* in every pass */
        size_t passes;    /* the last one unmounted nothing (or mountinfo could not be read) */
        size_t busy;      /* left mounted, "/" aside */
        size_t remounted; /* of those, remounted read-only */
        bool root_ro;     /* "/" remounted read-only */
};
/* Unmount in passes, each over the whole current mountinfo (children
 * first), until a pass unmounts nothing; then remount read-only what is
 * left, deepest first, and "/" last.  /proc, where mountinfo is read, is
 * left mounted. */
void appliance_unmount_all(const struct unmount_ops *ops, struct unmount_report *ret);

/* Kill every remaining process, sync, unmount (or remount read-only what
 * stays busy) and reboot(2) as asked.  Never returns. */
_Noreturn void appliance_finish(enum appliance_action a);
