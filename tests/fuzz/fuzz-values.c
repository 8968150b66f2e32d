/* The value parsers of the config and of corralctl.  The first byte picks
 * the parser; the rest, up to its first NUL, is the value.  Each accepted
 * value must come back in canonical form that parses again to itself. */
#include <inttypes.h>
#include <signal.h>
#include <string.h>

#include "config-internal.h"
#include "fuzz.h"

typedef int (*canon_fn)(const char *s, char **ret);

/* A canonical form is accepted again, unchanged. */
static void canonical(canon_fn fn, const char *s) {
        char *out = NULL;
        int r = fn(s, &out);
        FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -ERANGE);
        if (r < 0) {
                FUZZ_ASSERT(!out);
                return;
        }
        char *again = NULL;
        FUZZ_ASSERT(fn(out, &again) == 0 && strcmp(out, again) == 0);
        free(again);
        free(out);
}

static void size(const char *s) {
        char *out = NULL;
        if (cfg_parse_size(s, &out) < 0)
                return;
        if (strcmp(out, "max") != 0) {
                /* Decimal, no leading zero, at most INT64_MAX. */
                char *end;
                errno = 0;
                long long v = strtoll(out, &end, 10);
                FUZZ_ASSERT(!errno && !*end && v >= 0 && (out[0] != '0' || !out[1]));
        }
        free(out);
        canonical(cfg_parse_size, s);
}

static void sig(const char *s) {
        int n = signal_parse(s);
        FUZZ_ASSERT(n == -EINVAL || signal_valid(n));
        if (n > 0) {
                const char *name = signal_name(n);
                FUZZ_ASSERT(name && signal_parse(name) == n);
        }
}

static void quoting(const char *s) {
        char buf[QUOTE_SIZE];
        const char *q = quote(buf, sizeof buf, s);
        size_t n = strlen(q);
        FUZZ_ASSERT(q == buf && n < sizeof buf && n >= 2 && q[0] == '"');
        for (size_t i = 0; i < n; i++)
                FUZZ_ASSERT((unsigned char)q[i] >= 0x20 && q[i] != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size_) {
        if (size_ == 0)
                return 0;
        char *s = strndup((const char *)data + 1, size_ - 1);
        FUZZ_ASSERT(s);
        switch (data[0] % 10) {
        case 0: size(s); break;
        case 1: canonical(cfg_parse_cpu_max, s); break;
        case 2: canonical(cfg_parse_cpuset, s); break;
        case 3: sig(s); break;
        case 4: (void)cfg_id_map_valid(s); break;
        case 5: (void)cfg_tcp_address_valid(s); break;
        case 6: FUZZ_ASSERT(!cfg_name_valid(s) || cfg_cgroup_path_valid(s)); break;
        case 7: (void)cfg_hostname_valid(s); (void)cfg_env_key_valid(s); break;
        case 8: quoting(s); break;
        default: {
                char *f = NULL;
                int o = cfg_output_mode(s, &f);
                FUZZ_ASSERT(o == OUTPUT_FILE ? f && f[0] == '/' : !f);
                free(f);
                (void)cfg_capability_from_name(s);
                (void)cfg_rlimit_from_name(s);
                break;
        }
        }
        free(s);
        return 0;
}
