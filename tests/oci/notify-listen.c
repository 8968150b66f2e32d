/* The outer manager's end of NOTIFY_SOCKET, for the oci tier: binds a
 * datagram socket at PATH and appends each message received to OUT as one
 * line, "SECONDS MESSAGE" (CLOCK_BOOTTIME, the clock of /proc/uptime, so a
 * guest script can order it against what services wrote; the message's
 * newlines become spaces).  Runs until killed. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
        if (argc != 3) {
                fprintf(stderr, "usage: notify-listen PATH OUT\n");
                return 2;
        }
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(argv[1]) >= sizeof sa.sun_path) {
                fprintf(stderr, "notify-listen: path too long\n");
                return 2;
        }
        strcpy(sa.sun_path, argv[1]);
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        unlink(argv[1]);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                perror("notify-listen: bind");
                return 1;
        }
        FILE *out = fopen(argv[2], "a");
        if (!out) {
                perror(argv[2]);
                return 1;
        }
        char buf[4097];
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
                if (n < 0)
                        continue;
                buf[n] = '\0';
                for (ssize_t i = 0; i < n; i++)
                        if (buf[i] == '\n' || buf[i] == '\0')
                                buf[i] = ' ';
                struct timespec ts;
                clock_gettime(CLOCK_BOOTTIME, &ts);
                fprintf(out, "%lld.%02ld %s\n", (long long)ts.tv_sec, ts.tv_nsec / 10000000, buf);
                fflush(out);
        }
}
