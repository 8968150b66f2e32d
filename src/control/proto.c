/* Request grammar and reply formatting of the control protocol: pure
 * functions, shared by corral and corralctl. */
#include <inttypes.h>
#include <stdarg.h>

#include "control.h"
#include "util.h"

static const char *const cmd_names[_CTL_CMD_MAX] = {
        [CTL_STATUS] = "status", [CTL_START] = "start",   [CTL_STOP] = "stop",
        [CTL_RESTART] = "restart", [CTL_KILL] = "kill",   [CTL_RELOAD] = "reload",
        [CTL_LOGS] = "logs",     [CTL_CHECK] = "check",   [CTL_REOPEN] = "reopen",
        [CTL_EXEC] = "exec",     [CTL_SHUTDOWN] = "shutdown",
};

const char *ctl_cmd_to_string(enum ctl_cmd c) {
        return (size_t)c < _CTL_CMD_MAX ? cmd_names[c] : "?";
}

static int cmd_from_string(const char *s) {
        for (int i = 0; i < _CTL_CMD_MAX; i++)
                if (streq(cmd_names[i], s))
                        return i;
        return -1;
}

static bool valid_name(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > 64)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                      *s == '_' || *s == '.' || *s == '-'))
                        return false;
        return true;
}

/* Messages that quote a word of the request are built here: one request is
 * parsed at a time per thread, and the message is read before the next. */
static _Thread_local char why_buf[2 * QUOTE_SIZE];

_printf_(2, 3) static int refuse(const char **why, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why_buf, sizeof why_buf, fmt, ap);
        va_end(ap);
        *why = why_buf;
        return -EINVAL;
}

/* Split a packet of NUL-terminated words into w (capacity cap, last slot NULL). */
static int split_words(char *buf, size_t len, char **w, size_t cap, size_t *ret_n, const char **why) {
        if (len == 0 || buf[len - 1] != '\0')
                return refuse(why, "malformed request");
        size_t n = 0;
        for (size_t i = 0; i < len; i += strlen(buf + i) + 1) {
                if (n + 1 >= cap)
                        return refuse(why, "request has more than %zu words", cap - 1);
                w[n++] = buf + i;
        }
        w[n] = NULL;
        *ret_n = n;
        return 0;
}

/* The NAME argument of cmd; a usage message ("usage: CMD ARGS") when
 * missing. */
static int name_arg(enum ctl_cmd cmd, char **w, size_t n, const char *args, struct ctl_request *r,
                    const char **why) {
        if (n < 2)
                return refuse(why, "usage: %s %s", cmd_names[cmd], args);
        if (!valid_name(w[1]))
                return refuse(why, "%s: %s is not a service name", cmd_names[cmd], QUOTED(w[1]));
        r->name = w[1];
        return 0;
}

/* logs NAME [-n N]: N in decimal digits, at most CTL_MAX_LINES. */
static int parse_lines(char **w, size_t n, struct ctl_request *r, const char **why) {
        if (n == 2)
                return 0;
        if (n != 4 || !streq(w[2], "-n"))
                return refuse(why, "usage: logs NAME [-n N]");
        long v = 0;
        const char *p = w[3];
        for (; *p >= '0' && *p <= '9' && v <= CTL_MAX_LINES; p++)
                v = v * 10 + (*p - '0');
        if (p == w[3] || *p || v > CTL_MAX_LINES)
                return refuse(why, "logs: -n: %s is not a number of lines (0 to %d)", QUOTED(w[3]), CTL_MAX_LINES);
        r->lines = v;
        return 0;
}

