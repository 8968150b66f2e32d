/* Output of services: the console writer, per-service capture, and the ring
 * of recent lines.
 *
 * Nothing here includes libev or blocks.  The module works on fds and
 * bounded buffers; the supervisor's loop owns the watchers and asks, after
 * every call (or from the notify callbacks), which fds to watch:
 *
 *   console_fd(c)        watch for writability while console_wants_write(c)
 *                        -> console_on_writable(c, now)
 *   console_own_fd(c)    (when >= 0) the same while console_own_wants_write(c)
 *                        -> console_on_writable(c, now)
 *   output_fd(o)         watch for readability while output_wants_read(o)
 *                        -> output_on_readable(o, now)
 *   output_deadline(o)   a timer at that time (0: none) -> output_on_deadline(o, now)
 *
 * Modes (SPEC 2, `output`):
 *   console  stdout and stderr of the service go to one pipe (so their order
 *            is kept); corral reads it, assembles lines and queues
 *            "NAME| line\n" on the shared console.  A line is cut only when it
 *            exceeds OUTPUT_LINE_MAX bytes or stays unfinished for
 *            OUTPUT_PARTIAL_MS, and the unfinished rest is written at EOF.
 *            The newline that later ends a line cut at its deadline adds no
 *            empty line.
 *   file     also captured through a pipe; corral appends the bytes exactly
 *            as read to the file (no prefix, no cut).  Routing through corral
 *            rather than handing the file to the child is what lets
 *            output_reopen() (`corralctl reopen`, logrotate) take effect for
 *            running services.  Files are written synchronously, so the
 *            target must be a regular file.  The file is opened with the
 *            rights of the service's user (output_set_owner()), never with
 *            root's on a path that user may change (SPEC 10): when corral
 *            is root and the service's user is not, in a short-lived child
 *            of that user (asuser.h); else with corral's own rights, which
 *            are the service's, refusing a symlink at the end of the path,
 *            a file of another owner and a hard link.
 *   inherit  the child keeps corral's 0, 1 and 2.
 *   null     /dev/null as 0, 1 and 2.
 *   In console, file and null mode the child's stdin is /dev/null.
 *
 * Backpressure: the console queue is bounded (CONSOLE_QUEUE_SIZE).  A line is
 * queued whole or not at all; when it does not fit, its service stops being
 * read (output_wants_read() turns false) and waits in a FIFO; the service then
 * blocks on its own write to the full pipe, as with any pipe.  When the
 * console drains, console_on_writable() resumes the waiting services in order
 * and calls their notify callbacks.  No line is dropped while the console
 * accepts writes; if it fails for good (EPIPE, EIO), queued and later lines
 * are discarded (counted in console_dropped()) so services never hang on a
 * dead console.  Every line also goes to the service's ring for `logs`.
 *
 * corral's own lines (log.h) take the same path while the loop runs
 * (console_take_log()): when corral's stderr is the console's file (`2>&1`,
 * a terminal) they are queued in the same queue, between whole lines of the
 * services, else in a queue of their own written to stderr the same way.
 * Every write ends at the end of a line and, on a pipe, a FIFO or a tty, is
 * at most PIPE_BUF bytes long, so that other writers of the same pipe (an
 * `inherit` service) cannot land inside one of corral's lines either; only
 * a line longer than that goes out in several writes.  While the console is
 * stalled, corral's lines wait in a buffer of CONSOLE_OWN_SIZE bytes; a
 * line that does not fit is dropped, and so is every later one until the
 * buffer has been written out, followed then by one line
 * "corral: warn: console stalled: N of corral's messages dropped".  corral's
 * lines go first when room is made.
 *
 * Memory: each capturing service allocates its read buffer and ring once in
 * output_new(); the console its queue in console_init().  Nothing is
 * allocated per line.
 *
 * SIGPIPE must be ignored by the process (a console whose reader went away
 * then yields EPIPE instead of killing corral). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model.h" /* enum output_mode */

#define OUTPUT_LINE_MAX 4096          /* longer lines are cut at this size */
#define OUTPUT_PARTIAL_MS 100         /* an unfinished line is written after this */
#define OUTPUT_BUF_SIZE (2 * OUTPUT_LINE_MAX) /* per-service read buffer */
#define OUTPUT_RING_BYTES (64 * 1024) /* recent lines kept per service ... */
#define OUTPUT_RING_LINES 200         /* ... whichever bound is reached first */
#define CONSOLE_QUEUE_SIZE (128 * 1024)
#define CONSOLE_OWN_SIZE (64 * 1024) /* corral's own lines kept while stalled */
/* Largest record on the console: "NAME| " + line + "\n". */
#define CONSOLE_RECORD_MAX (CORRAL_MAX_NAME + 2 + OUTPUT_LINE_MAX + 1)

