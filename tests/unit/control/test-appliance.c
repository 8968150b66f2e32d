/* The pure parts of the machine-init duties: signal meanings and the order
 * in which mounts are taken down. */
#include <signal.h>

#include "appliance.h"
#include "tap.h"
#include "util.h"

int main(void) {
        plan(9);
        is_int(appliance_action_for_signal(SIGTERM), ACTION_POWEROFF, "SIGTERM powers off");
        is_int(appliance_action_for_signal(SIGUSR2), ACTION_POWEROFF, "SIGUSR2 powers off");
        is_int(appliance_action_for_signal(SIGINT), ACTION_REBOOT, "SIGINT reboots");
        is_int(appliance_action_for_signal(SIGUSR1), ACTION_HALT, "SIGUSR1 halts");
        is_int(appliance_action_for_signal(SIGHUP), ACTION_NONE, "SIGHUP is not a power action");
        char mi[] = "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
                    "2 1 0:5 / /proc rw - proc proc rw\n"
                    "3 1 0:6 / /sys rw - sysfs sysfs rw\n"
                    "4 3 0:7 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
                    "5 1 0:8 / /mnt/with\\040space rw - tmpfs tmpfs rw\n";
        _cleanup_free_ char **order = NULL;
        size_t n = 0;
        appliance_unmount_order(mi, &order, &n);
        is_int(n, 4, "every mount but / is taken down");
        is_str(order[0], "/mnt/with space", "latest first, octal escapes decoded");
        is_str(order[1], "/sys/fs/cgroup", "children before parents");
        is_str(order[3], "/proc", "earliest last");
        return done_testing();
}