static int parse_args(enum ctl_cmd cmd, char **w, size_t n, struct ctl_request *r, const char **why) {
        int k;
        switch (cmd) {
        case CTL_STATUS:
                for (size_t i = 1; i < n; i++) {
                        if (streq(w[i], "--json"))
                                r->json = true;
                        else if (r->name)
                                return refuse(why, "usage: status [NAME] [--json]");
                        else if (valid_name(w[i]))
                                r->name = w[i];
                        else
                                return refuse(why, "status: %s is not a service name", QUOTED(w[i]));
                }
                return 0;
        case CTL_START: case CTL_STOP: case CTL_RESTART: case CTL_CHECK:
                if (n > 2)
                        return refuse(why, "usage: %s NAME", cmd_names[cmd]);
                return name_arg(cmd, w, n, "NAME", r, why);
        case CTL_KILL:
                if (n != 3)
                        return refuse(why, "usage: kill NAME SIGNAL");
                if ((k = name_arg(cmd, w, n, "NAME SIGNAL", r, why)) < 0)
                        return k;
                r->signal = signal_parse(w[2]);
                if (r->signal < 0)
                        return refuse(why, "kill: %s is not a signal name or number", QUOTED(w[2]));
                return 0;
        case CTL_RELOAD: case CTL_REOPEN: case CTL_SHUTDOWN:
                if (n != 1)
                        return refuse(why, "usage: %s (no arguments)", cmd_names[cmd]);
                return 0;
        case CTL_LOGS:
                if ((k = name_arg(cmd, w, n, "NAME [-n N]", r, why)) < 0)
                        return k;
                return parse_lines(w, n, r, why);
        case CTL_EXEC:
                if ((k = name_arg(cmd, w, n, "NAME -- COMMAND [ARG...]", r, why)) < 0)
                        return k;
                if (n < 4 || !streq(w[2], "--"))
                        return refuse(why, "usage: exec NAME -- COMMAND [ARG...]");
                r->argv = w + 3;
                return 0;
        default:
                return refuse(why, "unknown command");
        }
}

int ctl_request_parse(char *buf, size_t len, struct ctl_request *ret, char **argv_space,
                      size_t argv_space_len, const char **ret_why) {
        size_t n = 0;
        int r = split_words(buf, len, argv_space, argv_space_len, &n, ret_why);
        if (r < 0)
                return r;
        int cmd = cmd_from_string(argv_space[0]);
        if (cmd < 0)
                return refuse(ret_why, "unknown command %s", QUOTED(argv_space[0]));
        struct ctl_request req = { .cmd = cmd, .lines = 50, .fds = { -1, -1, -1 } };
        r = parse_args(cmd, argv_space, n, &req, ret_why);
        if (r < 0)
                return r;
        *ret = req;
        return 0;
}

int ctl_request_encode(char *const *words, size_t n, char *buf, size_t cap, size_t *ret_len,
                       const char **ret_why) {
        size_t len = 0;
        if (n == 0)
                return refuse(ret_why, "no command given");
        for (size_t i = 0; i < n; i++) {
                size_t l = strlen(words[i]) + 1;
                if (len + l > cap || len + l > CTL_MAX_REQUEST)
                        return refuse(ret_why, "request longer than %d bytes", CTL_MAX_REQUEST);
                memcpy(buf + len, words[i], l);
                len += l;
        }
        /* Check the grammar on a copy, so the client reports usage errors. */
        _cleanup_free_ char *copy = malloc(len);
        _cleanup_free_ char **space = calloc(CTL_MAX_WORDS + 1, sizeof(char *));
        if (!copy || !space)
                return -ENOMEM;
        memcpy(copy, buf, len);
        struct ctl_request req;
        int r = ctl_request_parse(copy, len, &req, space, CTL_MAX_WORDS + 1, ret_why);
        if (r < 0)
                return r;
        *ret_len = len;
        return 0;
}

int ctl_exit_status_parse(const char *s, size_t n) {
        int v = 0;
        if (n == 0 || n > 3)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (s[i] - '0');
        }
        return v <= 255 ? v : -EINVAL;
}

static void buf_append(struct ctl_reply *r, char **b, size_t *len, size_t *cap, const char *s, size_t n) {
        if (*len + n + 1 > *cap) {
                size_t nc = *cap ? *cap : 1024;
                while (nc < *len + n + 1)
                        nc *= 2;
                char *nb = realloc(*b, nc);
                if (!nb) {
                        r->oom = true;
                        return;
                }
                *b = nb;
                *cap = nc;
        }
        memcpy(*b + *len, s, n);
        *len += n;
        (*b)[*len] = '\0';
}

static void buf_vprintf(struct ctl_reply *r, bool err, const char *fmt, va_list ap) {
        char *s;
        int n = vasprintf(&s, fmt, ap);
        if (n < 0) {
                r->oom = true;
                return;
        }
        if (err)
                buf_append(r, &r->err, &r->err_len, &r->err_cap, s, (size_t)n);
        else
                buf_append(r, &r->out, &r->out_len, &r->out_cap, s, (size_t)n);
        free(s);
}

void ctl_out(struct ctl_reply *r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        buf_vprintf(r, false, fmt, ap);
        va_end(ap);
}

void ctl_err(struct ctl_reply *r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        buf_vprintf(r, true, fmt, ap);
        va_end(ap);
}

void ctl_out_bytes(struct ctl_reply *r, const char *s, size_t n) {
        buf_append(r, &r->out, &r->out_len, &r->out_cap, s, n);
}

