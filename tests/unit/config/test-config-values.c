/* Pure value parsers of the config language. */
#include <signal.h>
#include <sys/resource.h>

#include "config-internal.h"
#include "tap.h"

static void test_names(void) {
        tap_ok(cfg_name_valid("db"), "name db");
        tap_ok(cfg_name_valid("a.b-c_D9"), "name with . - _");
        tap_ok(!cfg_name_valid(""), "empty name refused");
        tap_ok(!cfg_name_valid("a b"), "name with a space refused");
        tap_ok(!cfg_name_valid("a/b"), "name with a slash refused");
        tap_ok(!cfg_name_valid(".."), "name .. refused");
        tap_ok(!cfg_name_valid("caf\xc3\xa9"), "non-ASCII name refused");
        char n64[65], n65[66];
        memset(n64, 'x', 64), n64[64] = 0;
        memset(n65, 'x', 65), n65[65] = 0;
        tap_ok(cfg_name_valid(n64), "64-character name");
        tap_ok(!cfg_name_valid(n65), "65-character name refused");

        tap_ok(cfg_cgroup_path_valid("pod/backend/db"), "cgroup path a/b/c");
        tap_ok(!cfg_cgroup_path_valid("/pod"), "leading / refused");
        tap_ok(!cfg_cgroup_path_valid("pod/"), "trailing / refused");
        tap_ok(!cfg_cgroup_path_valid("pod//x"), "empty part refused");
        tap_ok(!cfg_cgroup_path_valid("pod/../x"), ".. part refused");
        tap_ok(!cfg_cgroup_path_valid(""), "empty path refused");

        tap_ok(cfg_env_key_valid("PATH") && cfg_env_key_valid("_x1"), "env keys");
        tap_ok(!cfg_env_key_valid("1X") && !cfg_env_key_valid("A-B") && !cfg_env_key_valid(""), "bad env keys refused");
        tap_ok(cfg_hostname_valid("pod1") && cfg_hostname_valid("a.b-c.d"), "host names");
        tap_ok(!cfg_hostname_valid("-a") && !cfg_hostname_valid("a..b") && !cfg_hostname_valid("a_b"), "bad host names refused");
        tap_ok(cfg_tcp_address_valid("127.0.0.1:6379") && cfg_tcp_address_valid("[::1]:80") &&
                       cfg_tcp_address_valid("localhost:1"),
               "tcp addresses");
        tap_ok(!cfg_tcp_address_valid("127.0.0.1") && !cfg_tcp_address_valid(":80") &&
                       !cfg_tcp_address_valid("h:0") && !cfg_tcp_address_valid("h:65536") && !cfg_tcp_address_valid("h:8x"),
               "bad tcp addresses refused");
        tap_ok(cfg_id_map_valid("0 100000 65536") && cfg_id_map_valid("0 0 1") &&
                       cfg_id_map_valid("000000000000000000000 000000000000000000100000 65536"),
               "id maps");
        tap_ok(!cfg_id_map_valid("0 100000") && !cfg_id_map_valid("0 1 0") && !cfg_id_map_valid("a b c") &&
                       !cfg_id_map_valid("4294967295 0 2"),
               "bad id maps refused");
}

static void size_case(const char *in, int want_r, const char *want) {
        char *out = NULL;
        int r = cfg_parse_size(in, &out);
        if (want_r == 0)
                tap_is_str(r == 0 ? out : "(error)", want, "size \"%s\" -> %s", in, want);
        else
                tap_ok(r == want_r, "size \"%s\" refused (%d)", in, r);
        free(out);
}

static void test_sizes(void) {
        size_case("512M", 0, "536870912");
        size_case("1k", 0, "1024");
        size_case("2G", 0, "2147483648");
        size_case("1T", 0, "1099511627776");
        size_case("4096", 0, "4096");
        size_case("max", 0, "max");
        size_case("12Q", -EINVAL, NULL);
        size_case("", -EINVAL, NULL);
        size_case("M", -EINVAL, NULL);
        size_case("-1", -EINVAL, NULL);
        size_case("1.5G", -EINVAL, NULL);
        size_case("10MB", -EINVAL, NULL);
        size_case("99999999999999999999", -ERANGE, NULL);
        size_case("9999999999T", -ERANGE, NULL);
        /* Leading zeros do not make a number large. */
        size_case("0000000000000000000001K", 0, "1024");
        size_case("000000000000000000000000000000000000000000512M", 0, "536870912");
        size_case("000000000000000000000000", 0, "0");
        size_case("0000000000000000000018446744073709551616", -ERANGE, NULL);
        size_case("9223372036854775807", 0, "9223372036854775807");
        size_case("9223372036854775808", -ERANGE, NULL);
        size_case("8589934592G", -ERANGE, NULL);
}

