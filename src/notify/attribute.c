/* Who may speak for a service over the notify socket (SPEC 2
 * notify_access, SPEC 10): a pure decision over facts the supervisor
 * gathered about the sender.  Only exact matches count: the sender's pid
 * is a service's main process, or its cgroup path is a service's leaf, or
 * (without cgroups) a service's main process is one of its ancestors. */
#include "notify.h"
#include "util.h"

/* The service whose main process the sender is, or -1.  A service's
 * command in its own PID namespace is the child of the namespace's init,
 * which corral tracks as the main process: that child counts as main. */
static ssize_t as_main(const struct notify_target *t, size_t n, const struct notify_sender *snd) {
        for (size_t i = 0; i < n; i++) {
                if (t[i].main_pid <= 0)
                        continue;
                if (snd->pid == t[i].main_pid)
                        return (ssize_t)i;
                if (t[i].main_is_ns_init && snd->n_ancestors > 0 && snd->ancestors[0] == t[i].main_pid)
                        return (ssize_t)i;
        }
        return -1;
}

/* The service the sender is a process of (but not its main one), or -1. */
static ssize_t as_member(const struct notify_target *t, size_t n, const struct notify_sender *snd) {
        for (size_t i = 0; i < n; i++) {
                if (t[i].main_pid <= 0)
                        continue;
                if (t[i].leaf) {
                        if (snd->cgroup && streq(snd->cgroup, t[i].leaf))
                                return (ssize_t)i;
                        continue;
                }
                for (size_t a = 0; a < snd->n_ancestors; a++)
                        if (snd->ancestors[a] == t[i].main_pid)
                                return (ssize_t)i;
        }
        return -1;
}

static ssize_t verdict(const struct notify_target *t, ssize_t i, bool main, enum notify_refusal *why) {
        if (!t[i].notify)
                *why = NOTIFY_REFUSED_NOT_NOTIFY;
        else if (t[i].access == NOTIFY_ACCESS_NONE)
                *why = NOTIFY_REFUSED_NONE;
        else if (!main && t[i].access != NOTIFY_ACCESS_ALL)
                *why = NOTIFY_REFUSED_NOT_MAIN;
        else
                return i;
        return -1;
}

ssize_t notify_attribute(const struct notify_target *t, size_t n, const struct notify_sender *snd,
                         size_t *ret_service, enum notify_refusal *why) {
        *why = NOTIFY_REFUSED_STRANGER;
        *ret_service = SIZE_MAX;
        if (snd->pid <= 0)
                return -1;
        ssize_t i = as_main(t, n, snd);
        bool main = i >= 0;
        if (!main)
                i = as_member(t, n, snd);
        if (i < 0)
                return -1;
        *ret_service = (size_t)i;
        return verdict(t, i, main, why);
}

bool notify_wants_cgroup(const struct notify_target *t, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (t[i].main_pid > 0 && t[i].leaf && t[i].notify && t[i].access == NOTIFY_ACCESS_ALL)
                        return true;
        return false;
}

bool notify_wants_ancestors(const struct notify_target *t, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (t[i].main_pid > 0 && t[i].notify &&
                    (t[i].main_is_ns_init || (!t[i].leaf && t[i].access == NOTIFY_ACCESS_ALL)))
                        return true;
        return false;
}