struct console;
struct output;

/* ---- console ---------------------------------------------------------- */

/* Set up the shared writer on fd (normally 1, corral's stdout).  fd itself is
 * left untouched (corral keeps it, and `inherit` children share it).  How the
 * console writes without blocking, and why O_NONBLOCK is never set on fd:
 * O_NONBLOCK is a flag of the open file description, shared with every other
 * holder (an `inherit` child, the shell that started corral), which would then
 * see EAGAIN on its own writes.  So:
 *   - pipe, FIFO, tty: a private description is opened through
 *     /proc/self/fd/N with O_NONBLOCK (same pipe or device, own flags);
 *   - socket: a dup written with send(MSG_DONTWAIT), a per-call flag;
 *   - regular file, block device: a dup (such writes do not wait on a reader);
 *   - if /proc is unavailable: a dup, written only after poll() reports it
 *     writable and at most PIPE_BUF bytes at a time (a pipe with room takes
 *     such a write whole).
 * Returns 0 or -errno; *ret untouched on failure. */
int console_init(struct console **ret, int fd);
/* Frees the queues (unwritten bytes are lost: call console_drain() first)
 * and, after console_take_log(), sends corral's lines to stderr again.
 * Outputs still attached are detached and must still be freed. */
void console_free(struct console *c);

/* corral's own lines go to fd from now on (normally 2, corral's stderr): into
 * the console's own queue when fd is the same file as the console's, else
 * through a private non-blocking writer of fd's own (set up as
 * console_init() does).  Lines queued before are kept.  Until called, they
 * share the console's queue.  0 or -errno (nothing changed then). */
int console_log_to(struct console *c, int fd);
/* console_log_to(), then every later log_msg() line (log.h) is passed to
 * console_log() instead of being written to stderr with a blocking write;
 * console_free() gives stderr back.  0 or -errno. */
int console_take_log(struct console *c, int fd);
/* Queue one of corral's lines ("...\n", whole) without blocking, write what
 * can be written now.  Dropped and counted when the buffer of corral's lines
 * is full or was full since it last emptied (see above). */
void console_log(struct console *c, const char *line, size_t len);
/* Lines of corral's dropped so far. */
uint64_t console_own_dropped(const struct console *c);

/* Called (when set) whenever console_wants_write() may have changed outside
 * a direct call on the console, e.g. when an output queued a line. */
void console_set_notify(struct console *c, void (*cb)(struct console *c, void *ud), void *ud);

/* The fd to watch for writability (corral's own copy, CLOEXEC). */
int console_fd(const struct console *c);
/* The second fd to watch, for corral's own lines when they do not share the
 * console's file; -1 when there is none. */
int console_own_fd(const struct console *c);
/* True while bytes are queued that the last write could not take, or
 * outputs wait for room (they are let go from console_on_writable()); false
 * once the console failed for good. */
bool console_wants_write(const struct console *c);
/* True while corral's own lines wait for console_own_fd(). */
bool console_own_wants_write(const struct console *c);
/* The console fd (or console_own_fd()) is writable: write queued bytes
 * until EAGAIN (corral's own lines first), then resume
 * waiting services while there is room (their notify callbacks run).
 * Returns 0, or -errno when the console failed for good (it then discards). */
int console_on_writable(struct console *c, uint64_t now_ms);
/* Blocking flush for the exit path only: write the queue and the lines of
 * waiting services (reading their pipes until EAGAIN) and corral's own
 * lines, polling the fds, until
 * nothing is left or timeout_ms passed.  0, or -ETIMEDOUT / -errno. */
int console_drain(struct console *c, int timeout_ms);
/* Bytes currently queued. */
size_t console_queued(const struct console *c);
/* Bytes discarded because the console failed. */
uint64_t console_dropped(const struct console *c);

/* ---- per-service capture ---------------------------------------------- */

/* Create the output state of service `name` (at most CORRAL_MAX_NAME bytes).
 * file: the path for OUTPUT_FILE (absolute), else ignored.  c: required for
 * OUTPUT_CONSOLE and OUTPUT_FILE (the output registers with it for
 * backpressure and output_reopen_all()), may be NULL otherwise.  Allocates
 * the read buffer and the ring; opens nothing yet.  0 or -errno. */
int output_new(struct output **ret, const char *name, enum output_mode mode, const char *file,
               struct console *c);
/* Whose rights open the file of file mode (copied): the service's uid, gid
 * and supplementary groups; uid (uid_t)-1 when the service runs with
 * corral's own.  Takes effect at the next open (output_prepare() of a first
 * start, output_reopen()).  0 or -ENOMEM. */
