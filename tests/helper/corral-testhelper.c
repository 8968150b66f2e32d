/* The workload of corral's integration tests: one small program whose
 * first argument selects what it does.  Run without arguments for the list. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static __attribute__((noreturn)) void sleep_forever(void) {
        for (;;)
                pause();
}

static unsigned long long mono_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
}

/* One write(2) with O_APPEND, so lines of concurrent writers never mix. */
static void append(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(const char *file, const char *fmt, ...) {
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0 || n < 0 || write(fd, buf, (size_t)n) != n) {
                perror(file);
                exit(99);
        }
        close(fd);
}

static int mode_orphans(int n) {
        for (int i = 0; i < n; i++) {
                int p[2];
                if (pipe(p) < 0)
                        return 1;
                pid_t mid = fork();
                if (mid < 0)
                        return 1;
                if (mid == 0) {
                        pid_t g = fork();
                        if (g == 0) {
                                /* Wait for the parent's end (EOF), so that
                                 * this process is an orphan when it exits. */
                                char c;
                                close(p[1]);
                                while (read(p[0], &c, 1) > 0)
                                        ;
                                _exit(0);
                        }
                        _exit(g < 0 ? 1 : 0);
                }
                close(p[0]);
                close(p[1]);
                waitpid(mid, NULL, 0);
        }
        printf("made %d orphans\n", n);
        return 0;
}

/* One orphan that writes its new parent's pid to file, then ends; the
 * caller waits for the file so that the orphan was reparented first. */
static int mode_orphan_ppid(const char *file) {
        int p[2];
        if (pipe(p) < 0)
                return 1;
        pid_t mid = fork();
        if (mid == 0) {
                pid_t first = getpid();
                if (fork() == 0) {
                        char c;
                        close(p[1]);
                        while (read(p[0], &c, 1) > 0)
                                ;
                        /* The pipe reaches EOF when the middle process closes
                         * its fds, which the kernel does before it reparents
                         * this one: wait for the new parent (up to 10 s). */
                        for (int i = 0; i < 10000 && getppid() == first; i++)
                                usleep(1000);
                        append(file, "%d\n", (int)getppid());
                        _exit(0);
                }
                _exit(0);
        }
        close(p[0]);
        close(p[1]);
        waitpid(mid, NULL, 0);
        for (int i = 0; i < 1000 && access(file, F_OK) < 0; i++)
                usleep(10000);
        return access(file, F_OK) == 0 ? 0 : 1;
}

static int mode_flood(long long bytes) {
        static char payload[101];
        memset(payload, 'x', 100);
        char line[160];
        long long done = 0;
        for (int seq = 0; done < bytes; seq++) {
                int n = snprintf(line, sizeof line, "seq=%08d %s\n", seq, payload);
                if (fwrite(line, 1, (size_t)n, stdout) != (size_t)n)
                        return 1;
                done += n;
        }
        return fflush(stdout) == 0 ? 0 : 1;
}

static int mode_signal_report(const char *file) {
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        printf("ready\n");
        fflush(stdout);
        if (file)
                append(file, "ready\n");
        for (;;) {
                int sig = sigwaitinfo(&all, NULL);
                if (sig < 0)
                        continue;
                const char *name = sigabbrev_np(sig);
                printf("SIG%s\n", name ? name : "?");
                fflush(stdout);
                if (file)
                        append(file, "SIG%s\n", name ? name : "?");
                if (sig == SIGTERM || sig == SIGINT) {
                        /* End by that signal, as an unprepared program would. */
                        signal(sig, SIG_DFL);
                        sigprocmask(SIG_UNBLOCK, &all, NULL);
                        raise(sig);
                        return 1;
                }
        }
}

static const char *record_file, *record_name;
static void record_stop(int sig) {
        (void)sig;
        append(record_file, "stop %s %llu\n", record_name, mono_ms());
        _exit(0);
}

