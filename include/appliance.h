/* corral as the real PID 1 of a machine (SPEC 7): the early mounts, the
 * signals that mean poweroff, reboot and halt, and the final steps after
 * every service stopped: kill what is left, sync, unmount, reboot(2). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum appliance_action { ACTION_NONE, ACTION_POWEROFF, ACTION_REBOOT, ACTION_HALT };
const char *appliance_action_to_string(enum appliance_action a);

/* PID 1 of the initial PID namespace (not a container's PID 1).  Mounts
 * /proc first when absent, since that is how the namespace is told. */
bool appliance_is_machine_init(void);

/* What a signal asks of a machine's init: SIGTERM and SIGUSR2 power off,
 * SIGINT (also Ctrl-Alt-Del) reboots, SIGUSR1 halts; others: ACTION_NONE. */
enum appliance_action appliance_action_for_signal(int sig);

/* Mount /proc, /sys, /dev (devtmpfs, with /dev/pts and /dev/shm), /run and
 * cgroup2 on /sys/fs/cgroup where nothing is mounted yet; let Ctrl-Alt-Del
 * send SIGINT instead of rebooting at once.  Failures are logged, not fatal:
 * the machine must come up as far as it can. */
void appliance_mount_early(void);

/* Mount points of mountinfo text in the order to unmount them: deepest and
 * latest first, "/" last.  Fills at most max pointers into buf (which is
 * modified); returns the count. */
size_t appliance_unmount_order(char *mountinfo, char **ret, size_t max);

/* Kill every remaining process, sync, unmount (or remount read-only what
 * stays busy) and reboot(2) as asked.  Never returns. */
_Noreturn void appliance_finish(enum appliance_action a);
