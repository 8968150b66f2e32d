/* The console: one writer to corral's stdout shared by every service whose
 * output is "console", and the path of corral's own lines.  Lines are queued
 * whole in bounded circular queues and written without ever blocking, each
 * write ending at the end of a line; when a service's line does not fit, the
 * service waits, and when one of corral's does not fit, it is dropped and
 * counted (see output.h for the whole story). */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "log.h"
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

/* ---- sinks: one fd and its queue -------------------------------------- */

static int sink_open(struct sink *k, int fd, size_t cap) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        _cleanup_free_ char *q = malloc(cap);
        if (!q)
                return -ENOMEM;

        int nfd;
        /* A pipe's reader may share it with other writers (an `inherit`
         * service, another program): a write of at most PIPE_BUF bytes
         * lands whole between theirs.  A regular file appends each write
         * whole whatever its size. */
        size_t chunk = PIPE_BUF;
        enum console_how how = CONSOLE_WRITE;
        if (S_ISSOCK(st.st_mode)) {
                nfd = dup_high(fd);
                how = CONSOLE_SEND;
        } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
                nfd = reopen_private(fd);
                if (nfd < 0) {
                        /* No /proc, or a FIFO without reader (ENXIO). */
                        nfd = dup_high(fd);
                        how = CONSOLE_POLL;
                }
        } else {
                nfd = dup_high(fd);
                chunk = cap;
        }
        if (nfd < 0)
                return nfd;
        *k = (struct sink){ .fd = nfd, .how = how, .chunk = chunk, .q = TAKE_PTR(q), .cap = cap,
                            .dev = st.st_dev, .ino = st.st_ino };
        return 0;
}

static void sink_close(struct sink *k) {
        k->fd = safe_close(k->fd);
        free(k->q);
        k->q = NULL;
        k->len = k->head = 0;
}

static size_t q_room(const struct sink *k) {
        return k->cap - k->len;
}

static void q_put(struct sink *k, const void *p, size_t n) {
        size_t tail = (k->head + k->len) % k->cap;
        size_t part = k->cap - tail < n ? k->cap - tail : n;
        memcpy(k->q + tail, p, part);
        memcpy(k->q, (const char *)p + part, n - part);
        k->len += n;
}

static void q_consume(struct sink *k, size_t n) {
        k->head = (k->head + n) % k->cap;
        k->len -= n;
        if (k->len == 0)
                k->head = 0; /* fewer wrapped writes */
}

/* The first n queued bytes as one or two pieces; returns how many. */
static int q_iov(const struct sink *k, size_t n, struct iovec iov[2]) {
        size_t first = k->cap - k->head;
        if (first > n)
                first = n;
        iov[0] = (struct iovec){ k->q + k->head, first };
        iov[1] = (struct iovec){ k->q, n - first };
        return iov[1].iov_len > 0 ? 2 : 1;
}

/* Length of the longest run of whole lines at the head of the queue that is
 * at most max bytes; 0 when the first line alone is longer. */
static size_t q_lines(const struct sink *k, size_t max) {
        if (max > k->len)
                max = k->len;
        if (max == 0)
                return 0;
        struct iovec iov[2];
        int n = q_iov(k, max, iov);
        if (((const char *)iov[n - 1].iov_base)[iov[n - 1].iov_len - 1] == '\n')
                return max;
        for (int i = n - 1; i >= 0; i--) {
                const char *nl = memrchr(iov[i].iov_base, '\n', iov[i].iov_len);
                if (nl)
                        return (size_t)(nl - (const char *)iov[i].iov_base) + 1 + (i ? iov[0].iov_len : 0);
        }
        return 0;
}

