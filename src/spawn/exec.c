/* `corralctl exec`: a command started inside a running service, as the
 * service runs.  Its plan is the service's own (spawn_plan_build(): ids,
 * groups, capabilities, no_new_privs, rlimits, workdir, environment) with
 * an enter step instead of the service's namespace setup: the child joins
 * the namespaces of the service's process that differ from corral's.
 *
 * setns(CLONE_NEWPID) changes only where the caller's children are made
 * (setns(2)), so with a PID namespace to join the child joins it and makes
 * the command with CLONE_PARENT: the command is corral's own child, inside
 * the service's PID namespace (whose init reaps its orphans), reaped like
 * any other, and the child that made it reports its pid and exits.  No
 * thread is needed (one cannot be made where clone3 is refused with
 * anything but ENOSYS), and no process of corral's waits beside it. */
#include <stdio.h>

#include "spawn-internal.h"
#include "util.h"

int spawn_exec(const struct service *s, char **base_env, const char *notify_socket, pid_t pid,
               int cgroup_fd, char *const *argv, const int fds[3], pid_t *ret_pid, int *ret_code,
               char *msg, size_t n) {
        struct spawn_plan p;
        const char *what = NULL;
        int r = spawn_exec_plan_build(s, base_env, notify_socket, argv, fds, pid, cgroup_fd, &p, &what);
        if (r < 0) {
                snprintf(msg, n, "service \"%s\": %s%s%s", s->name, what ? what : "exec: ", what ? ": " : "",
                         strerror(-r));
                *ret_code = 1;
                return r;
        }
        pid_t child = -1;
        int pidfd = -1;
        struct spawn_error e = { .stage = STAGE_NONE, .arg = -1 };
        r = spawn_start(&p, &child, &pidfd, &e);
        if (r == -ECHILD) {
                /* The child exits 127 and is collected as no service's. */
                spawn_error_format(s, &p, &e, msg, n);
                *ret_code = e.stage == STAGE_EXEC ? spawn_exit_code_for_exec_error(e.err) : 1;
        } else if (r < 0) {
                snprintf(msg, n, "service \"%s\": exec: %s", s->name, strerror(-r));
                *ret_code = 1;
        } else {
                /* Its end is learnt from the reaper, by pid. */
                safe_close(pidfd);
                *ret_pid = child;
        }
        spawn_plan_done(&p);
        return r;
}
