/* Pure parsers and validators of config values.  No I/O, unit-tested. */
#include <ctype.h>
#include <inttypes.h>

#include "config-internal.h"

static bool name_char(char ch) {
        return isascii(ch) && (isalnum(ch) || ch == '_' || ch == '.' || ch == '-');
}

bool cfg_name_valid(const char *s) {
        size_t n = 0;
        for (; s[n]; n++)
                if (!name_char(s[n]) || n >= CORRAL_MAX_NAME)
                        return false;
        /* "." and ".." would be path components with a meaning of their own
         * once the name becomes a cgroup directory. */
        return n > 0 && !streq(s, ".") && !streq(s, "..");
}

bool cfg_cgroup_path_valid(const char *s) {
        if (strempty(s) || strlen(s) > CORRAL_MAX_STRING)
                return false;
        const char *p = s;
        for (;;) {
                size_t n = strcspn(p, "/");
                char part[CORRAL_MAX_NAME + 1];
                if (n == 0 || n > CORRAL_MAX_NAME)
                        return false;
                memcpy(part, p, n);
                part[n] = 0;
                if (!cfg_name_valid(part))
                        return false;
                if (!p[n])
                        return true;
                p += n + 1;
        }
}

bool cfg_env_key_valid(const char *s) {
        if (!s || !(isascii(*s) && (isalpha(*s) || *s == '_')))
                return false;
        for (const char *p = s + 1; *p; p++)
                if (!(isascii(*p) && (isalnum(*p) || *p == '_')))
                        return false;
        return strlen(s) <= CORRAL_MAX_STRING;
}

bool cfg_hostname_valid(const char *s) {
        /* sethostname(2) takes at most HOST_NAME_MAX (64) bytes; RFC 1123
         * labels: letters, digits and inner hyphens. */
        size_t n = strlen(s);
        if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
                return false;
        for (size_t i = 0; i < n; i++) {
                char ch = s[i];
                if (!(isascii(ch) && (isalnum(ch) || ch == '-' || ch == '.')))
                        return false;
                if (ch == '-' && (i == 0 || s[i - 1] == '.' || i + 1 == n || s[i + 1] == '.'))
                        return false;
                if (ch == '.' && s[i + 1] == '.')
                        return false;
        }
        return true;
}

/* Parse a decimal number of at most max without sign or spaces.  Leading
 * zeros are skipped, not counted against its size. */
static bool parse_dec(const char *s, size_t len, uint64_t max, uint64_t *ret) {
        uint64_t v = 0;
        if (len == 0)
                return false;
        while (len > 1 && s[0] == '0')
                s++, len--;
        if (len > 20)
                return false;
        for (size_t i = 0; i < len; i++) {
                if (!isdigit((unsigned char)s[i]))
                        return false;
                unsigned d = (unsigned)(s[i] - '0');
                if (d > max || v > (max - d) / 10)
                        return false;
                v = v * 10 + d;
        }
        *ret = v;
        return true;
}

bool cfg_tcp_address_valid(const char *s) {
        const char *colon = strrchr(s, ':');
        uint64_t port;
        if (!colon || colon == s || !parse_dec(colon + 1, strlen(colon + 1), 65535, &port) || port == 0)
                return false;
        size_t hl = (size_t)(colon - s);
        if (s[0] == '[')
                return hl > 2 && s[hl - 1] == ']' && memchr(s, ':', hl);
        for (size_t i = 0; i < hl; i++)
                if (!(isascii(s[i]) && (isalnum(s[i]) || s[i] == '.' || s[i] == '-')))
                        return false;
        return true;
}

bool cfg_id_map_valid(const char *s) {
        uint64_t v[3];
        const char *p = s;
        for (int i = 0; i < 3; i++) {
                size_t n = strspn(p, "0123456789");
                if (!parse_dec(p, n, UINT32_MAX, &v[i]))
                        return false;
                p += n;
                if (i < 2) {
                        if (*p != ' ')
                                return false;
                        p += strspn(p, " ");
                }
        }
        return *p == 0 && v[2] > 0 && v[0] + v[2] - 1 <= UINT32_MAX && v[1] + v[2] - 1 <= UINT32_MAX;
}

int cfg_parse_size(const char *s, char **ret) {
        if (streq(s, "max")) {
                char *m = strdup("max");
                if (!m)
                        return -ENOMEM;
                *ret = m;
                return 0;
        }
        size_t n = strspn(s, "0123456789");
        if (n == 0)
                return -EINVAL;
        unsigned shift = 0;
        const char *suffix = s + n;
        if (*suffix) {
                const char *units = "KMGT";
                const char *u = strchr(units, toupper((unsigned char)*suffix));
                if (!u || suffix[1])
                        return -EINVAL;
                shift = 10 * (unsigned)(u - units + 1);
        }
        uint64_t v;
        if (!parse_dec(s, n, UINT64_MAX >> shift, &v))
                return -ERANGE;
        v <<= shift;
        /* The kernel stores page counters as longs. */
        if (v > INT64_MAX)
                return -ERANGE;
        char *r = xasprintf("%" PRIu64, v);
        if (!r)
                return -ENOMEM;
        *ret = r;
        return 0;
}

int cfg_parse_cpu_max(const char *s, char **ret) {
        /* cpu.max: "$MAX $PERIOD", both in microseconds; the kernel takes a
         * period of 1 ms .. 1 s and a quota of at least 1 ms
         * (Documentation/admin-guide/cgroup-v2.rst, "CPU Interface Files"). */
        uint64_t quota = 0, period = 100000;
        bool max = false;
        const char *sp = strchr(s, ' ');
        size_t ql = sp ? (size_t)(sp - s) : strlen(s);
        if (ql == 3 && strncmp(s, "max", 3) == 0)
                max = true;
        else if (!parse_dec(s, ql, UINT32_MAX, &quota) || quota < 1000)
                return -EINVAL;
        if (sp && (!parse_dec(sp + 1, strlen(sp + 1), 1000000, &period) || period < 1000))
                return -EINVAL;
        char *r;
        if (max && !sp)
                r = strdup("max");
        else if (max)
                r = xasprintf("max %" PRIu64, period);
        else
                r = xasprintf("%" PRIu64 " %" PRIu64, quota, period);
        if (!r)
                return -ENOMEM;
        *ret = r;
        return 0;
}

int cfg_parse_cpuset(const char *s, char **ret) {
        const char *p = s;
        if (!*p)
                return -EINVAL;
        for (;;) {
                uint64_t lo, hi;
                size_t n = strspn(p, "0123456789");
                if (!parse_dec(p, n, 8191, &lo))
                        return -EINVAL;
                p += n;
                hi = lo;
                if (*p == '-') {
                        p++;
                        n = strspn(p, "0123456789");
                        if (!parse_dec(p, n, 8191, &hi) || hi < lo)
                                return -EINVAL;
                        p += n;
                }
                if (!*p)
                        break;
                if (*p != ',')
                        return -EINVAL;
                p++;
        }
        char *r = strdup(s);
        if (!r)
                return -ENOMEM;
        *ret = r;
        return 0;
}