static ssize_t sink_write(struct sink *k) {
        /* Whole lines only, unless one line alone exceeds a write (then it
         * goes out in pieces, and the next write carries on where it
         * stopped: nothing of corral's comes between). */
        size_t n = q_lines(k, k->chunk);
        if (n == 0)
                n = k->len < k->chunk ? k->len : k->chunk;
        struct iovec iov[2];
        int n_iov = q_iov(k, n, iov);

        switch (k->how) {
        case CONSOLE_SEND: {
                struct msghdr mh = { .msg_iov = iov, .msg_iovlen = n_iov };
                return sendmsg(k->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
        }
        case CONSOLE_POLL: {
                /* A blocking description: write only what a pipe with room
                 * takes at once (chunk is PIPE_BUF). */
                struct pollfd p = { .fd = k->fd, .events = POLLOUT };
                int r = poll(&p, 1, 0);
                if (r < 0)
                        return -1;
                if (r == 0) {
                        errno = EAGAIN;
                        return -1;
                }
                return writev(k->fd, iov, n_iov);
        }
        case CONSOLE_WRITE:
        default:
                return writev(k->fd, iov, n_iov);
        }
}

static void sink_break(struct sink *k, int err) {
        k->broken = true;
        k->err = err;
        k->dropped += k->len;
        k->len = k->head = 0;
}

/* Write until the queue is empty or the fd would block.  0 or -errno. */
static int sink_flush(struct sink *k) {
        while (k->len > 0 && !k->broken) {
                ssize_t n = sink_write(k);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        sink_break(k, errno);
                        break;
                }
                q_consume(k, (size_t)n);
        }
        return k->broken ? -k->err : 0;
}

/* ---- the console ------------------------------------------------------ */

