/* The control protocol from both ends.  The first byte picks:
 *   0  a request packet, as corral parses it (and corralctl encodes words);
 *   1  reply packets, as corralctl reads them from corral;
 *   2  a request with file descriptors passed along, sent to a real server
 *      socket and answered by it: every passed fd is either taken by the
 *      handler or closed, and the connection is closed in the end. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "fuzz.h"
#include "util.h"

static int devnull(void) {
        static int fd = -1;
        if (fd < 0 && (fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
                abort();
        return fd;
}

static void request(struct fuzz_in *in) {
        const uint8_t *p;
        size_t n = fuzz_take(in, CTL_MAX_REQUEST, &p);
        char *buf = malloc(n ? n : 1);
        char **space = calloc(CTL_MAX_WORDS + 1, sizeof *space);
        FUZZ_ASSERT(buf && space);
        memcpy(buf, p, n);
        struct ctl_request req;
        const char *why = NULL;
        if (ctl_request_parse(buf, n, &req, space, CTL_MAX_WORDS + 1, &why) == 0) {
                FUZZ_ASSERT((unsigned)req.cmd < _CTL_CMD_MAX && req.lines >= 0 && req.lines <= CTL_MAX_LINES);
                FUZZ_ASSERT(req.cmd != CTL_KILL || signal_valid(req.signal));
                FUZZ_ASSERT(!req.name || (strlen(req.name) >= 1 && strlen(req.name) <= 64));
                /* What corral accepts, corralctl would have sent the same. */
                size_t words = 0, len = 0;
                while (space[words])
                        words++;
                char *again = malloc(CTL_MAX_REQUEST);
                FUZZ_ASSERT(again);
                FUZZ_ASSERT(ctl_request_encode(space, words, again, CTL_MAX_REQUEST, &len, &why) == 0);
                FUZZ_ASSERT(len == n && memcmp(again, p, n) == 0);
                free(again);
        } else
                FUZZ_ASSERT(why && *why && strlen(why) < 2 * QUOTE_SIZE);
        free(space);
        free(buf);
}

static void reply(struct fuzz_in *in) {
        int sv[2];
        FUZZ_ASSERT(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
        bool ended = false;
        for (int k = 0; k < 16 && in->n; k++) {
                const uint8_t *p;
                size_t n = fuzz_take(in, fuzz_u16(in) % (CTL_PACKET + 2), &p);
                /* The socket's buffer holds a few packets; more would block. */
                if (send(sv[0], p, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                        break;
                ended |= n > 0 && p[0] == 'x';
        }
        close(sv[0]);
        int st = ctl_client_read_reply(sv[1], devnull(), devnull());
        FUZZ_ASSERT(st >= 0 && st <= 255);
        FUZZ_ASSERT(ended || st == CTL_EXIT_FAIL);
        close(sv[1]);
}

static void handler(void *ud, struct ctl_request *req, struct ctl_reply *r, int conn_fd) {
        (void)ud;
        (void)conn_fd;
        ctl_out(r, "%s %s\n", ctl_cmd_to_string(req->cmd), req->name ? req->name : "-");
        if (req->cmd == CTL_EXEC && req->fds[0] >= 0) {
                /* Taken by the handler, as exec does with the client's stdio. */
                close(req->fds[0]);
                req->fds[0] = -1;
        }
        r->status = req->cmd == CTL_CHECK ? CTL_EXIT_FAIL : 0;
}

static struct ctl_server *server(char *path, size_t size) {
        static struct ctl_server *s;
        static char p[108];
        if (!s) {
                snprintf(p, sizeof p, "/tmp/corral-fuzz-control-%d", (int)getpid());
                unlink(p);
                if (ctl_server_open(p, handler, NULL, &s) < 0)
                        abort();
        }
        snprintf(path, size, "%s", p);
        return s;
}

static void pass_fds(struct fuzz_in *in) {
        char path[108];
        struct ctl_server *s = server(path, sizeof path);
        (void)devnull(); /* opened once, before counting */
        size_t before = fuzz_open_fds();
        int nfds = fuzz_u8(in) % 6;
        const uint8_t *p;
        size_t n = fuzz_take(in, CTL_MAX_REQUEST + 64, &p);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
        int c = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        FUZZ_ASSERT(c >= 0 && connect(c, (struct sockaddr *)&sa, sizeof sa) == 0);
        bool sent = fuzz_send_fds(c, NULL, p, n, devnull(), nfds) == 0;
        /* Serve until the reply's last packet, or the connection's end. */
        for (int round = 0; sent && round < 64; round++) {
                ctl_server_dispatch(s);
                char pkt[CTL_PACKET + 2];
                ssize_t k = recv(c, pkt, sizeof pkt, MSG_DONTWAIT);
                if (k == 0 || (k > 0 && pkt[0] == 'x'))
                        break;
        }
        close(c);
        for (int round = 0; round < 8 && fuzz_open_fds() != before; round++)
                ctl_server_dispatch(s);
        FUZZ_ASSERT(fuzz_open_fds() == before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct fuzz_in in = { data, size };
        signal(SIGPIPE, SIG_IGN);
        switch (fuzz_u8(&in) % 3) {
        case 0:
                request(&in);
                break;
        case 1:
                reply(&in);
                break;
        default:
                pass_fds(&in);
                break;
        }
        return 0;
}
