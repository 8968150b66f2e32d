/* The control socket of corral: non-blocking, driven by one epoll fd that
 * corral's event loop watches (so this file needs no event library).  The
 * epoll set holds the listening socket, a timerfd for idle connections and
 * every connection, each known by its index in a table that grows up to
 * CTL_MAX_CONNS. */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>

#include "control.h"
#include "log.h"
#include "util.h"

enum conn_phase { PHASE_FREE, PHASE_READ, PHASE_OUT, PHASE_ERR, PHASE_EXIT, PHASE_DONE };

/* What an epoll event is about, beside connection i (i + 1). */
#define EV_LISTEN 0
#define EV_TIMER UINT64_MAX

struct conn {
        int fd;
        enum conn_phase phase;
        struct ctl_reply reply;
        size_t off;
        uint64_t active_ms; /* last progress: accepted, read, written */
};

struct ctl_server {
        int listen_fd, epfd, timer_fd;
        char *path;
        ctl_handler handler;
        void *userdata;
        uid_t uid;
        uint32_t idle_ms;
        bool timer_armed;
        char *buf; /* one request at a time */
        char **words;
        struct conn *conns;
        size_t n_conns, cap_conns; /* slots in use or free, and allocated */
};

static void conn_close(struct ctl_server *s, struct conn *c) {
        if (c->phase == PHASE_FREE)
                return;
        epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        safe_close(c->fd);
        ctl_reply_free(&c->reply);
        *c = (struct conn){ .fd = -1 };
}

static uint64_t conn_tag(const struct ctl_server *s, const struct conn *c) {
        return (uint64_t)(c - s->conns) + 1;
}

/* Send the next packets of a reply; returns 1 when all is sent, 0 when the
 * socket is full, -errno on failure. */
static int send_packets(int fd, const struct ctl_reply *r, enum conn_phase *phase, size_t *off, int flags) {
        char pkt[CTL_PACKET + 1];
        for (;;) {
                size_t n;
                if (*phase == PHASE_OUT || *phase == PHASE_ERR) {
                        const char *src = *phase == PHASE_OUT ? r->out : r->err;
                        size_t len = *phase == PHASE_OUT ? r->out_len : r->err_len;
                        if (*off >= len) {
                                (*phase)++;
                                *off = 0;
                                continue;
                        }
                        n = len - *off < CTL_PACKET ? len - *off : CTL_PACKET;
                        pkt[0] = *phase == PHASE_OUT ? 'o' : 'e';
                        memcpy(pkt + 1, src + *off, n);
                        n++;
                } else if (*phase == PHASE_EXIT) {
                        n = (size_t)snprintf(pkt, sizeof pkt, "x%d", r->oom ? CTL_EXIT_FAIL : r->status);
                } else
                        return 1;
                ssize_t k = send(fd, pkt, n, MSG_NOSIGNAL | flags);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EAGAIN ? 0 : -errno;
                }
                if (*phase == PHASE_EXIT)
                        *phase = PHASE_DONE;
                else
                        *off += n - 1;
        }
}

static void conn_flush(struct ctl_server *s, struct conn *c) {
        enum conn_phase before = c->phase;
        size_t off = c->off;
        int r = send_packets(c->fd, &c->reply, &c->phase, &c->off, MSG_DONTWAIT);
        if (c->phase != before || c->off != off)
                c->active_ms = now_ms();
        if (r != 0) {
                conn_close(s, c);
                return;
        }
        struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = conn_tag(s, c) };
        epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

void ctl_send_reply(int conn_fd, const struct ctl_reply *r) {
        enum conn_phase phase = PHASE_OUT;
        size_t off = 0;
        /* Never waits: nothing was sent on this connection before, so a
         * small answer fits unless the client fills its own queue, and such
         * a client goes without. */
        (void)send_packets(conn_fd, r, &phase, &off, MSG_DONTWAIT);
        close(conn_fd);
}

static bool peer_allowed(const struct ctl_server *s, int fd) {
        struct ucred cred;
        socklen_t len = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return false;
        return cred.uid == 0 || cred.uid == s->uid;
}

static void take_fds(struct msghdr *mh, int fds[3]) {
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
                if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                int *p = (int *)CMSG_DATA(cm);
                for (size_t i = 0; i < n; i++) {
                        if (i < 3 && fds[i] < 0)
                                fds[i] = p[i];
                        else
                                close(p[i]);
                }
        }
}