int console_init(struct console **ret, int fd) {
        _cleanup_free_ struct console *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        int r = sink_open(&c->out, fd, CONSOLE_QUEUE_SIZE);
        if (r < 0)
                return r;
        c->own = (struct sink){ .fd = -1, .q = malloc(CONSOLE_OWN_SIZE), .cap = CONSOLE_OWN_SIZE };
        if (!c->own.q) {
                sink_close(&c->out);
                return -ENOMEM;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

static bool own_shared(const struct console *c) {
        return c->own.fd < 0;
}

void console_free(struct console *c) {
        if (!c)
                return;
        if (c->logging)
                log_set_sink(NULL, NULL);
        while (c->all)
                console_detach(c, c->all);
        sink_close(&c->out);
        sink_close(&c->own);
        free(c);
}

void console_set_notify(struct console *c, void (*cb)(struct console *c, void *ud), void *ud) {
        c->notify = cb;
        c->notify_ud = ud;
        c->told_want = console_wants_write(c);
        c->told_own_want = console_own_wants_write(c);
}

int console_fd(const struct console *c) {
        return c->out.fd;
}

int console_own_fd(const struct console *c) {
        return c->own.fd;
}

bool console_wants_write(const struct console *c) {
        /* Waiting outputs count too: with an empty queue they are resumed by
         * the next writable event, which then comes at once.  So do lines of
         * corral's waiting for room in the shared queue. */
        return !c->out.broken && (c->out.len > 0 || c->wait_head || (own_shared(c) && c->own.len > 0));
}

bool console_own_wants_write(const struct console *c) {
        return !own_shared(c) && !c->own.broken && c->own.len > 0;
}

size_t console_queued(const struct console *c) {
        return c->out.len;
}

uint64_t console_dropped(const struct console *c) {
        return c->out.dropped;
}

uint64_t console_own_dropped(const struct console *c) {
        return c->own_dropped;
}

static void console_changed(struct console *c) {
        bool want = console_wants_write(c), own_want = console_own_wants_write(c);
        if (want == c->told_want && own_want == c->told_own_want)
                return;
        c->told_want = want;
        c->told_own_want = own_want;
        if (c->notify)
                c->notify(c, c->notify_ud);
}

/* ---- corral's own lines ----------------------------------------------- */

int console_log_to(struct console *c, int fd) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        /* One file (`2>&1`, a terminal): one queue, so that corral's lines
         * and the services' come out whole and in the order queued. */
        if (st.st_dev == c->out.dev && st.st_ino == c->out.ino)
                return 0;
        struct sink k;
        int r = sink_open(&k, fd, CONSOLE_OWN_SIZE);
        if (r < 0)
                return r;
        /* Lines kept so far move along. */
        struct iovec iov[2];
        int n = q_iov(&c->own, c->own.len, iov);
        for (int i = 0; i < n; i++)
                q_put(&k, iov[i].iov_base, iov[i].iov_len);
        sink_close(&c->own);
        c->own = k;
        return 0;
}

static void console_log_sink(void *ud, const char *line, size_t len) {
        console_log(ud, line, len);
}

int console_take_log(struct console *c, int fd) {
        int r = console_log_to(c, fd);
        if (r < 0)
                return r;
        log_set_sink(console_log_sink, c);
        c->logging = true;
        return 0;
}

/* Queue one of corral's lines where it goes next. */
static void own_put(struct console *c, const char *line, size_t len) {
        if (own_shared(c) && c->own.len == 0 && !c->out.broken && q_room(&c->out) >= len) {
                q_put(&c->out, line, len);
                return;
        }
        if (c->own.broken || (own_shared(c) && c->out.broken))
                return; /* nowhere to go: the console failed for good */
        /* Once one is dropped, every line is until the backlog is out, so
         * that the count stands where the gap is. */
        if (c->own_lost > 0 || q_room(&c->own) < len) {
                c->own_lost++;
                c->own_dropped++;
                return;
        }
        q_put(&c->own, line, len);
}

/* Move corral's kept lines on: into the shared queue as far as it has room,
 * or out to their own fd; once none is left, say how many were dropped. */
static void own_pump(struct console *c) {
        for (;;) {
                if (!own_shared(c))
                        sink_flush(&c->own);
                else if (c->out.broken)
                        c->own.len = c->own.head = 0;
                else {
                        size_t n = q_lines(&c->own, q_room(&c->out));
                        struct iovec iov[2];
                        int n_iov = q_iov(&c->own, n, iov);
                        for (int i = 0; n > 0 && i < n_iov; i++)
                                q_put(&c->out, iov[i].iov_base, iov[i].iov_len);
                        q_consume(&c->own, n);
                }
                if (c->own.len > 0 || c->own_lost == 0 || c->own.broken)
                        return;
                char note[128];
                size_t len = log_format(note, sizeof note, LOG_LVL_WARN,
                                        "console stalled: %llu of corral's messages dropped",
                                        (unsigned long long)c->own_lost);
                c->own_lost = 0;
                q_put(&c->own, note, len);
        }
}

void console_log(struct console *c, const char *line, size_t len) {
        if (!c || len == 0)
                return;
        if (len > CONSOLE_OWN_SIZE)
                len = CONSOLE_OWN_SIZE;
        own_put(c, line, len);
        if (c->running)
                return; /* console_run() writes it before it returns */
        own_pump(c);
        sink_flush(&c->out);
        console_changed(c);
}

/* ---- services' lines -------------------------------------------------- */

bool console_put(struct console *c, struct output *o, const char *line, size_t len) {
        if (!c)
                return true;
        size_t rec = o->name_len + 2 + len + 1;
        if (c->out.broken) {
                c->out.dropped += rec;
                return true;
        }
        if (c->wait_head && c->resuming != o)
                return false;
        /* corral's lines waiting for room go first. */
        if (own_shared(c) && c->own.len > 0)
                return false;
        if (q_room(&c->out) < rec)
                return false;
        q_put(&c->out, o->name, o->name_len);
        q_put(&c->out, "| ", 2);
        q_put(&c->out, line, len);
        q_put(&c->out, "\n", 1);
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
                own_pump(c);
                sink_flush(&c->out);
                /* A broken console takes every line, so each waiting
                 * output is done in one turn: let them all go now, as no
                 * writable event is awaited any more. */
                if (!c->wait_head || (turn >= CONSOLE_TURNS_PER_RUN && !c->out.broken))
                        break;
                /* Only with room for any record, so that the turn moves on;
                 * corral's own lines take the room first. */
                if (!c->out.broken && (q_room(&c->out) < CONSOLE_RECORD_MAX || (own_shared(c) && c->own.len > 0)))
                        break;
                struct output *o = wait_pop(c);
                c->resuming = o;
                output_resume(o, now_ms);
                c->resuming = NULL;
        }
        /* Lines of corral's logged by the outputs just resumed. */
        own_pump(c);
        sink_flush(&c->out);
        c->running = false;
        console_changed(c);
}

int console_on_writable(struct console *c, uint64_t now_ms) {
        console_run(c, now_ms);
        return c->out.broken ? -c->out.err : 0;
}

int console_drain(struct console *c, int timeout_ms) {
        uint64_t deadline = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
        for (;;) {
                uint64_t now = now_ms();
                console_run(c, now);
                if (c->out.broken)
                        return -c->out.err;
                bool own_left = console_own_wants_write(c);
                if (c->out.len == 0 && !c->wait_head && !console_wants_write(c) && !own_left)
                        return 0;
                if (now >= deadline)
                        return -ETIMEDOUT;
                struct pollfd p[2] = { { .fd = c->out.len > 0 ? c->out.fd : -1, .events = POLLOUT },
                                       { .fd = own_left ? c->own.fd : -1, .events = POLLOUT } };
                if ((p[0].fd >= 0 || p[1].fd >= 0) && poll(p, 2, (int)(deadline - now)) < 0 && errno != EINTR)
                        return -errno;
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