int output_set_owner(struct output *o, uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups);
/* Close everything and detach from the console.  Lines still buffered are
 * queued if the console has room, else lost: free only when output_idle(),
 * or at exit after console_drain(). */
void output_free(struct output *o);

/* Called (when set) whenever output_fd(), output_wants_read() or
 * output_deadline() may have changed, including inside the calls below.  The
 * callback may query the output and (re)arm watchers; it must not free it. */
void output_set_notify(struct output *o, void (*cb)(struct output *o, void *ud), void *ud);

enum output_mode output_get_mode(const struct output *o);
const char *output_name(const struct output *o);

/* Before spawning: create the pipe (read end non-blocking, both ends
 * CLOEXEC), open /dev/null and, in file mode, the file if it is not open yet.
 * ret_child_stdio gets the fds for the child's 0, 1, 2, each either -1 (keep
 * corral's) or an fd >= 3 marked CLOEXEC (dup2 in the child clears that); 1
 * and 2 may be the same fd.  If a previous pipe is still open (a process
 * outside the service kept its write end), what it holds is read as far as
 * the buffers allow and it is closed.  0 or -errno (e.g. the file cannot be
 * opened or is refused, see `file` above): every failure is logged, naming
 * the service (and the file) and why; nothing is left open then. */
int output_prepare(struct output *o, int ret_child_stdio[3]);
/* After the spawn attempt, whether it succeeded or not: close the child's
 * ends in corral.  Without a child, the pipe then reads EOF. */
void output_spawned(struct output *o);

/* Read end of the pipe to watch, -1 when none (inherit, null, after EOF). */
int output_fd(const struct output *o);
/* False while waiting for console room (backpressure) or when there is no fd. */
bool output_wants_read(const struct output *o);
/* The pipe is readable: read (a bounded number of times, for fairness among
 * services), queue complete lines.  Returns 0, 1 once EOF was seen (the fd is
 * closed then and output_fd() is -1; a buffered partial line is written as
 * soon as the console has room).  A read error other than EAGAIN is handled
 * like EOF. */
int output_on_readable(struct output *o, uint64_t now_ms);
/* Monotonic ms at which the unfinished line must be written; 0 when there is
 * none (or it is already due and waits for console room). */
uint64_t output_deadline(const struct output *o);
/* Timer for output_deadline() fired: write the unfinished line if it is due. */
void output_on_deadline(struct output *o, uint64_t now_ms);
/* The service has been reaped and its cgroup is empty: everything the pipe
 * still holds is read (now, or once the console has room: console_drain()
 * does that at exit), then the pipe is closed as at EOF and the partial line
 * written.  Not needed when output_on_readable() already returned 1. */
void output_finish(struct output *o, uint64_t now_ms);
/* True when no pipe is open and no byte waits in the output's buffer. */
bool output_idle(const struct output *o);

/* File mode: open the file again (after logrotate moved it), by the same
 * rules as output_prepare().  On failure (logged) the old fd is kept and
 * -errno returned.  0 (nothing to do) in other modes. */
int output_reopen(struct output *o);
/* output_reopen() for every output attached to c; returns the first error,
 * but tries them all, with the first failure in msg as logged
 * ("service \"web\": output file \"/x\": a symbolic link"). */
int output_reopen_all(struct console *c, char *msg, size_t n);

/* Call cb for each of the last n lines kept in the ring (oldest first; line
 * without its "\n", len <= OUTPUT_LINE_MAX; the pointer is valid during the
 * call only).  Returns the number of lines passed. */
size_t output_tail(const struct output *o, size_t n,
                   void (*cb)(const char *line, size_t len, void *ud), void *ud);

/* ---- ring of recent lines (used by output; exposed for its tests) ----- */

struct logring {
        char *data;          /* bytes of the lines, circular */
        size_t cap, head, used; /* head: where the next byte goes */
        uint32_t *off;       /* start offset of each kept line, circular */
        uint16_t *len;       /* its length */
        size_t max_lines, first, count;
};

/* Allocate once: cap bytes, at most max_lines lines.  0 or -ENOMEM. */
int logring_init(struct logring *r, size_t cap, size_t max_lines);
void logring_done(struct logring *r);
/* Append a line (cut to OUTPUT_LINE_MAX and to cap), dropping the oldest
 * lines as needed. */
void logring_push(struct logring *r, const char *line, size_t len);
/* As output_tail(). */
size_t logring_tail(const struct logring *r, size_t n,
                    void (*cb)(const char *line, size_t len, void *ud), void *ud);