static void cpu_case(const char *in, const char *want) {
        char *out = NULL;
        int r = cfg_parse_cpu_max(in, &out);
        tap_is_str(r == 0 ? out : NULL, want, "cpu_max \"%s\" -> %s", in, want ? want : "error");
        free(out);
}

static void cpuset_case(const char *in, bool ok) {
        char *out = NULL;
        int r = cfg_parse_cpuset(in, &out);
        tap_ok((r == 0) == ok, "cpuset \"%s\" %s", in, ok ? "accepted" : "refused");
        free(out);
}

static void test_cpu(void) {
        cpu_case("50000 100000", "50000 100000");
        cpu_case("000000000000000000000050000 0000000000000000000000100000", "50000 100000");
        cpu_case("max", "max");
        cpu_case("max 50000", "max 50000");
        cpu_case("20000", "20000 100000");
        cpu_case("50000 100", NULL);
        cpu_case("999 100000", NULL);
        cpu_case("50000 2000000", NULL);
        cpu_case("half", NULL);
        cpu_case("50000  100000", NULL);
        cpuset_case("0-1", true);
        cpuset_case("0,2,4-7", true);
        cpuset_case("3", true);
        cpuset_case("1-0", false);
        cpuset_case("0-", false);
        cpuset_case("a", false);
        cpuset_case("0,,1", false);
        cpuset_case("99999", false);
}

static void test_tables(void) {
        tap_ok(cfg_service_type("oneshot") == SERVICE_ONESHOT, "type oneshot");
        tap_ok(cfg_service_type("forking") < 0, "type forking refused");
        tap_ok(cfg_restart_policy("on-failure") == RESTART_ON_FAILURE, "restart on-failure");
        tap_ok(cfg_restart_policy("sometimes") < 0, "restart sometimes refused");
        char *f = NULL;
        tap_ok(cfg_output_mode("file:/var/log/x.log", &f) == OUTPUT_FILE && f && streq(f, "/var/log/x.log"),
               "output file:/abs");
        free(f);
        f = NULL;
        tap_ok(cfg_output_mode("file:rel.log", &f) < 0 && !f, "output file:relative refused");
        tap_ok(cfg_output_mode("inherit", &f) == OUTPUT_INHERIT, "output inherit");
        tap_ok(cfg_output_mode("syslog", &f) < 0, "output syslog refused");

        tap_ok(cfg_rlimit_from_name("nofile") == RLIMIT_NOFILE && cfg_rlimit_from_name("stack") == RLIMIT_STACK,
               "rlimit names");
        tap_ok(cfg_rlimit_from_name("files") < 0, "unknown rlimit refused");
        tap_is_str(config_rlimit_name(RLIMIT_CORE), "core", "rlimit name of RLIMIT_CORE");
        tap_ok(cfg_capability_from_name("CAP_NET_BIND_SERVICE") == 10, "CAP_NET_BIND_SERVICE is 10");
        tap_ok(cfg_capability_from_name("cap_sys_admin") == 21, "capability names ignore case");
        tap_ok(cfg_capability_from_name("CAP_CHECKPOINT_RESTORE") == 40, "last capability");
        tap_ok(cfg_capability_from_name("NET_ADMIN") < 0 && cfg_capability_from_name("CAP_FLY") < 0,
               "unknown capability refused");
        tap_is_str(config_capability_name(12), "CAP_NET_ADMIN", "capability 12");

        tap_ok(signal_parse("SIGTERM") == SIGTERM && signal_parse("HUP") == SIGHUP && signal_parse("9") == 9,
               "signal names");
        tap_ok(signal_parse("SIGFOO") < 0 && signal_parse("0") < 0 && signal_parse("") < 0, "bad signals refused");
}

static void test_index(void) {
        struct name_index x = { 0 };
        char names[3000][8];
        bool ok = true;
        for (size_t i = 0; i < 3000; i++) {
                snprintf(names[i], sizeof names[i], "s%zu", i);
                ok &= cfg_index_put(&x, names[i], i, NULL) == 0;
        }
        tap_ok(ok, "3000 names inserted");
        size_t v = 0, old = 0;
        ok = true;
        for (size_t i = 0; i < 3000; i++)
                ok &= cfg_index_get(&x, names[i], &v) == 0 && v == i;
        tap_ok(ok, "3000 names found");
        tap_ok(cfg_index_get(&x, "nope", &v) == -ENOENT, "absent name");
        tap_ok(cfg_index_put(&x, "s42", 7, &old) == -EEXIST && old == 42, "duplicate reports the first");
        cfg_index_free(&x);
}

int main(void) {
        test_names();
        test_sizes();
        test_cpu();
        test_tables();
        test_index();
        return tap_done();
}
