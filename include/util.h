/* Small helpers shared by every module: cleanup attributes, string and fd
 * utilities.  Nothing here logs or touches global state. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))
#define _cleanup_(f) __attribute__((cleanup(f)))

static inline bool streq(const char *a, const char *b) { return strcmp(a, b) == 0; }
static inline bool strempty(const char *s) { return !s || !*s; }

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
static inline void fclosep(FILE **f) { if (*f) fclose(*f); }
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Hand ownership out of a cleanup-guarded variable. */
#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })
#define TAKE_FD(fd) ({ int _fd = (fd); (fd) = -1; _fd; })

/* Closes fd if valid and returns -1, for `fd = safe_close(fd);`. */
int safe_close(int fd);

/* Write all of buf, retrying on EINTR and short writes.  -errno on failure. */
int write_all(int fd, const void *buf, size_t len);

/* Read a whole small file (at most max bytes) into a NUL-terminated buffer.
 * dirfd may be AT_FDCWD.  -EFBIG when larger than max. */
int read_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len);
/* The same from an open fd, read to its end (the fd stays open). */
int read_fd(int fd, size_t max, char **ret, size_t *ret_len);

/* Write a string to an existing file (cgroupfs, procfs): one write(2). */
int write_file_at(int dirfd, const char *path, const char *value);

/* strdup/asprintf that return NULL on failure without touching errno rules. */
char *xasprintf(const char *fmt, ...) _printf_(1, 2);

/* Room for at least need elements of elem bytes in array v of capacity
 * *cap, doubling from initial.  Returns the (possibly moved) array, or NULL
 * on overflow or lack of memory, when v and *cap are left as they were. */
void *grow_array(void *v, size_t *cap, size_t need, size_t elem, size_t initial);

/* Monotonic clock in milliseconds (CLOCK_MONOTONIC). */
uint64_t now_ms(void);

/* A signal a service may be sent: 1..31 or SIGRTMIN..SIGRTMAX (glibc keeps
 * the numbers between them for itself). */
bool signal_valid(int sig);
/* Name of a valid signal without the SIG prefix ("TERM", "RTMIN+2",
 * "RTMAX"), or NULL. */
const char *signal_name(int sig);
/* Parse "SIGTERM", "TERM", "15", "RTMIN", "RTMIN+N", "RTMAX", "RTMAX-N"
 * (each with or without "SIG"; N in decimal digits only).  Returns a
 * signal_valid() number, or -EINVAL for anything else. */
int signal_parse(const char *s);

/* s between double quotes for a message, with '"', '\\' and control bytes
 * escaped (\n, \t, \xHH), cut with `"...` when it would not fit in size
 * (>= 8) bytes; "(none)" for NULL.  Returns buf. */
const char *quote(char *buf, size_t size, const char *s);
#define QUOTE_SIZE 160
/* quote() into a buffer that lives until the end of the enclosing block:
 * `diag(..., "%s is not a size", QUOTED(value))`. */
#define QUOTED(s) quote((char[QUOTE_SIZE]){ 0 }, QUOTE_SIZE, (s))
