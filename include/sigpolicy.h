/* What corral does with each signal it receives (SPEC 7).  Pure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum sig_action {
        SIGACT_NONE,     /* not handled by corral (default or ignored) */
        SIGACT_SHUTDOWN, /* ordered stop of the pod, then exit */
        SIGACT_RELOAD,   /* re-read the config */
        SIGACT_FORWARD,  /* pass to the main service */
};

/* tini_mode: entrypoint command and no config, where there is nothing to
 * reload, so SIGHUP is forwarded too. */
enum sig_action sig_policy(int sig, bool tini_mode);

/* Every signal that gets a handler (sig_policy() != SIGACT_NONE in either
 * mode), ascending.  Returns how many were written (at most max). */
size_t sig_policy_handled(int *ret, size_t max);
