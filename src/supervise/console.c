/* The console: one writer to corral's stdout shared by every service whose
 * output is "console".  Lines are queued whole in a bounded circular queue and
 * written without ever blocking; when a line does not fit, its service waits
 * (see output.h for the whole backpressure story). */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "output-internal.h"
#include "util.h"

/* Each writable event gives at most this many waiting outputs a turn, so a
 * fast console and busy services cannot keep the loop here. */
#define CONSOLE_TURNS_PER_RUN 64

static int dup_high(int fd) {
        int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        return nfd < 0 ? -errno : nfd;
}

/* A private open file description of the same pipe or tty, so that
 * O_NONBLOCK stays ours (see console_init() in output.h). */
static int reopen_private(int fd) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        _cleanup_close_ int nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (nfd < 0)
                return -errno;
        if (nfd >= 3)
                return TAKE_FD(nfd);
        return dup_high(nfd);
}

int console_init(struct console **ret, int fd) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;

        _cleanup_free_ struct console *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->q = malloc(CONSOLE_QUEUE_SIZE);
        if (!c->q)
                return -ENOMEM;

        int nfd;
        if (S_ISSOCK(st.st_mode)) {
                nfd = dup_high(fd);
                c->how = CONSOLE_SEND;
        } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
                nfd = reopen_private(fd);
                c->how = CONSOLE_WRITE;
                if (nfd < 0) {
                        /* No /proc, or a FIFO without reader (ENXIO). */
                        nfd = dup_high(fd);
                        c->how = CONSOLE_POLL;
                }
        } else {
                nfd = dup_high(fd);
                c->how = CONSOLE_WRITE;
        }
        if (nfd < 0) {
                free(c->q);
                return nfd;
        }
        c->fd = nfd;
        *ret = TAKE_PTR(c);
        return 0;
}

void console_free(struct console *c) {
        if (!c)
                return;
        while (c->all)
                console_detach(c, c->all);
        safe_close(c->fd);
        free(c->q);
        free(c);
}

void console_set_notify(struct console *c, void (*cb)(struct console *c, void *ud), void *ud) {
        c->notify = cb;
        c->notify_ud = ud;
        c->told_want = console_wants_write(c);
}

int console_fd(const struct console *c) {
        return c->fd;
}

bool console_wants_write(const struct console *c) {
        /* Waiting outputs count too: with an empty queue they are resumed by
         * the next writable event, which then comes at once. */
        return !c->broken && (c->len > 0 || c->wait_head);
}

size_t console_queued(const struct console *c) {
        return c->len;
}

uint64_t console_dropped(const struct console *c) {
        return c->dropped;
}

static void console_changed(struct console *c) {
        bool want = console_wants_write(c);
        if (want == c->told_want)
                return;
        c->told_want = want;
        if (c->notify)
                c->notify(c, c->notify_ud);
}

static size_t q_room(const struct console *c) {
        return CONSOLE_QUEUE_SIZE - c->len;
}

static void q_put(struct console *c, const void *p, size_t n) {
        size_t tail = (c->head + c->len) % CONSOLE_QUEUE_SIZE;
        size_t part = CONSOLE_QUEUE_SIZE - tail < n ? CONSOLE_QUEUE_SIZE - tail : n;
        memcpy(c->q + tail, p, part);
        memcpy(c->q, (const char *)p + part, n - part);
        c->len += n;
}

static void q_consume(struct console *c, size_t n) {
        c->head = (c->head + n) % CONSOLE_QUEUE_SIZE;
        c->len -= n;
        if (c->len == 0)
                c->head = 0; /* fewer wrapped writes */
}

static ssize_t q_write(struct console *c) {
        struct iovec iov[2];
        size_t first = CONSOLE_QUEUE_SIZE - c->head;
        if (first > c->len)
                first = c->len;
        iov[0] = (struct iovec){ c->q + c->head, first };
        iov[1] = (struct iovec){ c->q, c->len - first };
        int n_iov = iov[1].iov_len > 0 ? 2 : 1;

        switch (c->how) {
        case CONSOLE_SEND: {
                struct msghdr mh = { .msg_iov = iov, .msg_iovlen = n_iov };
                return sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
        }
        case CONSOLE_POLL: {
                struct pollfd p = { .fd = c->fd, .events = POLLOUT };
                int r = poll(&p, 1, 0);
                if (r < 0)
                        return -1;
                if (r == 0) {
                        errno = EAGAIN;
                        return -1;
                }
                return write(c->fd, iov[0].iov_base, first < PIPE_BUF ? first : PIPE_BUF);
        }
        case CONSOLE_WRITE:
        default:
                return writev(c->fd, iov, n_iov);
        }
}

