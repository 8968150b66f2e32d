#include <signal.h>

#include "sigpolicy.h"

const int sig_policy_ignored[2] = { SIGTTIN, SIGTTOU };

/* Signals never taken over: SIGKILL and SIGSTOP cannot be; SIGCHLD belongs
 * to the reaper; the synchronous fault signals (SEGV, BUS, ILL, FPE, TRAP,
 * SYS, ABRT) describe corral itself; SIGPIPE is ignored so that a closed
 * console never kills PID 1; SIGTTIN and SIGTTOU are ignored (see
 * sig_policy_ignored). */
static bool never_handled(int sig) {
        switch (sig) {
        case SIGKILL: case SIGSTOP: case SIGCHLD: case SIGSEGV: case SIGBUS:
        case SIGILL: case SIGFPE: case SIGTRAP: case SIGSYS: case SIGABRT:
        case SIGPIPE: case SIGTTIN: case SIGTTOU:
                return true;
        default:
                return false;
        }
}

enum sig_action sig_policy(int sig, enum sig_mode mode) {
        if (sig <= 0 || sig >= NSIG || never_handled(sig))
                return SIGACT_NONE;
        /* glibc reserves the first real-time signals for its threads. */
        if (sig > SIGSYS && sig < SIGRTMIN)
                return SIGACT_NONE;
        if (mode == SIGMODE_TINI)
                return SIGACT_FORWARD; /* there is nothing to stop in order, nor to reload */
        switch (sig) {
        case SIGTERM:
        case SIGINT:
                return SIGACT_SHUTDOWN;
        case SIGUSR1:
        case SIGUSR2:
                return mode == SIGMODE_MACHINE ? SIGACT_SHUTDOWN : SIGACT_FORWARD;
        case SIGHUP:
                return SIGACT_RELOAD;
        default:
                return SIGACT_FORWARD;
        }
}

size_t sig_policy_handled(int *ret, size_t max) {
        size_t n = 0;
        for (int sig = 1; sig < NSIG && n < max; sig++)
                if (sig_policy(sig, SIGMODE_POD) != SIGACT_NONE || sig_policy(sig, SIGMODE_TINI) != SIGACT_NONE ||
                    sig_policy(sig, SIGMODE_MACHINE) != SIGACT_NONE)
                        ret[n++] = sig;
        return n;
}
