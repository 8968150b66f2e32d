/* Process-1 duties that depend on where corral runs: PID 1 of a container,
 * the real init of a machine, or a process under another manager. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "util.h"

enum pid1_role {
        PID1_CHILD,     /* not PID 1: becomes a child subreaper */
        PID1_CONTAINER, /* PID 1 of a PID namespace (container, unshare) */
        PID1_MACHINE,   /* PID 1 of the initial PID namespace: the machine's init */
};

/* The facts the role is decided from.  pid: getpid().  ns_ino: the inode
 * of /proc/self/ns/pid, 0 when /proc is not there to tell.  cad_err: what
 * reboot(RB_DISABLE_CAD) returned (0 or -errno), asked only then: it
 * succeeds in the initial PID namespace alone (EINVAL in any other, EPERM
 * without CAP_SYS_BOOT, which a machine's init never lacks). */
struct pid1_facts {
        pid_t pid;
        unsigned long ns_ino;
        int cad_err;
};

/* Pure: the role the facts say.  The initial PID namespace has the fixed
 * inode PROC_PID_INIT_INO; without /proc, reboot(2) tells. */
enum pid1_role pid1_role_of(const struct pid1_facts *f);

/* Where corral runs, from the live system.  Without /proc, PID 1 asks
 * reboot(RB_DISABLE_CAD), which a machine's init wants anyway (Ctrl-Alt-Del
 * then sends it SIGINT) and which changes nothing in a container. */
enum pid1_role pid1_detect(void);

/* Set up what the role needs: PR_SET_CHILD_SUBREAPER when not PID 1 (so
 * orphans of services come back to corral to be reaped), SIGPIPE ignored,
 * SIGTTIN and SIGTTOU ignored (a terminal with tostop never stops corral).
 * Returns 0 or -errno (a failed subreaper call is only a warning). */
int pid1_setup(enum pid1_role role);

/* End corral with code.  The machine's init must never exit (the kernel
 * would panic): it syncs and powers off instead. */
_noreturn_ void pid1_exit(enum pid1_role role, int code);
