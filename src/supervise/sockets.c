/* The run directory and what corral serves there (SPEC 6, 10): the control
 * socket and the notify socket, plus the hooks' event fd, each watched by
 * the loop.  A corral whose sockets cannot be made still supervises. */
#include <sys/socket.h>
#include <sys/un.h>

#include "log.h"
#include "rundir.h"
#include "sup.h"

/* Another corral (same run dir) still serves path: leave it alone rather
 * than take its socket away. */
static bool socket_in_use(const char *path, int type) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof sa.sun_path)
                return false;
        strcpy(sa.sun_path, path);
        _cleanup_close_ int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        return fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
}

static void on_control(void *ud) {
        struct sup *s = ud;
        ctl_server_dispatch(s->ctl);
}

static void open_control(struct sup *s, const char *dir) {
        s->control_path = xasprintf("%s/control", dir);
        if (!s->control_path)
                return;
        int r = 0;
        if (socket_in_use(s->control_path, SOCK_SEQPACKET))
                log_warn("\"%s\": another corral answers there; running without a control socket (use --run-dir)",
                         s->control_path);
        else
                r = ctl_server_open(s->control_path, control_handle, s, &s->ctl);
        if (r < 0)
                log_error("control socket \"%s\": %s", s->control_path, strerror(-r));
        else if (s->ctl) {
                s->ctl_io = loop_io_new(s->loop, ctl_server_fd(s->ctl), on_control, s);
                log_info("control socket %s", s->control_path);
        }
}

static void open_notify(struct sup *s, const char *dir) {
        _cleanup_free_ char *np = xasprintf("%s/notify", dir);
        if (!np)
                return;
        bool want_notify = false;
        for (size_t i = 0; i < s->n; i++)
                want_notify |= s->m->services[i].type == SERVICE_NOTIFY;
        /* Always bound when a run dir exists: a reload may add notify services. */
        if (socket_in_use(np, SOCK_DGRAM)) {
                if (want_notify)
                        log_error("\"%s\": another corral uses it (use --run-dir)", np);
                return;
        }
        int r = notify_server_open(np, &s->notify);
        if (r < 0) {
                if (want_notify)
                        log_error("notify socket \"%s\": %s", np, strerror(-r));
                return;
        }
        s->notify_io = loop_io_new(s->loop, notify_server_fd(s->notify), sdnotify_on_readable, s);
}

static void on_hook_event(void *ud) {
        struct sup *s = ud;
        s->opts->hooks.on_event(s->opts->hooks.ud);
}

void sockets_hook_fd(struct sup *s, int fd) {
        loop_io_free(s->hook_io);
        s->hook_io = NULL;
        if (fd >= 0 && s->opts->hooks.on_event)
                s->hook_io = loop_io_new(s->loop, fd, on_hook_event, s);
}

void sockets_open(struct sup *s) {
        sockets_hook_fd(s, s->opts->hooks.event_fd);
        const char *dir = s->opts->run_dir;
        char why[256];
        if (rundir_prepare(dir, why, sizeof why) < 0) {
                log_error("run directory \"%s\": %s", dir, why);
                return;
        }
        open_control(s, dir);
        open_notify(s, dir);
}

void sockets_close(struct sup *s) {
        loop_io_free(s->hook_io);
        loop_io_free(s->ctl_io);
        ctl_server_close(s->ctl);
        loop_io_free(s->notify_io);
        notify_server_close(s->notify);
        sdnotify_done(s);
        free(s->control_path);
        s->hook_io = s->ctl_io = s->notify_io = NULL;
        s->ctl = NULL;
        s->notify = NULL;
        s->control_path = NULL;
}
