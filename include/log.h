/* corral's own diagnostics, "corral: LEVEL: message" lines.
 * Library code logs at debug at most; the supervisor logs once, with context.
 *
 * Where the lines go: to stderr, with a blocking write, until a sink is set.
 * While the supervisor's event loop runs, it sets one (the console, see
 * output.h) so that corral's own lines never block it; before the loop
 * exists and after it ends, blocking is right: there is nothing else to do. */
#pragma once

#include "util.h"

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Longest line, its "\n" included; longer messages are cut. */
#define LOG_LINE_MAX 4096

extern enum log_level log_max_level;

/* Parse "error", "warn", "info", "debug".  -EINVAL otherwise. */
int log_level_parse(const char *s);
const char *log_level_name(enum log_level l);

/* Takes a whole line ("corral: LEVEL: message\n", len bytes with its "\n",
 * at most LOG_LINE_MAX); must not block.  ud as given to log_set_sink(). */
typedef void (*log_sink_fn)(void *ud, const char *line, size_t len);
/* Send every later line logged by the calling thread to fn instead of
 * stderr (other threads keep writing to stderr: a sink serves one loop);
 * fn NULL: stderr again. */
void log_set_sink(log_sink_fn fn, void *ud);

/* Format "corral: LEVEL: message\n" into buf (cap >= 2 bytes; the message is
 * cut to fit, the "\n" always kept).  Returns the length, "\n" included;
 * buf is not NUL-terminated. */
size_t log_format(char *buf, size_t cap, enum log_level level, const char *fmt, ...) _printf_(4, 5);

void log_msg(enum log_level level, const char *fmt, ...) _printf_(2, 3);

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
