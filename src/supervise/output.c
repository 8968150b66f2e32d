/* Capture of one service's stdout and stderr: the pipe, line assembly, the
 * file of file mode and the ring of recent lines.  See output.h. */
#include <fcntl.h>
#include <sys/stat.h>

#include "asuser.h"
#include "log.h"
#include "output-internal.h"
#include "util.h"

/* Reads per readable event: enough for throughput (each fills up to
 * OUTPUT_BUF_SIZE), few enough that one chatty service does not hold the loop. */
#define OUTPUT_READS_PER_CALL 4

#define FILE_FLAGS (O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY)
/* The open of an output file as the service's user is a fork away from
 * corral's loop: bounded, for a path on a file system that does not answer. */
#define FILE_OPEN_TIMEOUT_MS 1000

static bool captures(enum output_mode m) {
        return m == OUTPUT_CONSOLE || m == OUTPUT_FILE;
}

int output_new(struct output **ret, const char *name, enum output_mode mode, const char *file,
               struct console *c) {
        size_t name_len = name ? strnlen(name, CORRAL_MAX_NAME + 1) : 0;
        if (name_len == 0 || name_len > CORRAL_MAX_NAME || (unsigned)mode >= _OUTPUT_MAX)
                return -EINVAL;
        if (captures(mode) && !c)
                return -EINVAL;
        if (mode == OUTPUT_FILE && strempty(file))
                return -EINVAL;

        _cleanup_free_ struct output *o = calloc(1, sizeof(*o));
        if (!o)
                return -ENOMEM;
        memcpy(o->name, name, name_len);
        o->name_len = name_len;
        o->mode = mode;
        o->fd = o->child_out = o->child_in = o->file_fd = -1;
        o->uid = (uid_t)-1;
        o->gid = (gid_t)-1;

        if (captures(mode)) {
                if (mode == OUTPUT_FILE && !(o->file = strdup(file)))
                        return -ENOMEM;
                /* The read buffer and the ring come with the first output:
                 * many services never write a line. */
                o->c = c;
                console_attach(c, o);
        }
        *ret = TAKE_PTR(o);
        return 0;
}

int output_set_owner(struct output *o, uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups) {
        gid_t *g = NULL;
        if (n_groups > 0 && !(g = malloc(n_groups * sizeof *g)))
                return -ENOMEM;
        if (n_groups > 0)
                memcpy(g, groups, n_groups * sizeof *g);
        free(o->groups);
        o->groups = g;
        o->n_groups = n_groups;
        o->uid = uid;
        o->gid = gid;
        return 0;
}

void output_set_notify(struct output *o, void (*cb)(struct output *o, void *ud), void *ud) {
        o->notify = cb;
        o->notify_ud = ud;
}

enum output_mode output_get_mode(const struct output *o) {
        return o->mode;
}

const char *output_name(const struct output *o) {
        return o->name;
}

int output_fd(const struct output *o) {
        return o->fd;
}

bool output_wants_read(const struct output *o) {
        return o->fd >= 0 && !o->waiting;
}

bool output_idle(const struct output *o) {
        return o->fd < 0 && o->start == o->end;
}

uint64_t output_deadline(const struct output *o) {
        if (o->waiting || o->must > 0 || o->start == o->end || o->partial_since == 0)
                return 0;
        return o->partial_since + OUTPUT_PARTIAL_MS;
}

static void notify(struct output *o) {
        if (o->notify)
                o->notify(o, o->notify_ud);
}

static bool emit(struct output *o, const char *p, size_t len) {
        if (o->mode == OUTPUT_CONSOLE && !console_put(o->c, o, p, len))
                return false;
        /* Allocated once, on the first line; without memory the line only
         * misses from `corralctl logs`. */
        if (!o->ring.data && logring_init(&o->ring, OUTPUT_RING_BYTES, OUTPUT_RING_LINES) < 0)
                return true;
        logring_push(&o->ring, p, len);
        return true;
}

/* Length of the next line to write out and how many bytes it consumes
 * (its '\n' included); false when the buffer holds no line yet. */
