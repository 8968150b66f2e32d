#include <stdarg.h>

#include "log.h"

enum log_level log_max_level = LOG_LVL_INFO;

static log_sink_fn sink_fn;
static void *sink_ud;
static pid_t sink_tid; /* the thread that set it: the only one it serves */

static const char *const level_names[] = {
        [LOG_LVL_ERROR] = "error",
        [LOG_LVL_WARN] = "warn",
        [LOG_LVL_INFO] = "info",
        [LOG_LVL_DEBUG] = "debug",
};

int log_level_parse(const char *s) {
        for (size_t i = 0; i < ARRAY_SIZE(level_names); i++)
                if (streq(s, level_names[i]))
                        return (int)i;
        return -EINVAL;
}

const char *log_level_name(enum log_level l) {
        return (size_t)l < ARRAY_SIZE(level_names) ? level_names[l] : "?";
}

void log_set_sink(log_sink_fn fn, void *ud) {
        sink_fn = fn;
        sink_ud = ud;
        sink_tid = fn ? gettid() : 0;
}

static size_t format_v(char *buf, size_t cap, enum log_level level, const char *fmt, va_list ap) {
        int n = snprintf(buf, cap - 1, "corral: %s: ", log_level_name(level));
        size_t len = n < 0 ? 0 : (size_t)n;
        if (len > cap - 2)
                len = cap - 2;
        int m = vsnprintf(buf + len, cap - 1 - len, fmt, ap);
        len += m < 0 ? 0 : (size_t)m;
        if (len > cap - 2)
                len = cap - 2;
        /* A line ends where it ends: a newline inside the message would let
         * it pass for more than one line of corral's. */
        for (size_t i = 0; i < len; i++)
                if (buf[i] == '\n')
                        buf[i] = ' ';
        buf[len++] = '\n';
        return len;
}

size_t log_format(char *buf, size_t cap, enum log_level level, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        size_t len = format_v(buf, cap, level, fmt, ap);
        va_end(ap);
        return len;
}

void log_msg(enum log_level level, const char *fmt, ...) {
        if (level > log_max_level)
                return;
        char buf[LOG_LINE_MAX];
        int saved = errno;
        va_list ap;
        va_start(ap, fmt);
        size_t len = format_v(buf, sizeof buf, level, fmt, ap);
        va_end(ap);
        /* Whole lines, one write(2) or one sink call each, so that corral's
         * lines and its services' never interleave mid-line. */
        if (sink_fn && gettid() == sink_tid)
                sink_fn(sink_ud, buf, len);
        else
                (void)write_all(STDERR_FILENO, buf, len);
        errno = saved;
}
