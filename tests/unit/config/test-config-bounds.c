/* The bounds of one load (config.h): include cycles, include fan-out, total
 * bytes, files, values, nesting, group size and messages.  Each hostile
 * config must be refused with its cause named, and what the loader reports
 * it read must stay within the bounds: that is what keeps a reload inside
 * PID 1's loop short. */
#include "loadlib.h"

#define SVC "services = ( { name = \"a\"; command = [ \"/bin/true\" ]; } );\n"

struct result {
        int r;
        struct config_stats st;
        struct diags d;
};

static void load(const char *target, struct result *res) {
        struct config_request req = { .path = target, .stats = &res->st };
        struct model m = { 0 };
        *res = (struct result){ 0 };
        res->r = config_load(&req, &m, &res->d);
        model_free(&m);
}

/* Whether a message is want (or, not exact, holds it); prints them all
 * otherwise. */
static bool has(const struct result *res, const char *want, bool exact) {
        for (size_t i = 0; i < res->d.n; i++)
                if (exact ? streq(res->d.v[i].msg, want) : strstr(res->d.v[i].msg, want) != NULL)
                        return true;
        printf("# want%s: %s\n", exact ? "" : " a message with", want);
        for (size_t i = 0; i < res->d.n && i < 8; i++)
                printf("# got:  %.300s\n", res->d.v[i].msg);
        return false;
}

static bool has_msg(const struct result *res, const char *want) {
        return has(res, want, true);
}

static char *repeat(const char *unit, size_t n) {
        size_t ul = strlen(unit);
        char *s = malloc(ul * n + 1);
        for (size_t i = 0; i < n; i++)
                memcpy(s + i * ul, unit, ul);
        s[ul * n] = 0;
        return s;
}

/* A comment of about size bytes, then the given text. */
static char *padded(size_t size, const char *text) {
        char *pad = repeat("# padding to make a large file, line after line\n", size / 48);
        char *s = xasprintf("%s%s", text, pad);
        free(pad);
        return s;
}

static void self_include(void) {
        struct result res;
        reset_dir();
        write_file("self.conf", "@include \"self.conf\"\n@include \"self.conf\"\n@include \"self.conf\"\n"
                                "@include \"self.conf\"\n");
        uint64_t t0 = now_ms();
        load("self.conf", &res);
        uint64_t dt = now_ms() - t0;
        tap_ok(res.r == -EINVAL && has_msg(&res, "self.conf:1: @include \"self.conf\": include cycle: "
                                                  "\"self.conf\" -> \"self.conf\""),
               "a file of four self-includes is an include cycle");
        tap_ok(res.d.n == 4, "one message per @include line (%zu)", res.d.n);
        tap_ok(res.st.files <= 5 && res.st.bytes <= 4 * 21, "read once: %zu files opened, %zu bytes", res.st.files,
               res.st.bytes);
        /* A sanity bound only: the issue measured over 60 s. */
        tap_ok(dt < 10000, "refused in %llu ms", (unsigned long long)dt);
        diags_free(&res.d);

        char *big = padded(900 * 1024, "@include \"big.conf\"\n@include \"big.conf\"\n" SVC);
        write_file("big.conf", big);
        free(big);
        load("big.conf", &res);
        tap_ok(res.r == -EINVAL && has_msg(&res, "big.conf:1: @include \"big.conf\": include cycle: "
                                                  "\"big.conf\" -> \"big.conf\""),
               "a 0.9 MiB file including itself twice is an include cycle");
        tap_ok(res.st.bytes < 1024 * 1024, "read once: %zu bytes", res.st.bytes);
        diags_free(&res.d);
        leave_dir();
}

static void indirect_cycle(void) {
        struct result res;
        reset_dir();
        write_file("a.conf", SVC "@include \"inc/b.conf\"\n");
        write_file("inc/b.conf", "# b\n@include \"c.conf\"\n");
        write_file("inc/c.conf", "@include \"../a.conf\"\n");
        load("a.conf", &res);
        tap_ok(res.r == -EINVAL && has_msg(&res, "inc/c.conf:1: @include \"inc/../a.conf\": include cycle: \"a.conf\""
                                                  " -> \"inc/b.conf\" -> \"inc/c.conf\" -> \"inc/../a.conf\""),
               "a cycle through other files and another spelling of a path names the chain");
        diags_free(&res.d);
        /* Including the same file twice, side by side, is no cycle. */
        write_file("twice.conf", "@include \"inc/svc.conf\"\ngroups = ( );\n@include \"inc/empty.conf\"\n"
                                 "@include \"inc/empty.conf\"\n");
        write_file("inc/svc.conf", SVC);
        write_file("inc/empty.conf", "# nothing\n");
        load("twice.conf", &res);
        tap_ok(res.r == 0 && res.d.n == 0 && res.st.includes == 3, "a file included twice, not nested, loads");
        diags_free(&res.d);
        leave_dir();
}

