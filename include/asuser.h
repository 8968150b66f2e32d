/* Opening a file with another user's rights, for paths that user may
 * change: corral running as root must not follow them with root's rights
 * (SPEC 10). */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Whose rights: a uid, a gid and supplementary groups. */
struct asuser_ids {
        uid_t uid;
        gid_t gid;
        const gid_t *groups;
        size_t n_groups;
};

/* open(path, flags, mode) in a short-lived child process that first takes
 * ids (setgroups, setresgid, setresuid: no capability is left to it) and
 * hands the fd back over a socket (SCM_RIGHTS): the open reaches exactly
 * what a process of that user could.  O_CLOEXEC, O_NOCTTY and O_NONBLOCK
 * are added to flags, the last so that a FIFO without reader or a device
 * cannot make the open wait (clear it on the fd if writes must block).  The
 * caller waits at most timeout_ms for the child, which is then killed:
 * -ETIMEDOUT (a child that does not die at once is left to the process's
 * reaper of every child).  Otherwise the child is reaped here, by its pid.
 * Returns 0 and *ret_fd (>= 3, CLOEXEC), or the open's -errno (or -errno of
 * fork, setting the ids, passing the fd). */
int asuser_open(const char *path, int flags, mode_t mode, const struct asuser_ids *ids, int timeout_ms,
                int *ret_fd);