static int mode_record(const char *file, const char *name) {
        record_file = file;
        record_name = name;
        signal(SIGTERM, record_stop);
        append(file, "start %s %llu\n", name, mono_ms());
        sleep_forever();
        return 0;
}

static int print_file(const char *path, const char *prefix) {
        FILE *f = fopen(path, "re");
        if (!f)
                return 1;
        char line[4096];
        while (fgets(line, sizeof line, f))
                if (!prefix || strncmp(line, prefix, strlen(prefix)) == 0)
                        fputs(line, stdout);
        fclose(f);
        return 0;
}

static int mode_print_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        if (!d)
                return 1;
        struct dirent *de;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d))
                        printf("fd %s\n", de->d_name);
        closedir(d);
        return 0;
}

/* Each open fd and what it points at, "N TARGET" per line, appended to
 * file once the listing is closed (so that neither shows up in it). */
static int mode_list_fds(const char *file) {
        char out[8192];
        size_t len = 0;
        DIR *d = opendir("/proc/self/fd");
        if (!d)
                return 1;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
                        continue;
                char target[PATH_MAX];
                ssize_t n = readlinkat(dirfd(d), de->d_name, target, sizeof target - 1);
                target[n > 0 ? n : 0] = '\0';
                int w = snprintf(out + len, sizeof out - len, "%s %s\n", de->d_name, target);
                if (w > 0 && (size_t)w < sizeof out - len)
                        len += (size_t)w;
        }
        closedir(d);
        append(file, "%.*s", (int)len, out);
        return 0;
}

static int mode_print_ns(void) {
        static const char *const ns[] = { "cgroup", "ipc", "mnt", "net", "pid", "user", "uts" };
        for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
                char path[64], target[128];
                snprintf(path, sizeof path, "/proc/self/ns/%s", ns[i]);
                ssize_t n = readlink(path, target, sizeof target - 1);
                if (n > 0) {
                        target[n] = '\0';
                        printf("%s %s\n", ns[i], target);
                }
        }
        return 0;
}

/* Zombies in this PID namespace other than ourselves. */
static int count_zombies(void) {
        DIR *d = opendir("/proc");
        if (!d)
                return 255;
        int zombies = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                int pid = atoi(de->d_name);
                if (pid <= 0 || pid == getpid())
                        continue;
                char path[64], buf[512];
                snprintf(path, sizeof path, "/proc/%d/stat", pid);
                FILE *f = fopen(path, "re");
                if (!f)
                        continue;
                size_t n = fread(buf, 1, sizeof buf - 1, f);
                fclose(f);
                buf[n] = '\0';
                char *close_paren = strrchr(buf, ')');
                if (close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z')
                        zombies++;
        }
        closedir(d);
        return zombies;
}

/* A zombie may exist for a moment before its reaper runs: count until
 * none is left or timeout_ms passed, and report the last count. */
static int mode_count_zombies(long timeout_ms) {
        unsigned long long deadline = mono_ms() + (unsigned long long)timeout_ms;
        int z;
        while ((z = count_zombies()) > 0 && mono_ms() < deadline)
                usleep(10000);
        printf("zombies %d\n", z);
        return z > 254 ? 254 : z;
}

static int mode_eat_memory(long mb) {
        for (long i = 0; i < mb; i++) {
                char *p = malloc(1 << 20);
                if (!p)
                        return 1;
                memset(p, 1, 1 << 20);
        }
        printf("ate %ld MB\n", mb);
        fflush(stdout);
        sleep_forever();
        return 0;
}

static int mode_fork_bomb(void) {
        long n = 0;
        for (;;) {
                pid_t p = fork();
                if (p == 0)
                        sleep_forever();
                if (p < 0)
                        break;
                n++;
        }
        printf("forked %ld, then: %s\n", n, strerror(errno));
        fflush(stdout);
        sleep_forever();
        return 0;
}

