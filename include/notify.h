/* sd_notify(3) protocol, both ways.
 *
 * Downward: corral serves NOTIFY_SOCKET (a datagram socket in RUN_DIR) for
 * services of type "notify".  Each message carries the sender's credentials
 * (SO_PASSCRED), so the supervisor maps it to a service by exact pid or
 * cgroup path (notify_attribute()) under the service's notify_access.
 *
 * Upward: when corral itself was started with NOTIFY_SOCKET (systemd
 * Type=notify, podman --sdnotify=container), it reports READY=1 and
 * STOPPING=1 there. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "model.h"

#define NOTIFY_MAX_MESSAGE 4096
/* The largest pid_max a kernel accepts (PID_MAX_LIMIT on 64-bit). */
#define NOTIFY_PID_MAX (4 * 1024 * 1024)

struct notify_msg {
        pid_t pid; /* sender, from SCM_CREDENTIALS */
        uid_t uid;
        bool ready, stopping, reloading, watchdog, watchdog_trigger;
        pid_t mainpid;    /* 0 when not given */
        char status[256]; /* STATUS=, empty when not given */
};

/* Parse the newline-separated KEY=VALUE assignments of one datagram.
 * Unknown keys are ignored, as sd_notify(3) asks.  MAINPID= is kept only
 * when it is decimal digits naming a pid the kernel could hand out (1 to
 * /proc/sys/kernel/pid_max - 1); otherwise mainpid stays 0.  STATUS= is
 * cut to fit status, with each control byte (ESC, BS, CR...) made '?'. */
int notify_parse(const char *buf, size_t len, struct notify_msg *ret);

/* Attribution of a datagram to a service (SPEC 10).  The supervisor
 * describes each service as a target and the sender by what the kernel and
 * /proc say of it; notify_attribute() decides, touching nothing. */
struct notify_target {
        pid_t main_pid;         /* its tracked main process, 0: none runs */
        bool main_is_ns_init;   /* main_pid is the init of the service's own PID
                                   namespace: its child (the command) counts as main */
        const char *leaf;       /* its leaf cgroup, relative to corral's cgroup root;
                                   NULL when it runs without cgroups */
        enum notify_access access;
        bool notify;            /* of type notify */
};
struct notify_sender {
        pid_t pid;              /* SCM_CREDENTIALS, in corral's PID namespace */
        const char *cgroup;     /* its cgroup relative to corral's cgroup root, "" when
                                   outside it, NULL when not read */
        const pid_t *ancestors; /* its parent, grandparent, ... as far as read */
        size_t n_ancestors;
};
enum notify_refusal {
        NOTIFY_REFUSED_STRANGER,   /* no process of any service */
        NOTIFY_REFUSED_NOT_MAIN,   /* a process of the service, notify_access "main" */
        NOTIFY_REFUSED_NONE,       /* notify_access "none" */
        NOTIFY_REFUSED_NOT_NOTIFY, /* the service is not of type notify */
};
/* The index of the target the sender may speak for, or -1 with *why set.
 * *ret_service is the service the sender belongs to (SIZE_MAX: none), also
 * when it may not speak for it.  Exact matches only: a pid equal to a main
 * process (or the command under a namespace's init), a cgroup path equal to
 * a leaf, or, for a target without a leaf, a main process among the
 * ancestors. */
ssize_t notify_attribute(const struct notify_target *t, size_t n, const struct notify_sender *snd,
                         size_t *ret_service, enum notify_refusal *why);
/* Whether a sender that is no main process needs its cgroup read (some
 * running target with a leaf has notify_access "all"), or its ancestors (a
 * target under a namespace's init, or without a leaf and with "all"). */
bool notify_wants_cgroup(const struct notify_target *t, size_t n);
bool notify_wants_ancestors(const struct notify_target *t, size_t n);

struct notify_server;
/* Bind a datagram socket at path (replacing a stale one), mode 0666:
 * services of any user and user namespace reach it; what a datagram may do
 * is decided by attribution, not by access to the socket. */
int notify_server_open(const char *path, struct notify_server **ret);
int notify_server_fd(const struct notify_server *s);
const char *notify_server_path(const struct notify_server *s);
/* Receive one pending message without blocking: 1 with *ret filled, 0 when
 * none is pending, -errno on failure.  Messages without credentials or with
 * passed fds are dropped (fds closed). */
int notify_server_recv(struct notify_server *s, struct notify_msg *ret);
void notify_server_close(struct notify_server *s);

/* Take NOTIFY_SOCKET out of corral's environment (services must not see the
 * outer manager's socket) and remember it for notify_outer(). */
void notify_outer_init(void);
/* Send state ("READY=1", "STOPPING=1") to corral's own manager if
 * NOTIFY_SOCKET was set before notify_outer_init(); a no-op otherwise.  Never
 * blocks: when the manager's socket buffer is full the report is dropped (a
 * debug line) and 0 is returned.  Other failures: -errno. */
int notify_outer(const char *state);