/* f0 includes f1 four times, f1 includes f2 four times, ...: 4^9 includes
 * without a bound on their number. */
static void fan_out(void) {
        struct result res;
        reset_dir();
        for (int i = 0; i < 10; i++) {
                char name[32], *text;
                snprintf(name, sizeof name, "f%d.conf", i);
                if (i < 9)
                        text = xasprintf("%s@include \"f%d.conf\"\n@include \"f%d.conf\"\n@include \"f%d.conf\"\n"
                                         "@include \"f%d.conf\"\n", i == 0 ? SVC : "", i + 1, i + 1, i + 1, i + 1);
                else
                        text = strdup("# the last level\n");
                write_file(name, text);
                free(text);
        }
        load("f0.conf", &res);
        char want[128];
        snprintf(want, sizeof want, ".conf\": more than %d @include lines in all", CONFIG_MAX_INCLUDES);
        tap_ok(res.r == -EINVAL && has(&res, want, false), "an include fan-out stops at %d includes",
               CONFIG_MAX_INCLUDES);
        tap_ok(res.d.n == 1, "with one message (%zu)", res.d.n);
        tap_ok(res.st.includes == CONFIG_MAX_INCLUDES && res.st.files == CONFIG_MAX_INCLUDES + 1,
               "%zu includes, %zu files opened", res.st.includes, res.st.files);
        diags_free(&res.d);
        leave_dir();
}

static void total_size(void) {
        struct result res;
        reset_dir();
        char *big = padded(900 * 1024, "");
        write_file("big.conf", big);
        write_file("top.conf", SVC "@include \"big.conf\"\n@include \"big.conf\"\n@include \"big.conf\"\n"
                               "@include \"big.conf\"\n@include \"big.conf\"\n");
        load("top.conf", &res);
        tap_ok(res.r == -EINVAL && has_msg(&res, "top.conf:6: @include \"big.conf\": the config would be larger "
                                                  "than 4 MiB in all"),
               "five includes of 0.9 MiB are over the total");
        tap_ok(res.st.bytes <= CONFIG_MAX_TOTAL_SIZE, "%zu bytes read", res.st.bytes);
        diags_free(&res.d);

        for (int i = 0; i < 6; i++) {
                char name[32];
                snprintf(name, sizeof name, "dir/%d.conf", i);
                write_file(name, big);
        }
        write_file("dir/0.conf", SVC);
        load("dir", &res);
        tap_ok(res.r == -EINVAL && has_msg(&res, "dir/5.conf: the config would be larger than 4 MiB in all"),
               "a directory over the total is refused");
        tap_ok(res.st.bytes <= CONFIG_MAX_TOTAL_SIZE && res.d.n == 1, "%zu bytes read, %zu message",
               res.st.bytes, res.d.n);
        diags_free(&res.d);
        free(big);
        leave_dir();
}

static void many_files(void) {
        struct result res;
        reset_dir();
        write_file("dir/a.conf", SVC);
        for (int i = 0; i < CONFIG_MAX_FILES; i++) {
                char name[32];
                snprintf(name, sizeof name, "dir/e%d.conf", i);
                write_file(name, "");
        }
        load("dir", &res);
        tap_ok(res.r == -EINVAL && has_msg(&res, "dir: more than 4096 *.conf files") && res.st.files == 0,
               "a directory of 4097 files is refused before any is read");
        diags_free(&res.d);
        leave_dir();
}

