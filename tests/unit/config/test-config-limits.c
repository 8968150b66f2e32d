/* Load-time bounds (SPEC 2, "Limits and includes"), with configs built
 * at run time, and the speed of a config of 4096 services. */
#include "loadlib.h"

static char *repeat(const char *unit, size_t n) {
        size_t ul = strlen(unit);
        char *s = malloc(ul * n + 1);
        for (size_t i = 0; i < n; i++)
                memcpy(s + i * ul, unit, ul);
        s[ul * n] = 0;
        return s;
}

static void big_file(void) {
        /* 2 MiB of comments after a valid service. */
        char *pad = repeat("# padding padding padding padding padding padding padding padding\n", 32768);
        char *text = xasprintf("%s%s", "services = ( { name = \"a\"; command = [ \"/bin/true\" ]; } );\n", pad);
        reset_dir();
        write_file("big.conf", text);
        load_expect("big.conf", NULL, "big.conf: file is larger than 1 MiB", -EINVAL, "a 2 MiB file is refused");
        write_file("top.conf", "@include \"big.conf\"\n");
        load_expect("top.conf", NULL, "top.conf:1: @include \"big.conf\": file is larger than 1 MiB", -EINVAL,
                    "a 2 MiB included file is refused");
        leave_dir();
        free(pad);
        free(text);
}

static void long_strings(void) {
        char *s4097 = repeat("x", 4097), *s4096 = repeat("y", 4096);
        char *text = xasprintf("services = ( { name = \"a\"; command = [ \"/bin/true\", \"%s\" ];\n"
                               "  env = { OK = \"%s\";\n    LONG = \"%s\"; }; } );\n",
                               s4096, s4096, s4097);
        reset_dir();
        write_file("a.conf", text);
        load_expect("a.conf", NULL, "a.conf:3: service \"a\": env.LONG: string longer than 4096 bytes", -EINVAL,
                    "a string of 4097 bytes is refused");
        free(text);
        text = xasprintf("services = ( { name = \"a\";\n command = [ \"/bin/true\", \"%s\" ]; } );\n", s4097);
        write_file("b.conf", text);
        load_expect("b.conf", NULL, "b.conf:2: service \"a\": command: element 2: string longer than 4096 bytes",
                    -EINVAL, "an argument of 4097 bytes is refused");
        free(text);
        char *name = repeat("n", 65);
        text = xasprintf("services = ( { name = \"%s\"; command = [ \"/bin/true\" ]; } );\n", name);
        write_file("c.conf", text);
        load_expect("c.conf", NULL, "c.conf:1: service #1: name: \"nnnn", -EINVAL, "a name of 65 bytes is refused");
        leave_dir();
        free(text);
        free(name);
        free(s4097);
        free(s4096);
}

static void long_argv(void) {
        char *args = repeat("\"x\", ", 1024);
        char *text = xasprintf("services = ( { name = \"a\";\n command = [ \"/bin/true\", %s \"y\" ]; } );\n", args);
        reset_dir();
        write_file("a.conf", text);
        load_expect("a.conf", NULL, "a.conf:2: service \"a\": command: more than 1024 elements", -EINVAL,
                    "an argv of 1026 elements is refused");
        leave_dir();
        free(text);
        free(args);
}

/* n services s0..s(n-1), each after the previous one and after s0. */
static char *many_services(size_t n) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        fputs("services = (\n", f);
        for (size_t i = 0; i < n; i++) {
                fprintf(f, "{ name = \"s%zu\"; command = [ \"true\" ];", i);
                if (i > 0)
                        fprintf(f, " after = [ \"s%zu\", \"s0\" ];", i - 1);
                fprintf(f, " }%s\n", i + 1 < n ? "," : "");
        }
        fputs(");\n", f);
        fclose(f);
        return buf;
}

static void many(void) {
        reset_dir();
        char *text = many_services(4097);
        write_file("a.conf", text);
        load_expect("a.conf", NULL, "a.conf:4098: services: more than 4096 services", -EINVAL,
                    "4097 services are refused");
        free(text);

        text = many_services(4096);
        write_file("b.conf", text);
        struct model m = { 0 };
        uint64_t t0 = now_ms();
        bool loaded = load_good("b.conf", NULL, &m, "4096 services, each after the one before,");
        uint64_t dt = now_ms() - t0;
        /* Linear work is a few tens of ms; quadratic name lookups would be
         * 16 million string compares plus as many again for `after`. */
        tap_ok(loaded && dt < 5000, "loaded in %llu ms", (unsigned long long)dt);
        tap_ok(loaded && m.n_services == 4096 && m.services[4095].after_idx[0] == 4094, "after resolved");
        model_free(&m);
        free(text);
        leave_dir();
}

static void entrypoint_main(void) {
        char *argv[] = { "/bin/sleep", "1", NULL };
        reset_dir();
        write_file("a.conf", "services = (\n { name = \"main\"; command = [ \"/bin/true\" ]; } );\n");
        load_expect("a.conf", argv, "a.conf:2: service \"main\": the name is taken by the -- COMMAND service", -EINVAL,
                    "a service called main beside -- COMMAND is refused");
        leave_dir();
}

int main(void) {
        char tmp[] = "/tmp/corral-config-test-XXXXXX";
        if (!tmpdir_enter(tmp))
                return 0;
        big_file();
        long_strings();
        long_argv();
        many();
        entrypoint_main();
        tmpdir_leave(tmp);
        return tap_done();
}
