/* The report to corral's own manager never blocks: a manager that stops
 * reading its socket fills the buffer, and corral's loop must go on. */
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"
#include "tap.h"
#include "util.h"

static void on_alarm(int sig) {
        (void)sig;
        static const char m[] = "not ok - notify_outer blocked on a socket nobody reads\nBail out!\n";
        (void)!write(STDOUT_FILENO, m, sizeof m - 1);
        _exit(1);
}

int main(void) {
        char dir[] = "/tmp/corral-outer-XXXXXX";
        if (!mkdtemp(dir))
                skip_all("mkdtemp failed");
        char path[96];
        snprintf(path, sizeof path, "%s/manager", dir);
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
                skip_all("cannot bind a datagram socket");
        setenv("NOTIFY_SOCKET", path, 1);
        notify_outer_init();
        /* Far more datagrams than any socket buffer holds; a blocking send
         * would hang on the first one past the limit, which the alarm turns
         * into a failure instead of a stuck suite. */
        signal(SIGALRM, on_alarm);
        alarm(120);
        int failed = 0;
        for (int i = 0; i < 20000; i++)
                if (notify_outer("STATUS=flooding the manager") < 0)
                        failed++;
        alarm(0);
        ok(1, "20000 reports to a socket nobody reads returned without blocking");
        is_int(failed, 0, "a full manager socket drops the report, it is no error");
        close(fd);
        unlink(path);
        rmdir(dir);
        return done_testing();
}
