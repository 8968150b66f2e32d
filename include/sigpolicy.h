/* What corral does with each signal it receives (SPEC 7).  Pure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum sig_action {
        SIGACT_NONE,     /* not handled by corral (default or ignored) */
        SIGACT_SHUTDOWN, /* ordered stop of the pod, then exit (a machine: power off, reboot, halt) */
        SIGACT_RELOAD,   /* re-read the config */
        SIGACT_FORWARD,  /* pass to the main service */
};

enum sig_mode {
        SIGMODE_POD,     /* PID 1 of a container, or under another manager */
        SIGMODE_TINI,    /* `-- COMMAND` without config: every catchable signal, every time, to the command */
        SIGMODE_MACHINE, /* the machine's init: SIGTERM, SIGUSR2, SIGINT and SIGUSR1 end the machine */
};

enum sig_action sig_policy(int sig, enum sig_mode mode);

/* Every signal that gets a handler (sig_policy() != SIGACT_NONE in some
 * mode), ascending.  Returns how many were written (at most max). */
size_t sig_policy_handled(int *ret, size_t max);

/* Signals corral ignores itself, as tini does: SIGTTIN and SIGTTOU, so that
 * a terminal with `tostop` never stops it (its children start with every
 * disposition at its default again). */
extern const int sig_policy_ignored[2];