static void serve_request(struct ctl_server *s, struct conn *c) {
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(3 * sizeof(int))];
        } cbuf;
        struct iovec iov = { .iov_base = s->buf, .iov_len = CTL_MAX_REQUEST };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
                             .msg_controllen = sizeof cbuf.buf };
        ssize_t n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        int fds[3] = { -1, -1, -1 };
        /* An empty packet may carry fds too: they are ours to close. */
        if (n >= 0)
                take_fds(&mh, fds);
        if (n <= 0) {
                for (int i = 0; i < 3; i++)
                        safe_close(fds[i]);
                conn_close(s, c);
                return;
        }
        struct ctl_request req;
        const char *why = NULL;
        struct ctl_reply *reply = &c->reply;
        /* The request is read even from a refused peer: closing a socket
         * with unread data would reset the connection and lose the answer. */
        if (!peer_allowed(s, c->fd)) {
                why = "permission denied";
                reply->status = CTL_EXIT_DENIED;
        } else if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
                why = "request too large";
        else if (ctl_request_parse(s->buf, (size_t)n, &req, s->words, CTL_MAX_WORDS + 1, &why) >= 0)
                why = NULL;
        if (why) {
                ctl_err(reply, "corral: %s\n", why);
                if (!reply->status)
                        reply->status = CTL_EXIT_USAGE;
        } else {
                memcpy(req.fds, fds, sizeof fds);
                s->handler(s->userdata, &req, reply, c->fd);
                memcpy(fds, req.fds, sizeof fds);
        }
        for (int i = 0; i < 3; i++)
                safe_close(fds[i]);
        if (reply->deferred) {
                /* The handler owns the fd now. */
                epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
                ctl_reply_free(reply);
                *c = (struct conn){ .fd = -1 };
                return;
        }
        c->phase = PHASE_OUT;
        c->active_ms = now_ms();
        conn_flush(s, c);
}

/* Close connections without progress for idle_ms; arm the timer for the
 * next one due, or disarm it when none is left. */
static void sweep(struct ctl_server *s) {
        uint64_t now = now_ms(), next = 0;
        for (size_t i = 0; i < s->n_conns; i++) {
                struct conn *c = &s->conns[i];
                if (c->phase == PHASE_FREE)
                        continue;
                uint64_t due = c->active_ms + s->idle_ms;
                if (due <= now) {
                        conn_close(s, c);
                        continue;
                }
                if (next == 0 || due < next)
                        next = due;
        }
        struct itimerspec its = { 0 };
        if (next) {
                uint64_t left = next - now;
                its.it_value = (struct timespec){ .tv_sec = (time_t)(left / 1000),
                                                  .tv_nsec = (long)(left % 1000) * 1000000L };
        }
        s->timer_armed = next != 0 && timerfd_settime(s->timer_fd, 0, &its, NULL) == 0;
        if (!next)
                (void)timerfd_settime(s->timer_fd, 0, &its, NULL);
}

static void on_timer(struct ctl_server *s) {
        uint64_t ticks;
        (void)!read(s->timer_fd, &ticks, sizeof ticks);
        sweep(s);
}

/* A slot for a new connection: a free one, a new one while the table may
 * grow, else the one that has waited longest for its request (an idle
 * client gives way to a new one); NULL when every slot is busy answering. */
static struct conn *conn_slot(struct ctl_server *s) {
        struct conn *oldest = NULL;
        for (size_t i = 0; i < s->n_conns; i++) {
                struct conn *c = &s->conns[i];
                if (c->phase == PHASE_FREE)
                        return c;
                if (c->phase == PHASE_READ && (!oldest || c->active_ms < oldest->active_ms))
                        oldest = c;
        }
        if (s->n_conns < CTL_MAX_CONNS) {
                struct conn *v = grow_array(s->conns, &s->cap_conns, s->n_conns + 1, sizeof *v, 16);
                if (v) {
                        s->conns = v;
                        s->conns[s->n_conns] = (struct conn){ .fd = -1 };
                        return &s->conns[s->n_conns++];
                }
        }
        if (oldest)
                conn_close(s, oldest);
        return oldest;
}

