/* Readiness reports to the manager that started corral (systemd, podman). */
#include <sys/socket.h>
#include <sys/un.h>

#include "log.h"
#include "notify.h"
#include "util.h"

static char *outer_socket;

void notify_outer_init(void) {
        const char *p = getenv("NOTIFY_SOCKET");
        if (p && *p)
                outer_socket = strdup(p);
        unsetenv("NOTIFY_SOCKET");
}

/* The datagram sd_notify sends: the state text to the socket named by
 * NOTIFY_SOCKET, where a leading '@' means the abstract namespace.  Sent
 * without waiting: a manager that stops reading must not stall corral's
 * loop, so a full socket buffer drops the report (logged at debug level).
 * sd_notify() itself may block there, which is why it is not used. */
int notify_outer(const char *state) {
        const char *path = outer_socket;
        if (!path)
                return 0;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t len = strlen(path);
        if ((path[0] != '/' && path[0] != '@') || len >= sizeof sa.sun_path)
                return -EINVAL;
        memcpy(sa.sun_path, path, len);
        if (path[0] == '@')
                sa.sun_path[0] = '\0';
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
        if (sendto(fd, state, strlen(state), MSG_NOSIGNAL | MSG_DONTWAIT, (struct sockaddr *)&sa, salen) < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                        log_debug("notify %s: the manager's socket is full, report dropped", path);
                        return 0;
                }
                return -errno;
        }
        return 0;
}
