/* Process-1 duties that depend on where corral runs: PID 1 of a container,
 * the real init of a machine, or a process under another manager. */
#pragma once

#include <stdbool.h>

#include "util.h"

enum pid1_role {
        PID1_CHILD,     /* not PID 1: becomes a child subreaper */
        PID1_CONTAINER, /* PID 1 of a PID namespace (container, unshare) */
        PID1_MACHINE,   /* PID 1 of the initial PID namespace: the machine's init */
};

/* Where corral runs.  The initial PID namespace has the fixed inode
 * PROC_PID_INIT_INO; without /proc at all, PID 1 is taken as the machine's. */
enum pid1_role pid1_detect(void);

/* Set up what the role needs: PR_SET_CHILD_SUBREAPER when not PID 1 (so
 * orphans of services come back to corral to be reaped), SIGPIPE ignored,
 * SIGTTIN and SIGTTOU ignored (a terminal with tostop never stops corral).
 * Returns 0 or -errno (a failed subreaper call is only a warning). */
int pid1_setup(enum pid1_role role);

/* End corral with code.  The machine's init must never exit (the kernel
 * would panic): it syncs and powers off instead. */
_noreturn_ void pid1_exit(enum pid1_role role, int code);