static void accept_all(struct ctl_server *s) {
        for (;;) {
                int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        return;
                }
                struct conn *c = conn_slot(s);
                if (!c) {
                        close(fd);
                        continue;
                }
                *c = (struct conn){ .fd = fd, .phase = PHASE_READ, .active_ms = now_ms() };
                struct epoll_event ev = { .events = EPOLLIN, .data.u64 = conn_tag(s, c) };
                if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                        close(fd);
                        *c = (struct conn){ .fd = -1 };
                        continue;
                }
                if (!s->timer_armed)
                        sweep(s);
        }
}

void ctl_server_dispatch(struct ctl_server *s) {
        struct epoll_event evs[16];
        int n;
        while ((n = epoll_wait(s->epfd, evs, ARRAY_SIZE(evs), 0)) > 0) {
                for (int i = 0; i < n; i++) {
                        uint64_t tag = evs[i].data.u64;
                        if (tag == EV_LISTEN) {
                                accept_all(s);
                                continue;
                        }
                        if (tag == EV_TIMER) {
                                on_timer(s);
                                continue;
                        }
                        /* The table may have grown (moved) since epoll_wait:
                         * look the connection up by its index. */
                        if (tag - 1 >= s->n_conns)
                                continue;
                        struct conn *c = &s->conns[tag - 1];
                        if (c->phase == PHASE_READ)
                                serve_request(s, c);
                        else if (c->phase != PHASE_FREE)
                                conn_flush(s, c);
                }
                if (n < (int)ARRAY_SIZE(evs))
                        break;
        }
}

static int bind_socket(int fd, const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
                unlink(path);
        /* Created 0600 from the start: no window where others may connect. */
        mode_t old = umask(0177);
        int r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
        umask(old);
        /* As deep as the kernel allows (net.core.somaxconn): a burst of
         * clients waits there instead of being turned away. */
        if (r < 0 || listen(fd, SOMAXCONN) < 0)
                return -errno;
        return 0;
}

int ctl_server_open(const char *path, ctl_handler handler, void *userdata, struct ctl_server **ret) {
        struct ctl_server *s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->listen_fd = s->epfd = s->timer_fd = -1;
        s->handler = handler;
        s->userdata = userdata;
        s->uid = geteuid();
        s->idle_ms = CTL_IDLE_TIMEOUT_MS;
        int r = -ENOMEM;
        s->path = strdup(path);
        s->buf = malloc(CTL_MAX_REQUEST);
        s->words = calloc(CTL_MAX_WORDS + 1, sizeof(char *));
        if (!s->path || !s->buf || !s->words)
                goto fail;
        s->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        s->epfd = epoll_create1(EPOLL_CLOEXEC);
        s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (s->listen_fd < 0 || s->epfd < 0 || s->timer_fd < 0) {
                r = -errno;
                goto fail;
        }
        r = bind_socket(s->listen_fd, path);
        if (r < 0)
                goto fail;
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = EV_LISTEN };
        struct epoll_event tev = { .events = EPOLLIN, .data.u64 = EV_TIMER };
        if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->listen_fd, &ev) < 0 ||
            epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->timer_fd, &tev) < 0) {
                r = -errno;
                goto fail;
        }
        *ret = s;
        return 0;
fail:
        safe_close(s->listen_fd);
        safe_close(s->epfd);
        safe_close(s->timer_fd);
        free(s->path);
        free(s->buf);
        free(s->words);
        free(s);
        return r;
}

int ctl_server_fd(const struct ctl_server *s) {
        return s->epfd;
}

void ctl_server_set_idle_timeout(struct ctl_server *s, uint32_t ms) {
        s->idle_ms = ms ? ms : 1;
        sweep(s);
}

size_t ctl_server_connections(const struct ctl_server *s) {
        size_t n = 0;
        for (size_t i = 0; i < s->n_conns; i++)
                n += s->conns[i].phase != PHASE_FREE;
        return n;
}

void ctl_server_close(struct ctl_server *s) {
        if (!s)
                return;
        for (size_t i = 0; i < s->n_conns; i++)
                conn_close(s, &s->conns[i]);
        safe_close(s->listen_fd);
        safe_close(s->epfd);
        safe_close(s->timer_fd);
        unlink(s->path);
        free(s->path);
        free(s->buf);
        free(s->words);
        free(s->conns);
        free(s);
}