static void include_lines(void) {
        reset_dir();
        /* libconfig would have read this one itself, past every check. */
        write_file("in\nc.conf", SVC);
        write_file("split.conf", "@include \"in\nc.conf\"\n");
        load_expect("split.conf", NULL, "split.conf:1: @include: the file name does not end on this line", -EINVAL,
                    "an @include whose name spans a line break is refused");
        write_file("b.conf", SVC);
        write_file("after.conf", "@include \"b.conf\" groups = ( );\n");
        load_expect("after.conf", NULL, "after.conf:1: @include: only a comment may follow the file name", -EINVAL,
                    "text after an @include is refused");
        write_file("empty.conf", SVC "@include \"\"\n");
        load_expect("empty.conf", NULL, "empty.conf:2: @include: empty file name", -EINVAL, "an empty name is refused");
        write_file("esc.conf", "@include \"b\\.conf\"\n");
        load_expect("esc.conf", NULL, "esc.conf:1: @include: a file name may escape only", -EINVAL,
                    "an escape libconfig does not know is refused");
        struct model m = { 0 };
        write_file("q\"uote\\.conf", SVC);
        write_file("quoted.conf", "  @include \"q\\\"uote\\\\.conf\"   # a comment\r\n");
        tap_ok(load_good("quoted.conf", NULL, &m, "an @include with \\\" and \\\\ and a comment") &&
                       m.n_services == 1,
               "the escaped name is the file read");
        model_free(&m);
        write_file("crlf.conf", "@include \"b.conf\"\r\ngroups = ( );\r\n");
        tap_ok(load_good("crlf.conf", NULL, &m, "an @include line ending in CR LF"), "as libconfig reads it");
        model_free(&m);
        write_file("comment.conf", SVC "/* not closed\n");
        write_file("top.conf", "@include \"comment.conf\"\ngroups = ( );\n");
        load_expect("top.conf", NULL, "comment.conf:2: unterminated /* comment", -EINVAL,
                    "a comment left open in an included file is refused there");
        leave_dir();
}

static void values(void) {
        reset_dir();
        char *ones = repeat("1,", CONFIG_MAX_VALUES);
        char *text = xasprintf(SVC "x = [ %s 1 ];\n", ones);
        write_file("a.conf", text);
        load_expect("a.conf", NULL, "a.conf:2: more than 262144 settings and elements in all", -EINVAL,
                    "an array of 262145 elements is refused");
        free(text);
        free(ones);

        char *nest = repeat("( ", CONFIG_MAX_NESTING + 1), *close = repeat(") ", CONFIG_MAX_NESTING + 1);
        text = xasprintf(SVC "x = %s\n%s;\n", nest, close);
        write_file("b.conf", text);
        load_expect("b.conf", NULL, "b.conf:2: groups, arrays and lists nested more than 32 deep", -EINVAL,
                    "33 nested lists are refused");
        free(text);
        free(nest);
        free(close);

        char *env = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&env, &size);
        for (int i = 0; i < CONFIG_MAX_GROUP_SIZE; i++)
                fprintf(f, "V%d = \"x\"; ", i);
        fclose(f);
        text = xasprintf("services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n env = { %s }; } );\n", env);
        write_file("c.conf", text);
        struct model m = { 0 };
        tap_ok(load_good("c.conf", NULL, &m, "1024 variables in env") && m.services[0].n_env == 1024,
               "all of them");
        model_free(&m);
        free(text);
        text = xasprintf("services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n env = { %s\n"
                         "V1024 = \"y\"; }; } );\n", env);
        write_file("d.conf", text);
        load_expect("d.conf", NULL, "d.conf:3: more than 1024 settings in one group", -EINVAL,
                    "a group of 1025 settings is refused");
        free(text);
        free(env);
        leave_dir();
}

static void messages(void) {
        reset_dir();
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        fputs("services = (\n", f);
        for (int i = 0; i < 150; i++)
                fprintf(f, "{ name = \"s%d\"; command = [ \"/bin/true\" ]; colour = %d; }%s\n", i, i, i < 149 ? "," : "");
        fputs(");\n", f);
        fclose(f);
        write_file("a.conf", buf);
        free(buf);
        struct result res;
        load("a.conf", &res);
        tap_ok(res.r == -EINVAL && res.d.n == CONFIG_MAX_ERRORS && res.d.dropped == 50,
               "150 errors: %zu kept, %zu counted", res.d.n, res.d.dropped);
        char *text = NULL;
        f = open_memstream(&text, &size);
        diags_print(&res.d, f);
        fclose(f);
        tap_ok(text && strstr(text, "corral: ... and 50 more errors\n"), "the rest are counted in the output");
        free(text);
        diags_free(&res.d);

        /* A caller's own limit and messages are left as they were. */
        struct diags d = { 0 };
        diag_add(&d, NULL, 0, "before");
        struct model m = { 0 };
        struct config_request req = { .path = "a.conf" };
        tap_ok(config_load(&req, &m, &d) == -EINVAL && d.n == CONFIG_MAX_ERRORS + 1 && d.max == 0,
               "the bound counts from the caller's messages and is lifted after");
        diags_free(&d);
        leave_dir();
}

int main(void) {
        char tmp[] = "/tmp/corral-config-bounds-XXXXXX";
        if (!tmpdir_enter(tmp))
                return 0;
        self_include();
        indirect_cycle();
        fan_out();
        total_size();
        many_files();
        include_lines();
        values();
        messages();
        tmpdir_leave(tmp);
        return tap_done();
}
