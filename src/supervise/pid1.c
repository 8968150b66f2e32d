#include <signal.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>

#include "log.h"
#include "pid1.h"
#include "sigpolicy.h"
#include "spawn.h"

/* include/linux/proc_ns.h: the inode of the initial PID namespace. */
#define PROC_PID_INIT_INO 0xEFFFFFFCU

enum pid1_role pid1_role_of(const struct pid1_facts *f) {
        if (f->pid != 1)
                return PID1_CHILD;
        if (f->ns_ino)
                return f->ns_ino == PROC_PID_INIT_INO ? PID1_MACHINE : PID1_CONTAINER;
        return f->cad_err == 0 ? PID1_MACHINE : PID1_CONTAINER;
}

enum pid1_role pid1_detect(void) {
        struct pid1_facts f = { .pid = getpid() };
        struct stat st;
        if (f.pid == 1 && stat("/proc/self/ns/pid", &st) == 0)
                f.ns_ino = (unsigned long)st.st_ino;
        else if (f.pid == 1)
                f.cad_err = reboot(RB_DISABLE_CAD) < 0 ? -errno : 0;
        return pid1_role_of(&f);
}

int pid1_setup(enum pid1_role role) {
        /* A console whose reader went away must give EPIPE, not kill PID 1.
         * Services start with default dispositions again (spawn resets them). */
        signal(SIGPIPE, SIG_IGN);
        for (size_t i = 0; i < ARRAY_SIZE(sig_policy_ignored); i++)
                signal(sig_policy_ignored[i], SIG_IGN);
        spawn_signals_changed();
        if (role != PID1_CHILD)
                return 0;
        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
                int r = -errno;
                log_warn("cannot become a child subreaper (%s): orphans of services will not be reaped by corral",
                         strerror(-r));
                return r;
        }
        return 0;
}

void pid1_exit(enum pid1_role role, int code) {
        if (role != PID1_MACHINE)
                exit(code);
        log_info("every service stopped: powering off (status %d)", code);
        sync();
        if (reboot(RB_POWER_OFF) < 0)
                log_error("power off: %s", strerror(errno));
        for (;;)
                pause();
}
