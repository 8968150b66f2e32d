/* corral's own diagnostics, written to stderr as "corral: LEVEL: message".
 * Library code logs at debug at most; the supervisor logs once, with context. */
#pragma once

#include "util.h"

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

extern enum log_level log_max_level;

/* Parse "error", "warn", "info", "debug".  -EINVAL otherwise. */
int log_level_parse(const char *s);
const char *log_level_name(enum log_level l);

void log_msg(enum log_level level, const char *fmt, ...) _printf_(2, 3);

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
