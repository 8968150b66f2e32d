#pragma once
/* Fields of /proc/PID/mountinfo lines (proc(5)):
 * "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SRC SUPEROPTS".
 * The kernel writes a space, tab, newline and backslash in ROOT and
 * MOUNTPOINT as three-digit octal escapes (\040, \011, \012, \134). */
#include <stdbool.h>
#include <stddef.h>

/* Field n (0-based, separated by single spaces) of the len bytes at line:
 * its start in *ret and its length in *ret_len; false when the line has
 * fewer fields. */
bool mountinfo_field(const char *line, size_t len, int n, const char **ret, size_t *ret_len);

/* The n bytes at s with the kernel's octal escapes undone, as a new
 * string; NULL when out of memory.  Only a backslash followed by three
 * octal digits of a byte value (\000 to \377) is an escape. */
char *mountinfo_unescape(const char *s, size_t n);

/* The mount point (field 4) of a NUL-terminated line, unescaped in place
 * and NUL-terminated there; NULL when the line has no field 4 followed by
 * another field. */
char *mountinfo_mount_point(char *line);