/* sd_notify(3) by hand: READY=1 to $NOTIFY_SOCKET after delay_ms, then
 * sleep; the time of sending is appended to file when given. */
static int mode_notify_ready(long delay_ms, const char *file) {
        const char *path = getenv("NOTIFY_SOCKET");
        if (!path || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
                return 3;
        usleep((useconds_t)delay_ms * 1000);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        strcpy(sa.sun_path, path);
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (file)
                append(file, "ready-sent %llu\n", mono_ms());
        if (fd < 0 || sendto(fd, "READY=1\nSTATUS=up", 17, 0, (struct sockaddr *)&sa, sizeof sa) < 0)
                return 4;
        sleep_forever();
}

static __attribute__((noreturn)) void usage(void) {
        fputs("usage: corral-testhelper MODE [ARGS]\n"
              "  exit N | sleep-forever | ignore-term [FILE] | orphans N | orphan-ppid FILE\n"
              "  flood BYTES\n"
              "  signal-report [FILE] | print-env | print-fds | list-fds FILE | print-sigmask\n"
              "  append-line FILE TEXT [exit N] | record FILE NAME | stamp FILE [EXIT]\n"
              "  notify-ready DELAY_MS [FILE]\n"
              "  count-zombies [TIMEOUT_MS] | eat-memory MB | fork-bomb | print-cgroup | print-ns\n",
              stderr);
        exit(2);
}

int main(int argc, char **argv) {
        if (argc < 2)
                usage();
        const char *m = argv[1];
        const char *a2 = argc > 2 ? argv[2] : NULL, *a3 = argc > 3 ? argv[3] : NULL;

        if (!strcmp(m, "exit") && a2)
                return atoi(a2);
        if (!strcmp(m, "sleep-forever"))
                sleep_forever();
        if (!strcmp(m, "ignore-term")) {
                signal(SIGTERM, SIG_IGN);
                printf("ready\n");
                fflush(stdout);
                if (a2)
                        append(a2, "ready\n");
                sleep_forever();
        }
        if (!strcmp(m, "orphans") && a2)
                return mode_orphans(atoi(a2));
        if (!strcmp(m, "orphan-ppid") && a2)
                return mode_orphan_ppid(a2);
        if (!strcmp(m, "flood") && a2)
                return mode_flood(atoll(a2));
        if (!strcmp(m, "signal-report"))
                return mode_signal_report(a2);
        if (!strcmp(m, "print-env")) {
                for (char **e = environ; *e; e++)
                        puts(*e);
                return 0;
        }
        if (!strcmp(m, "print-fds"))
                return mode_print_fds();
        if (!strcmp(m, "list-fds") && a2)
                return mode_list_fds(a2);
        if (!strcmp(m, "print-sigmask"))
                return print_file("/proc/self/status", "Sig");
        if (!strcmp(m, "append-line") && a3) {
                append(a2, "%s\n", a3);
                if (argc > 5 && !strcmp(argv[4], "exit"))
                        return atoi(argv[5]);
                sleep_forever();
        }
        if (!strcmp(m, "record") && a3)
                return mode_record(a2, a3);
        if (!strcmp(m, "stamp") && a2) {
                append(a2, "%llu\n", mono_ms());
                return a3 ? atoi(a3) : 1;
        }
        if (!strcmp(m, "notify-ready") && a2)
                return mode_notify_ready(atol(a2), a3);
        if (!strcmp(m, "count-zombies"))
                return mode_count_zombies(a2 ? atol(a2) : 5000);
        if (!strcmp(m, "eat-memory") && a2)
                return mode_eat_memory(atol(a2));
        if (!strcmp(m, "fork-bomb"))
                return mode_fork_bomb();
        if (!strcmp(m, "print-cgroup"))
                return print_file("/proc/self/cgroup", NULL);
        if (!strcmp(m, "print-ns"))
                return mode_print_ns();
        usage();
}
