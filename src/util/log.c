#include <stdarg.h>

#include "log.h"

enum log_level log_max_level = LOG_LVL_INFO;

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

void log_msg(enum log_level level, const char *fmt, ...) {
        if (level > log_max_level)
                return;
        /* One write(2) per message so lines from corral and its services
         * never interleave mid-line on a shared console. */
        char buf[4096];
        int saved = errno;
        int n = snprintf(buf, sizeof buf, "corral: %s: ", level_names[level]);
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
        va_end(ap);
        size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
        if (len > sizeof buf - 2)
                len = sizeof buf - 2;
        buf[len++] = '\n';
        (void)write_all(STDERR_FILENO, buf, len);
        errno = saved;
}
