/* Where corral runs, from the facts it can gather (pid1_role_of), /proc or
 * no /proc. */
#include <errno.h>

#include "pid1.h"
#include "tap.h"

#define INIT_INO 0xEFFFFFFCUL

int main(void) {
        struct pid1_facts f = { .pid = 42 };
        ok(pid1_role_of(&f) == PID1_CHILD, "not PID 1: a child (subreaper)");
        f = (struct pid1_facts){ .pid = 1, .ns_ino = INIT_INO };
        ok(pid1_role_of(&f) == PID1_MACHINE, "PID 1 of the initial PID namespace: the machine's init");
        f = (struct pid1_facts){ .pid = 1, .ns_ino = 4026532300UL };
        ok(pid1_role_of(&f) == PID1_CONTAINER, "PID 1 of another PID namespace: a container's");
        f = (struct pid1_facts){ .pid = 1, .cad_err = 0 };
        ok(pid1_role_of(&f) == PID1_MACHINE, "no /proc, reboot(2) obeys: the machine's init");
        f = (struct pid1_facts){ .pid = 1, .cad_err = -EINVAL };
        ok(pid1_role_of(&f) == PID1_CONTAINER, "no /proc, reboot(2) says EINVAL (another PID namespace): a container's");
        f = (struct pid1_facts){ .pid = 1, .cad_err = -EPERM };
        ok(pid1_role_of(&f) == PID1_CONTAINER, "no /proc, reboot(2) says EPERM (no CAP_SYS_BOOT): a container's");
        f = (struct pid1_facts){ .pid = 7, .cad_err = 0 };
        ok(pid1_role_of(&f) == PID1_CHILD, "not PID 1, whatever reboot(2) would say");
        return done_testing();
}
