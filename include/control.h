/* The control protocol between corralctl and corral (SPEC 6).
 *
 * Transport: an AF_UNIX SOCK_SEQPACKET socket at RUN_DIR/control, mode 0600;
 * peers are checked with SO_PEERCRED (root or corral's own uid).  One
 * connection carries one request and its reply.
 *
 * Request: a single packet holding the command's words, each terminated by a
 * NUL byte ("status\0web\0--json\0").  At most CTL_MAX_REQUEST bytes and
 * CTL_MAX_WORDS words; anything else is answered with an error.
 *
 * Reply: packets whose first byte says what follows: 'o' text for the
 * client's stdout, 'e' text for its stderr, and a final 'x' packet with the
 * exit status as decimal text (0 to 255).  A reply always ends with an 'x'
 * packet. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CTL_MAX_REQUEST 65536
#define CTL_MAX_WORDS 1024
#define CTL_PACKET 16384 /* payload bytes per reply packet */
#define CTL_MAX_LINES 1000000 /* logs -n */

enum ctl_cmd {
        CTL_STATUS,
        CTL_START,
        CTL_STOP,
        CTL_RESTART,
        CTL_KILL,
        CTL_RELOAD,
        CTL_LOGS,
        CTL_CHECK,
        CTL_REOPEN,
        CTL_EXEC,
        CTL_SHUTDOWN,
        _CTL_CMD_MAX
};

/* Exit statuses of corralctl. */
enum {
        CTL_EXIT_OK = 0,
        CTL_EXIT_FAIL = 1,       /* the command ran and failed (check: not ready) */
        CTL_EXIT_USAGE = 2,      /* bad request or unknown service */
        CTL_EXIT_NOT_RUNNING = 3,/* no corral answers on the socket */
        CTL_EXIT_DENIED = 4,     /* peer refused */
};

struct ctl_request {
        enum ctl_cmd cmd;
        const char *name; /* NULL when not given (status) */
        int signal;       /* kill */
        long lines;       /* logs -n, default 50 */
        bool json;        /* status --json */
        char **argv;      /* exec: NULL-terminated, points into the packet */
        int fds[3];       /* stdio passed by the client (exec), -1 if none; a
                             handler that keeps one sets it to -1 here */
};

/* Parse a request packet (buf is modified: words point into it).
 * On error returns -EINVAL and sets *ret_why to a message for the client
 * that quotes the offending word ("kill: \"SIGNOPE\" is not a signal name
 * or number"); it stays valid until the next call in the same thread. */
int ctl_request_parse(char *buf, size_t len, struct ctl_request *ret, char **argv_space,
                      size_t argv_space_len, const char **ret_why);

/* Build a request packet from command-line words (for corralctl).  Checks the
 * grammar so the client can report usage errors itself.  -EINVAL + why. */
int ctl_request_encode(char *const *words, size_t n, char *buf, size_t cap, size_t *ret_len,
                       const char **ret_why);

const char *ctl_cmd_to_string(enum ctl_cmd c);

/* A growing reply buffer: stdout text, stderr text, exit status. */
struct ctl_reply {
        char *out;
        size_t out_len, out_cap;
        char *err;
        size_t err_len, err_cap;
        int status;
        bool oom;
        bool deferred; /* set by the handler: it keeps the connection and
                          answers later with ctl_send_reply() */
};
void ctl_out(struct ctl_reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ctl_err(struct ctl_reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ctl_out_bytes(struct ctl_reply *r, const char *s, size_t n);
void ctl_reply_free(struct ctl_reply *r);

/* One service as shown by status.  pid <= 0: none.  Exit: exited true with
 * code, or signaled true with signal; neither: no last exit.  memory values
 * < 0: unknown or unlimited (null in JSON). */
struct ctl_service_status {
        const char *name;
        const char *state;
        pid_t pid;
        uint64_t uptime_ms;
        unsigned restarts;
        bool exited, signaled;
        int code, signal;
        bool ready;
        const char *cgroup;
        int64_t memory_current, memory_max;
        uint64_t oom_kills;
};

/* Format status as a table or as {"services": [...]} (SPEC 6). */
void ctl_format_status(struct ctl_reply *r, const struct ctl_service_status *v, size_t n, bool json);

/* Server side.  corral's event loop watches ctl_server_fd() (an epoll fd
 * holding the listening socket, a timer and every open connection) and
 * calls ctl_server_dispatch() when it is readable: nothing here blocks.
 * Each request is handed to the handler, whose reply is queued and sent as
 * the client reads it.
 *
 * Clients cannot fill the socket: the listen backlog is SOMAXCONN (capped by
 * net.core.somaxconn), so a burst of clients waits in it rather than being
 * turned away; the table of connections grows as needed up to
 * CTL_MAX_CONNS, and when it is full a new client takes the place of the one
 * that has waited longest for its request (a client whose reply is being
 * sent is never dropped for another; with all of them busy the new one is
 * closed); a connection that makes no progress (no request, or a reply left
 * unread) for CTL_IDLE_TIMEOUT_MS is closed. */
#define CTL_MAX_CONNS 1024
#define CTL_IDLE_TIMEOUT_MS 5000
struct ctl_server;
typedef void (*ctl_handler)(void *userdata, struct ctl_request *req, struct ctl_reply *reply,
                            int conn_fd);
int ctl_server_open(const char *path, ctl_handler handler, void *userdata, struct ctl_server **ret);
int ctl_server_fd(const struct ctl_server *s);
void ctl_server_dispatch(struct ctl_server *s);
/* Idle time after which a connection is closed (CTL_IDLE_TIMEOUT_MS unless
 * set; for tests). */
void ctl_server_set_idle_timeout(struct ctl_server *s, uint32_t ms);
/* Connections open now (deferred ones excepted: their handler owns them). */
size_t ctl_server_connections(const struct ctl_server *s);
/* Answer a deferred request and close conn_fd.  Never waits: meant for a
 * small reply on a connection nothing was sent on yet; what the client's
 * queue does not take at once is lost. */
void ctl_send_reply(int conn_fd, const struct ctl_reply *r);
/* Close every connection and the socket, and unlink it. */
void ctl_server_close(struct ctl_server *s);

/* The payload of a reply's 'x' packet: an exit status 0..255 in at most
 * three decimal digits and nothing else; -EINVAL otherwise. */
int ctl_exit_status_parse(const char *s, size_t n);

/* Client side: send words, print the reply, return the exit status. */
int ctl_client_run(const char *socket_path, char *const *words, size_t n);
/* Read a reply from fd: 'o' text to out_fd, 'e' text to err_fd, packets of
 * other kinds skipped, until the 'x' packet, whose status is returned.
 * CTL_EXIT_FAIL, with a message on err_fd, when the connection ends first
 * or the status is malformed. */
int ctl_client_read_reply(int fd, int out_fd, int err_fd);
