/* Readiness and health probes of a running service.
 *
 * Each tcp or file attempt is a short-lived child that joins the
 * namespaces of the service's process (so 127.0.0.1 is the service's own and
 * paths are seen inside its root) and its cgroup, then does its work; an
 * exec attempt is started by spawn_exec(), as `corralctl exec` is.  Its
 * exit status is the result (0: success); the supervisor reaps it like any
 * other child and kills it, with everything it started, when the attempt
 * outlives its timeout (probe_kill()). */
#pragma once

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "model.h"

/* A probe prepared in the parent: nothing is allocated after fork. */
struct probe_plan {
        enum probe_kind kind;
        struct sockaddr_storage addr; /* tcp */
        socklen_t addr_len;
        const char *file; /* file */
        uint32_t timeout_ms; /* connect timeout of one tcp attempt */
};

/* Parse "HOST:PORT" ("127.0.0.1:80", "[::1]:80", "localhost:80" resolved
 * numerically only: no DNS from PID 1).  -EINVAL when malformed. */
int probe_parse_tcp(const char *hostport, struct sockaddr_storage *ret, socklen_t *ret_len);

/* Fill a plan from a model probe.  -EINVAL on a bad address. */
int probe_plan_init(const struct probe *p, uint32_t attempt_timeout_ms, struct probe_plan *ret);

/* What the child joins: the namespaces of target (a pid, 0 for none) and
 * the cgroup directory cgroup_fd (-1 for none). */
struct enter_target {
        pid_t pid;
        int cgroup_fd;
        bool set_ids;
        uid_t uid;
        gid_t gid;
};

/* Start one tcp or file probe attempt (-EINVAL for exec probes, which
 * spawn_exec() starts as the service runs); returns its pid or -errno.
 * The attempt leads a process group of its own, which holds everything it
 * starts.  A file probe looks with the target's uid and gid when set_ids. */
pid_t probe_start(const struct probe_plan *p, const struct enter_target *t);

/* SIGKILL a probe attempt (or any child leading a process group or session
 * of its own: an exec probe's command, a corralctl exec command) with
 * every process of its group: the one it forked inside
 * the service's namespaces and whatever an exec probe started.  pid must
 * be a child of the caller not reaped yet, so neither it nor the group
 * named after it can have been reused.  0 or -errno. */
int probe_kill(pid_t pid);

/* In a child: join every namespace of pid that differs from ours, then the
 * cgroup.  Returns 0 or -errno.  Joining a PID namespace affects children
 * only: callers fork once more after it (done by probe_start()). */
int enter_join(const struct enter_target *t);
