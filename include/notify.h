/* sd_notify(3) protocol, both ways.
 *
 * Downward: corral serves NOTIFY_SOCKET (a datagram socket in RUN_DIR) for
 * services of type "notify".  Each message carries the sender's credentials
 * (SO_PASSCRED), so the supervisor maps it to a service by pid or cgroup,
 * and a child of the service may notify on its behalf.
 *
 * Upward: when corral itself was started with NOTIFY_SOCKET (systemd
 * Type=notify, podman --sdnotify=container), it reports READY=1 and
 * STOPPING=1 there. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

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

struct notify_server;
/* Bind a datagram socket at path (replacing a stale one), mode 0600. */
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