static bool next_line(const struct output *o, size_t *ret_len, size_t *ret_skip) {
        size_t avail = o->end - o->start;
        const char *p = o->buf + o->start;
        /* A line of exactly OUTPUT_LINE_MAX bytes is whole when its '\n'
         * follows, hence the one extra byte looked at. */
        size_t window = avail < OUTPUT_LINE_MAX + 1 ? avail : OUTPUT_LINE_MAX + 1;
        const char *nl = memchr(p, '\n', window);
        size_t len, skip;
        if (nl) {
                len = (size_t)(nl - p);
                skip = len + 1;
        } else if (avail > OUTPUT_LINE_MAX) {
                len = skip = OUTPUT_LINE_MAX;
        } else if (o->must > 0) {
                len = skip = avail;
        } else
                return false;
        /* Bytes due before a later '\n' arrived go out as their own line. */
        if (o->must > 0 && o->must < len)
                len = skip = o->must;
        *ret_len = len;
        *ret_skip = skip;
        return true;
}

/* Write out every line the buffer holds.  false when the console has no
 * room: the rest stays buffered. */
static bool emit_lines(struct output *o, uint64_t now_ms) {
        bool consumed = false, ok = true;
        size_t len, skip;
        while (o->start < o->end) {
                if (o->cut && o->buf[o->start] == '\n') {
                        /* The line was written already, cut at its
                         * deadline: its newline adds no empty line. */
                        len = 0;
                        skip = 1;
                } else if (!next_line(o, &len, &skip))
                        break;
                else if (!emit(o, o->buf + o->start, len)) {
                        ok = false;
                        break;
                }
                o->cut = skip == len;
                o->start += skip;
                o->must = o->must > skip ? o->must - skip : 0;
                consumed = true;
        }
        if (o->start == o->end) {
                o->start = o->end = 0;
                o->must = 0;
                o->partial_since = 0;
        } else if (consumed || o->partial_since == 0)
                o->partial_since = now_ms ? now_ms : 1;
        return ok;
}

static void write_file(struct output *o, const char *p, size_t n) {
        if (o->file_fd < 0)
                return;
        int r = write_all(o->file_fd, p, n);
        if (r < 0)
                log_debug("output of %s: %s: %s", o->name, o->file, strerror(-r));
}

static void close_pipe(struct output *o) {
        o->fd = safe_close(o->fd);
        o->must = o->end - o->start; /* everything left goes out */
        o->finishing = false;
}

/* One read into the buffer.  false when nothing more can be read now. */
static bool read_once(struct output *o) {
        if (!o->buf && !(o->buf = malloc(OUTPUT_BUF_SIZE))) {
                /* Nowhere to put the bytes: the service's writes fail (EPIPE)
                 * rather than block it or spin the loop. */
                log_error("output of %s: %s", o->name, strerror(ENOMEM));
                close_pipe(o);
                return false;
        }
        if (o->start > 0) {
                memmove(o->buf, o->buf + o->start, o->end - o->start);
                o->end -= o->start;
                o->start = 0;
        }
        ssize_t n = read(o->fd, o->buf + o->end, OUTPUT_BUF_SIZE - o->end);
        if (n > 0) {
                if (o->mode == OUTPUT_FILE)
                        write_file(o, o->buf + o->end, (size_t)n);
                o->end += (size_t)n;
                return true;
        }
        if (n < 0 && errno == EINTR)
                return true;
        if (n < 0 && errno == EAGAIN && !o->finishing)
                return false;
        /* EOF, a read error, or a finished service's pipe ran dry. */
        if (n < 0 && errno != EAGAIN)
                log_debug("output of %s: read: %m", o->name);
        close_pipe(o);
        return true;
}

static void pump(struct output *o, uint64_t now_ms) {
        for (int i = 0;; i++) {
                if (!emit_lines(o, now_ms)) {
                        if (o->c)
                                console_wait(o->c, o);
                        break;
                }
                /* After emit_lines() less than one line is left, so the
                 * buffer has room for a read. */
                /* A finished service's pipe holds a bounded rest: take it
                 * all now, so that nothing depends on further events. */
                if (o->fd < 0 || (i >= OUTPUT_READS_PER_CALL && !o->finishing) || !read_once(o))
                        break;
        }
}

void output_resume(struct output *o, uint64_t now_ms) {
        pump(o, now_ms);
        notify(o);
}

int output_on_readable(struct output *o, uint64_t now_ms) {
        if (o->fd < 0)
                return 1;
        if (!o->waiting) {
                pump(o, now_ms);
                console_run(o->c, now_ms);
        }
        notify(o);
        return o->fd < 0 ? 1 : 0;
}

