#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <time.h>

#include "util.h"

int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                close(fd);
                errno = saved;
        }
        return -1;
}

int write_all(int fd, const void *buf, size_t len) {
        const char *p = buf;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int read_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return read_fd(fd, max, ret, ret_len);
}

int read_fd(int fd, size_t max, char **ret, size_t *ret_len) {
        size_t cap = 4096, len = 0;
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len + 1 >= cap) {
                        if (cap > max + 1)
                                return -EFBIG;
                        size_t ncap = cap * 2;
                        char *nb = realloc(buf, ncap);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                        cap = ncap;
                }
                ssize_t n = read(fd, buf + len, cap - len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

int write_file_at(int dirfd, const char *path, const char *value) {
        _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        size_t len = strlen(value);
        ssize_t n;
        do
                n = write(fd, value, len);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if ((size_t)n != len)
                return -EIO;
        return 0;
}

char *xasprintf(const char *fmt, ...) {
        va_list ap;
        char *s;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

void *grow_array(void *v, size_t *cap, size_t need, size_t elem, size_t initial) {
        if (need <= *cap)
                return v;
        size_t ncap = *cap ? *cap : initial;
        while (ncap < need) {
                if (ncap > SIZE_MAX / 2)
                        return NULL;
                ncap *= 2;
        }
        if (ncap > SIZE_MAX / elem)
                return NULL;
        void *nv = realloc(v, ncap * elem);
        if (nv)
                *cap = ncap;
        return nv;
}

uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *const signames[] = {
        [SIGHUP] = "HUP",     [SIGINT] = "INT",       [SIGQUIT] = "QUIT",   [SIGILL] = "ILL",
        [SIGTRAP] = "TRAP",   [SIGABRT] = "ABRT",     [SIGBUS] = "BUS",     [SIGFPE] = "FPE",
        [SIGKILL] = "KILL",   [SIGUSR1] = "USR1",     [SIGSEGV] = "SEGV",   [SIGUSR2] = "USR2",
        [SIGPIPE] = "PIPE",   [SIGALRM] = "ALRM",     [SIGTERM] = "TERM",   [SIGSTKFLT] = "STKFLT",
        [SIGCHLD] = "CHLD",   [SIGCONT] = "CONT",     [SIGSTOP] = "STOP",   [SIGTSTP] = "TSTP",
        [SIGTTIN] = "TTIN",   [SIGTTOU] = "TTOU",     [SIGURG] = "URG",     [SIGXCPU] = "XCPU",
        [SIGXFSZ] = "XFSZ",   [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF",   [SIGWINCH] = "WINCH",
        [SIGIO] = "IO",       [SIGPWR] = "PWR",       [SIGSYS] = "SYS",
};

const char *signal_name(int sig) {
        if (sig <= 0 || (size_t)sig >= ARRAY_SIZE(signames))
                return NULL;
        return signames[sig];
}

int signal_parse(const char *s) {
        if (!s || !*s)
                return -EINVAL;
        if (*s >= '0' && *s <= '9') {
                char *end;
                errno = 0;
                long v = strtol(s, &end, 10);
                if (errno || *end || v <= 0 || v >= NSIG)
                        return -EINVAL;
                return (int)v;
        }
        if (strncmp(s, "SIG", 3) == 0)
                s += 3;
        for (size_t i = 1; i < ARRAY_SIZE(signames); i++)
                if (signames[i] && streq(signames[i], s))
                        return (int)i;
        if (strncmp(s, "RTMIN+", 6) == 0) {
                char *end;
                long v = strtol(s + 6, &end, 10);
                if (!*end && v >= 0 && SIGRTMIN + v <= SIGRTMAX)
                        return SIGRTMIN + (int)v;
        }
        return -EINVAL;
}