static void console_break(struct console *c, int err) {
        c->broken = true;
        c->err = err;
        c->dropped += c->len;
        c->len = c->head = 0;
}

/* Write until the queue is empty or the fd would block.  0 or -errno. */
static int console_write_some(struct console *c) {
        while (c->len > 0 && !c->broken) {
                ssize_t n = q_write(c);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        console_break(c, errno);
                        break;
                }
                q_consume(c, (size_t)n);
        }
        return c->broken ? -c->err : 0;
}

bool console_put(struct console *c, struct output *o, const char *line, size_t len) {
        if (!c)
                return true;
        size_t rec = o->name_len + 2 + len + 1;
        if (c->broken) {
                c->dropped += rec;
                return true;
        }
        if (c->wait_head && c->resuming != o)
                return false;
        if (q_room(c) < rec)
                return false;
        q_put(c, o->name, o->name_len);
        q_put(c, "| ", 2);
        q_put(c, line, len);
        q_put(c, "\n", 1);
        return true;
}

void console_wait(struct console *c, struct output *o) {
        if (o->waiting)
                return;
        o->waiting = true;
        o->wait_next = NULL;
        if (c->wait_tail)
                c->wait_tail->wait_next = o;
        else
                c->wait_head = o;
        c->wait_tail = o;
}

static struct output *wait_pop(struct console *c) {
        struct output *o = c->wait_head;
        c->wait_head = o->wait_next;
        if (!c->wait_head)
                c->wait_tail = NULL;
        o->wait_next = NULL;
        o->waiting = false;
        return o;
}

static void wait_remove(struct console *c, struct output *o) {
        struct output **pp = &c->wait_head, *prev = NULL;
        while (*pp && *pp != o) {
                prev = *pp;
                pp = &(*pp)->wait_next;
        }
        if (!*pp)
                return;
        *pp = o->wait_next;
        if (c->wait_tail == o)
                c->wait_tail = prev;
        o->wait_next = NULL;
        o->waiting = false;
}

void console_run(struct console *c, uint64_t now_ms) {
        if (!c || c->running)
                return;
        c->running = true;
        for (int turn = 0;; turn++) {
                console_write_some(c);
                /* A broken console takes every line, so each waiting
                 * output is done in one turn: let them all go now, as no
                 * writable event is awaited any more. */
                if (!c->wait_head || (turn >= CONSOLE_TURNS_PER_RUN && !c->broken))
                        break;
                /* Only with room for any record, so that the turn moves on. */
                if (!c->broken && q_room(c) < CONSOLE_RECORD_MAX)
                        break;
                struct output *o = wait_pop(c);
                c->resuming = o;
                output_resume(o, now_ms);
                c->resuming = NULL;
        }
        c->running = false;
        console_changed(c);
}

int console_on_writable(struct console *c, uint64_t now_ms) {
        console_run(c, now_ms);
        return c->broken ? -c->err : 0;
}

int console_drain(struct console *c, int timeout_ms) {
        uint64_t deadline = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
        for (;;) {
                uint64_t now = now_ms();
                console_run(c, now);
                if (c->broken)
                        return -c->err;
                if (c->len == 0 && !c->wait_head)
                        return 0;
                if (now >= deadline)
                        return -ETIMEDOUT;
                if (c->len > 0) {
                        struct pollfd p = { .fd = c->fd, .events = POLLOUT };
                        if (poll(&p, 1, (int)(deadline - now)) < 0 && errno != EINTR)
                                return -errno;
                }
        }
}

void console_attach(struct console *c, struct output *o) {
        o->all_prev = NULL;
        o->all_next = c->all;
        if (c->all)
                c->all->all_prev = o;
        c->all = o;
}

void console_detach(struct console *c, struct output *o) {
        wait_remove(c, o);
        if (o->all_prev)
                o->all_prev->all_next = o->all_next;
        else if (c->all == o)
                c->all = o->all_next;
        if (o->all_next)
                o->all_next->all_prev = o->all_prev;
        o->all_next = o->all_prev = NULL;
        if (c->resuming == o)
                c->resuming = NULL;
        o->c = NULL;
}

int output_reopen_all(struct console *c) {
        int r = 0;
        for (struct output *o = c->all; o; o = o->all_next) {
                int k = output_reopen(o);
                if (k < 0 && r == 0)
                        r = k;
        }
        return r;
}