void output_on_deadline(struct output *o, uint64_t now_ms) {
        uint64_t d = output_deadline(o);
        if (d == 0 || now_ms < d)
                return;
        /* The rest of the line may already sit in the pipe, unread only
         * because corral was late (a loaded machine runs this timer and the
         * pipe's event in one loop turn): read first, and cut only a line
         * that its service has really left unfinished. */
        pump(o, now_ms);
        d = output_deadline(o);
        if (d == 0 || now_ms < d) {
                console_run(o->c, now_ms);
                notify(o);
                return;
        }
        o->must = o->end - o->start;
        pump(o, now_ms);
        console_run(o->c, now_ms);
        notify(o);
}

void output_finish(struct output *o, uint64_t now_ms) {
        if (o->fd < 0)
                return;
        o->finishing = true;
        if (!o->waiting) {
                pump(o, now_ms);
                console_run(o->c, now_ms);
        }
        notify(o);
}

static int open_high(const char *path, int flags, mode_t mode) {
        int fd = open(path, flags | O_CLOEXEC, mode);
        if (fd < 0)
                return -errno;
        if (fd >= 3)
                return fd;
        /* corral runs with 0, 1 or 2 closed: keep the child's fds clear of
         * the numbers it will dup2() them onto. */
        int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        int r = nfd < 0 ? -errno : nfd;
        close(fd);
        return r;
}

static int open_pipe(int ret[2]) {
        int p[2] = { -1, -1 };
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        for (int i = 0; i < 2; i++) {
                if (p[i] >= 3)
                        continue;
                int nfd = fcntl(p[i], F_DUPFD_CLOEXEC, 3);
                int saved = errno;
                close(p[i]);
                p[i] = nfd;
                if (nfd < 0) {
                        safe_close(p[0]);
                        safe_close(p[1]);
                        return -saved;
                }
        }
        if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
                int r = -errno;
                close(p[0]);
                close(p[1]);
                return r;
        }
        ret[0] = p[0];
        ret[1] = p[1];
        return 0;
}

/* Refuse what the file opened is not: a regular file (a FIFO or a device
 * could make corral's synchronous writes wait) and, when corral opened it
 * with its own rights, the user's own file, reached without a symlink at
 * its end, and not a hard link (which anyone who may write the directory
 * could plant, pointing at a file of the same owner). */
static const char *file_refused(int fd, bool own_rights, char *buf, size_t size) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return strerror(errno);
        if (!S_ISREG(st.st_mode))
                return "not a regular file: refused";
        if (!own_rights)
                return NULL;
        if (st.st_uid != geteuid()) {
                snprintf(buf, size, "owned by uid %u, not by uid %u that the service runs as: refused",
                         (unsigned)st.st_uid, (unsigned)geteuid());
                return buf;
        }
        if (st.st_nlink > 1) {
                snprintf(buf, size, "a file with %lu hard links: refused", (unsigned long)st.st_nlink);
                return buf;
        }
        return NULL;
}

/* Why an open failed, in words: what lies at the path (looked at without
 * following it, for the message only) explains more than the errno does. */
