/* sd_notify messages: parsing, the server's credentials, the upward sender. */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "notify.h"
#include "tap.h"
#include "util.h"

static void test_parse(void) {
        struct notify_msg m = { .pid = 5 };
        const char msg[] = "READY=1\nSTATUS=serving 3 clients\nMAINPID=1234\nX_UNKNOWN=1\nWATCHDOG=1";
        notify_parse(msg, sizeof msg - 1, &m);
        ok(m.ready && m.watchdog && !m.stopping, "READY=1 and WATCHDOG=1 seen");
        is_str(m.status, "serving 3 clients", "STATUS= kept");
        is_int(m.mainpid, 1234, "MAINPID= parsed");
        is_int(m.pid, 5, "sender kept");
        notify_parse("READY=0\nMAINPID=12x\nSTOPPING=1\n", 30, &m);
        ok(!m.ready && m.stopping && m.mainpid == 0, "READY=0 is not ready, bad MAINPID ignored");
}

/* MAINPID= takes a pid the kernel could have handed out, or nothing: a
 * value that wraps when cast to pid_t must not name another process. */
static void test_mainpid(void) {
        char max[32], over[32];
        long pid_max = 0;
        FILE *f = fopen("/proc/sys/kernel/pid_max", "re");
        if (!f || fscanf(f, "%ld", &pid_max) != 1)
                pid_max = NOTIFY_PID_MAX;
        if (f)
                fclose(f);
        snprintf(max, sizeof max, "%ld", pid_max - 1);
        snprintf(over, sizeof over, "%ld", pid_max);
        const struct {
                const char *v;
                pid_t want;
        } cases[] = {
                { "1", 1 },
                { max, (pid_t)(pid_max - 1) }, /* pids are below pid_max */
                { over, 0 },
                { "4194305", 0 },         /* above any pid_max */
                { "4294967297", 0 },      /* 2^32 + 1 was pid 1 */
                { "2147483648", 0 },      /* 2^31 was negative */
                { "18446744073709551617", 0 },
                { "0", 0 },
                { "-1", 0 },
                { "+1", 0 },
                { " 1", 0 },
                { "1 ", 0 },
                { "", 0 },
                { "0x10", 0 },
        };
        bool all = true;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char msg[64];
                struct notify_msg m = { .pid = 5 };
                int n = snprintf(msg, sizeof msg, "MAINPID=%s", cases[i].v);
                notify_parse(msg, (size_t)n, &m);
                if (m.mainpid != cases[i].want) {
                        printf("# MAINPID=%s gave %d, want %d\n", cases[i].v, (int)m.mainpid, (int)cases[i].want);
                        all = false;
                }
        }
        ok(all, "MAINPID= outside 1..%ld is ignored", pid_max - 1);
}

/* STATUS= ends up on an administrator's terminal (corralctl status). */
static void test_status(void) {
        struct notify_msg m = { .pid = 5 };
        const char msg[] = "STATUS=a\x1b]0;owned\x07" "b\x7f\rc\tdone";
        notify_parse(msg, sizeof msg - 1, &m);
        is_str(m.status, "a?]0;owned?b??c?done", "control bytes of STATUS= are made '?'");
}

static int send_to(const char *path, const char *text) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        strcpy(sa.sun_path, path);
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        int r = (int)sendto(fd, text, strlen(text), 0, (struct sockaddr *)&sa, sizeof sa);
        close(fd);
        return r;
}

static void test_server(const char *dir) {
        char path[256];
        snprintf(path, sizeof path, "%s/notify", dir);
        struct notify_server *s;
        if (!ok(notify_server_open(path, &s) == 0, "server opens"))
                return;
        struct notify_msg m;
        is_int(notify_server_recv(s, &m), 0, "nothing pending");
        pid_t pid = fork();
        if (pid == 0)
                _exit(send_to(path, "READY=1\nSTATUS=up") < 0);
        int st;
        waitpid(pid, &st, 0);
        is_int(notify_server_recv(s, &m), 1, "message received");
        ok(m.ready, "READY=1 from the child");
        is_int(m.pid, pid, "sender pid from its credentials");
        notify_server_close(s);
        ok(access(path, F_OK) < 0, "socket removed");
}

static void test_outer(const char *dir) {
        char path[256];
        snprintf(path, sizeof path, "%s/outer", dir);
        struct notify_server *s;
        notify_server_open(path, &s);
        setenv("NOTIFY_SOCKET", path, 1);
        notify_outer_init();
        ok(getenv("NOTIFY_SOCKET") == NULL, "NOTIFY_SOCKET removed from corral's environment");
        is_int(notify_outer("READY=1"), 0, "READY=1 sent upward");
        struct notify_msg m;
        ok(notify_server_recv(s, &m) == 1 && m.ready && m.pid == getpid(), "manager sees READY=1 from corral");
        notify_server_close(s);
}

int main(void) {
        plan(16);
        test_parse();
        test_mainpid();
        test_status();
        char dir[] = "/tmp/corral-notify-XXXXXX";
        if (!mkdtemp(dir))
                return 1;
        test_server(dir);
        test_outer(dir);
        rmdir(dir);
        return done_testing();
}
