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

/* Offsets from SIGRTMIN, for names of the realtime signals. */
static const char *const rtnames[] = {
        "RTMIN",    "RTMIN+1",  "RTMIN+2",  "RTMIN+3",  "RTMIN+4",  "RTMIN+5",  "RTMIN+6",  "RTMIN+7",
        "RTMIN+8",  "RTMIN+9",  "RTMIN+10", "RTMIN+11", "RTMIN+12", "RTMIN+13", "RTMIN+14", "RTMIN+15",
        "RTMIN+16", "RTMIN+17", "RTMIN+18", "RTMIN+19", "RTMIN+20", "RTMIN+21", "RTMIN+22", "RTMIN+23",
        "RTMIN+24", "RTMIN+25", "RTMIN+26", "RTMIN+27", "RTMIN+28", "RTMIN+29", "RTMIN+30", "RTMIN+31",
};

bool signal_valid(int sig) {
        /* Between the last standard signal and SIGRTMIN, glibc keeps a few
         * realtime signals for its threads (SIGCANCEL, SIGSETXID): sending
         * them to a service would hit its libc, not its handlers. */
        return (sig > 0 && sig <= SIGSYS) || (sig >= SIGRTMIN && sig <= SIGRTMAX);
}

const char *signal_name(int sig) {
        if (!signal_valid(sig))
                return NULL;
        if (sig == SIGRTMAX)
                return "RTMAX";
        if (sig >= SIGRTMIN)
                return sig - SIGRTMIN < (int)ARRAY_SIZE(rtnames) ? rtnames[sig - SIGRTMIN] : NULL;
        return (size_t)sig < ARRAY_SIZE(signames) ? signames[sig] : NULL;
}

/* Digits only (no sign, space or base prefix), at most max; -1 otherwise. */
static int parse_small(const char *s, int max) {
        int v = 0;
        if (!*s)
                return -1;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -1;
                v = v * 10 + (*s - '0');
                if (v > max)
                        return -1;
        }
        return v;
}

int signal_parse(const char *s) {
        if (!s || !*s)
                return -EINVAL;
        if (*s >= '0' && *s <= '9') {
                int v = parse_small(s, SIGRTMAX);
                return signal_valid(v) ? v : -EINVAL;
        }
        if (strncmp(s, "SIG", 3) == 0)
                s += 3;
        for (size_t i = 1; i < ARRAY_SIZE(signames); i++)
                if (signames[i] && streq(signames[i], s))
                        return (int)i;
        int span = SIGRTMAX - SIGRTMIN, off;
        if (streq(s, "RTMIN"))
                return SIGRTMIN;
        if (streq(s, "RTMAX"))
                return SIGRTMAX;
        if (strncmp(s, "RTMIN+", 6) == 0 && (off = parse_small(s + 6, span)) >= 0)
                return SIGRTMIN + off;
        if (strncmp(s, "RTMAX-", 6) == 0 && (off = parse_small(s + 6, span)) >= 0)
                return SIGRTMAX - off;
        return -EINVAL;
}

const char *quote(char *buf, size_t size, const char *s) {
        static const char hex[] = "0123456789abcdef";
        size_t n = 0;
        if (!s)
                return snprintf(buf, size, "(none)"), buf;
        /* Room for the closing quote, "..." and the NUL. */
        size_t room = size - 5;
        buf[n++] = '"';
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                char e[5];
                size_t k = 0;
                if (c == '"' || c == '\\')
                        e[k++] = '\\', e[k++] = (char)c;
                else if (c == '\n' || c == '\t' || c == '\r')
                        e[k++] = '\\', e[k++] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
                else if (c < 0x20 || c == 0x7f)
                        e[k++] = '\\', e[k++] = 'x', e[k++] = hex[c >> 4], e[k++] = hex[c & 15];
                else
                        e[k++] = (char)c;
                if (n + k > room) {
                        memcpy(buf + n, "\"...", 5);
                        return buf;
                }
                memcpy(buf + n, e, k);
                n += k;
        }
        buf[n++] = '"';
        buf[n] = 0;
        return buf;
}