static const char *open_failed(const struct output *o, int err, bool as_user, char *buf, size_t size) {
        struct stat st;
        if (lstat(o->file, &st) == 0) {
                if (S_ISLNK(st.st_mode) && !as_user)
                        return "a symbolic link: refused";
                if (!S_ISLNK(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
                        return "not a regular file: refused";
        }
        if (!as_user)
                return strerror(err);
        snprintf(buf, size, "%s (opened as uid %u)", strerror(err), (unsigned)o->uid);
        return buf;
}

/* Open the output file, append-only, with the rights of the service's user:
 * in a short-lived child of that user when corral is root and the service
 * is not, else with corral's own (which are the service's) and no symlink
 * followed at the end of the path.  Logs why it failed. */
static int open_file(struct output *o, int *ret_fd) {
        bool as_user = geteuid() == 0 && o->uid != (uid_t)-1 && o->uid != 0;
        _cleanup_close_ int fd = -1;
        int r = 0;
        char why[160];
        const char *reason = NULL;
        if (as_user) {
                const struct asuser_ids ids = { .uid = o->uid, .gid = o->gid, .groups = o->groups,
                                                .n_groups = o->n_groups };
                r = asuser_open(o->file, FILE_FLAGS, 0644, &ids, FILE_OPEN_TIMEOUT_MS, &fd);
        } else {
                fd = open_high(o->file, FILE_FLAGS | O_NOFOLLOW | O_NONBLOCK, 0644);
                r = fd < 0 ? fd : 0;
        }
        if (r < 0)
                reason = open_failed(o, -r, as_user, why, sizeof why);
        if (!reason && (reason = file_refused(fd, !as_user, why, sizeof why)))
                r = -EPERM;
        /* Writes to it are meant to complete (see output.h). */
        int fl = reason ? 0 : fcntl(fd, F_GETFL);
        if (!reason && (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)) {
                r = -errno;
                reason = strerror(errno);
        }
        if (reason) {
                snprintf(o->error, sizeof o->error, "output file \"%s\": %s", o->file, reason);
                log_error("service \"%s\": %s", o->name, o->error);
                return r;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* The pipe of an earlier run is still open: take what it holds now. */
static void retire_pipe(struct output *o) {
        if (o->fd < 0)
                return;
        o->finishing = true;
        uint64_t now = now_ms();
        if (!o->waiting)
                pump(o, now);
        console_run(o->c, now);
        if (o->fd >= 0) {
                log_debug("output of %s: unread bytes of the previous run dropped", o->name);
                close_pipe(o);
        }
}

static int prepare_failed(struct output *o, const char *what, int r) {
        snprintf(o->error, sizeof o->error, "output: %s: %s", what, strerror(-r));
        log_error("service \"%s\": %s", o->name, o->error);
        return r;
}

int output_prepare(struct output *o, int ret_child_stdio[3]) {
        output_spawned(o);
        if (o->mode == OUTPUT_INHERIT) {
                ret_child_stdio[0] = ret_child_stdio[1] = ret_child_stdio[2] = -1;
                return 0;
        }

        _cleanup_close_ int null_fd = open_high("/dev/null", o->mode == OUTPUT_NULL ? O_RDWR : O_RDONLY, 0);
        if (null_fd < 0)
                return prepare_failed(o, "/dev/null", null_fd);
        if (o->mode == OUTPUT_NULL) {
                o->child_in = TAKE_FD(null_fd);
                ret_child_stdio[0] = ret_child_stdio[1] = ret_child_stdio[2] = o->child_in;
                return 0;
        }

        _cleanup_close_ int file_fd = -1;
        if (o->mode == OUTPUT_FILE && o->file_fd < 0) {
                int r = open_file(o, &file_fd);
                if (r < 0)
                        return r;
        }
        int p[2] = { -1, -1 };
        int r = open_pipe(p);
        if (r < 0)
                return prepare_failed(o, "pipe", r);

        retire_pipe(o);
        if (file_fd >= 0)
                o->file_fd = TAKE_FD(file_fd);
        o->fd = p[0];
        o->cut = false;
        o->child_out = p[1];
        o->child_in = TAKE_FD(null_fd);
        o->finishing = false;
        ret_child_stdio[0] = o->child_in;
        ret_child_stdio[1] = ret_child_stdio[2] = o->child_out;
        notify(o);
        return 0;
}

void output_spawned(struct output *o) {
        o->child_out = safe_close(o->child_out);
        o->child_in = safe_close(o->child_in);
}

int output_reopen(struct output *o) {
        if (o->mode != OUTPUT_FILE || o->file_fd < 0)
                return 0;
        int fd = -1;
        int r = open_file(o, &fd);
        if (r < 0)
                return r;
        safe_close(o->file_fd);
        o->file_fd = fd;
        return 0;
}

int output_reopen_all(struct console *c, char *msg, size_t n) {
        int r = 0;
        for (struct output *o = c->all; o; o = o->all_next) {
                int k = output_reopen(o);
                if (k < 0 && r == 0) {
                        r = k;
                        snprintf(msg, n, "service \"%s\": %s", o->name, o->error);
                }
        }
        return r;
}

size_t output_tail(const struct output *o, size_t n,
                   void (*cb)(const char *line, size_t len, void *ud), void *ud) {
        return logring_tail(&o->ring, n, cb, ud);
}

void output_free(struct output *o) {
        if (!o)
                return;
        if (o->c) {
                /* Last chance for buffered bytes, without waiting. */
                struct console *c = o->c;
                if (!o->waiting) {
                        o->must = o->end - o->start;
                        emit_lines(o, 1);
                }
                console_detach(c, o);
                console_run(c, now_ms());
        }
        output_spawned(o);
        safe_close(o->fd);
        safe_close(o->file_fd);
        logring_done(&o->ring);
        free(o->buf);
        free(o->file);
        free(o->groups);
        free(o);
}
