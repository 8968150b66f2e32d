/* One reader of mountinfo fields for the modules that walk the mount
 * table: cgroup (where cgroup2 is mounted), ns (read-only binds) and
 * appliance (unmount at shutdown). */
#include <stdlib.h>
#include <string.h>

#include "mountinfo.h"

bool mountinfo_field(const char *line, size_t len, int n, const char **ret, size_t *ret_len) {
        const char *p = line, *end = line + len;
        for (int i = 0; p <= end; i++) {
                const char *sp = memchr(p, ' ', (size_t)(end - p));
                const char *fe = sp ? sp : end;
                if (i == n) {
                        *ret = p;
                        *ret_len = (size_t)(fe - p);
                        return true;
                }
                if (!sp)
                        break;
                p = sp + 1;
        }
        return false;
}

static bool octal(char c) {
        return c >= '0' && c <= '7';
}

/* Unescape n bytes from s to out (out may be s: the result is never
 * longer); returns the length written. */
static size_t unescape_to(char *out, const char *s, size_t n) {
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '\\' && n - i > 3 && s[i + 1] >= '0' && s[i + 1] <= '3' && octal(s[i + 2]) &&
                    octal(s[i + 3])) {
                        out[o++] = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
                        i += 3;
                } else
                        out[o++] = s[i];
        }
        return o;
}

char *mountinfo_unescape(const char *s, size_t n) {
        char *out = malloc(n + 1);
        if (out)
                out[unescape_to(out, s, n)] = '\0';
        return out;
}

char *mountinfo_mount_point(char *line) {
        const char *f, *next;
        size_t len = strlen(line), flen, nlen;
        if (!mountinfo_field(line, len, 4, &f, &flen) || !mountinfo_field(line, len, 5, &next, &nlen))
                return NULL;
        char *p = line + (f - line);
        p[unescape_to(p, p, flen)] = '\0';
        return p;
}