void ctl_reply_free(struct ctl_reply *r) {
        free(r->out);
        free(r->err);
        *r = (struct ctl_reply){0};
}

static void json_string(struct ctl_reply *r, const char *s) {
        ctl_out_bytes(r, "\"", 1);
        for (; s && *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c == '"' || c == '\\')
                        ctl_out(r, "\\%c", c);
                else if (c < 0x20)
                        ctl_out(r, "\\u%04x", c);
                else
                        ctl_out_bytes(r, (const char *)&c, 1);
        }
        ctl_out_bytes(r, "\"", 1);
}

static void json_int_or_null(struct ctl_reply *r, const char *key, int64_t v) {
        if (v < 0)
                ctl_out(r, ",\"%s\":null", key);
        else
                ctl_out(r, ",\"%s\":%" PRId64, key, v);
}

static void status_json(struct ctl_reply *r, const struct ctl_service_status *s) {
        ctl_out(r, "{\"name\":");
        json_string(r, s->name);
        ctl_out(r, ",\"state\":");
        json_string(r, s->state);
        json_int_or_null(r, "pid", s->pid > 0 ? s->pid : -1);
        ctl_out(r, ",\"uptime_ms\":%" PRIu64 ",\"restarts\":%u", s->uptime_ms, s->restarts);
        if (s->exited)
                ctl_out(r, ",\"last_exit\":{\"code\":%d}", s->code);
        else if (s->signaled)
                ctl_out(r, ",\"last_exit\":{\"signal\":%d}", s->signal);
        else
                ctl_out(r, ",\"last_exit\":null");
        ctl_out(r, ",\"ready\":%s,\"cgroup\":", s->ready ? "true" : "false");
        if (s->cgroup)
                json_string(r, s->cgroup);
        else
                ctl_out(r, "null");
        json_int_or_null(r, "memory_current", s->memory_current);
        json_int_or_null(r, "memory_max", s->memory_max);
        ctl_out(r, ",\"oom_kills\":%" PRIu64 "}", s->oom_kills);
}

static void fmt_bytes(char *b, size_t n, int64_t v) {
        if (v < 0)
                snprintf(b, n, "-");
        else if (v >= 1 << 30)
                snprintf(b, n, "%.1fG", (double)v / (1 << 30));
        else if (v >= 1 << 20)
                snprintf(b, n, "%.1fM", (double)v / (1 << 20));
        else if (v >= 1 << 10)
                snprintf(b, n, "%.1fK", (double)v / (1 << 10));
        else
                snprintf(b, n, "%" PRId64, v);
}

static void status_row(struct ctl_reply *r, const struct ctl_service_status *s) {
        char pid[16] = "-", up[32] = "-", last[32] = "-", cur[16], max[16];
        if (s->pid > 0)
                snprintf(pid, sizeof pid, "%d", (int)s->pid);
        if (s->pid > 0)
                snprintf(up, sizeof up, "%" PRIu64 ".%03" PRIu64 "s", s->uptime_ms / 1000,
                         s->uptime_ms % 1000);
        if (s->exited)
                snprintf(last, sizeof last, "exit %d", s->code);
        else if (s->signaled)
                snprintf(last, sizeof last, "SIG%s", signal_name(s->signal) ?: "?");
        fmt_bytes(cur, sizeof cur, s->memory_current);
        fmt_bytes(max, sizeof max, s->memory_max);
        ctl_out(r, "%-20s %-9s %-5s %7s %10s %8u %-9s %8s/%-8s %4" PRIu64 " %s\n", s->name, s->state,
                s->ready ? "yes" : "no", pid, up, s->restarts, last, cur, max, s->oom_kills,
                s->cgroup ? s->cgroup : "-");
}

void ctl_format_status(struct ctl_reply *r, const struct ctl_service_status *v, size_t n, bool json) {
        if (json) {
                ctl_out(r, "{\"services\":[");
                for (size_t i = 0; i < n; i++) {
                        if (i)
                                ctl_out(r, ",");
                        status_json(r, &v[i]);
                }
                ctl_out(r, "]}\n");
                return;
        }
        ctl_out(r, "%-20s %-9s %-5s %7s %10s %8s %-9s %17s %4s %s\n", "NAME", "STATE", "READY", "PID",
                "UPTIME", "RESTARTS", "LAST", "MEMORY", "OOM", "CGROUP");
        for (size_t i = 0; i < n; i++)
                status_row(r, &v[i]);
}
