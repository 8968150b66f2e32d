/* sd_notify datagrams.  The first byte picks:
 *   0  notify_parse() on the rest, as the server calls it;
 *   1  the rest sent as a datagram (with fds passed along when the second
 *      byte says so) to a real notify socket: the server reads it, closes
 *      every passed fd, and parses it. */
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fuzz.h"
#include "notify.h"
#include "util.h"

static void check(const struct notify_msg *m, pid_t pid) {
        FUZZ_ASSERT(m->pid == pid);
        FUZZ_ASSERT(m->mainpid >= 0 && m->mainpid < NOTIFY_PID_MAX);
        FUZZ_ASSERT(memchr(m->status, 0, sizeof m->status) != NULL);
        for (const char *c = m->status; *c; c++)
                FUZZ_ASSERT((unsigned char)*c >= 0x20 && *c != 0x7f);
}

static void parse(struct fuzz_in *in) {
        const uint8_t *p;
        size_t n = fuzz_take(in, NOTIFY_MAX_MESSAGE, &p);
        /* A copy of its own size, so that ASan sees a read past the end. */
        char *buf = malloc(n ? n : 1);
        FUZZ_ASSERT(buf);
        memcpy(buf, p, n);
        struct notify_msg m = { .pid = 42, .uid = 7 };
        FUZZ_ASSERT(notify_parse(buf, n, &m) == 0);
        check(&m, 42);
        FUZZ_ASSERT(m.uid == 7);
        free(buf);
}

static struct notify_server *server(char *path, size_t size) {
        static struct notify_server *s;
        if (!s) {
                char p[108];
                snprintf(p, sizeof p, "/tmp/corral-fuzz-notify-%d", (int)getpid());
                if (notify_server_open(p, &s) < 0)
                        abort();
        }
        snprintf(path, size, "%s", notify_server_path(s));
        return s;
}

static void datagram(struct fuzz_in *in) {
        char path[108];
        struct notify_server *s = server(path, sizeof path);
        size_t before = fuzz_open_fds();
        int nfds = fuzz_u8(in) % 20;
        const uint8_t *p;
        size_t n = fuzz_take(in, NOTIFY_MAX_MESSAGE + 16, &p);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
        int c = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        FUZZ_ASSERT(c >= 0);
        bool sent = fuzz_send_fds(c, &sa, p, n, c, nfds) == 0;
        close(c);
        struct notify_msg m;
        int r, got = 0;
        while ((r = notify_server_recv(s, &m)) > 0) {
                check(&m, getpid());
                got++;
        }
        FUZZ_ASSERT(r == 0);
        /* Too long a message is dropped whole; anything else arrives. */
        FUZZ_ASSERT(got == (sent && n <= NOTIFY_MAX_MESSAGE));
        FUZZ_ASSERT(fuzz_open_fds() == before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct fuzz_in in = { data, size };
        if (fuzz_u8(&in) % 2 == 0)
                parse(&in);
        else
                datagram(&in);
        return 0;
}
