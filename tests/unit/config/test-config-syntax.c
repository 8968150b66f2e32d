/* The grammar check in front of libconfig (syntax.c): it must accept what
 * libconfig 1.5 accepts and refuse what it refuses, token by token, so that
 * libconfig never fails on text corral hands it; and a load of the inputs
 * on which libconfig's lexer leaks must leave no memory behind (LSan in the
 * sanitizer build, malloc's own count here). */
#include <libconfig.h>
#include <malloc.h>

#include "config-internal.h"
#include "loadlib.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LEAKS_EXPECTED_BEGIN() __lsan_disable()
#define LEAKS_EXPECTED_END() __lsan_enable()
#else
#define LEAKS_EXPECTED_BEGIN() ((void)0)
#define LEAKS_EXPECTED_END() ((void)0)
#endif

static bool check_accepts(const char *text) {
        struct source src = { .text = (char *)text };
        struct diags d = { 0 };
        size_t values = 0;
        int r = cfg_syntax_check(&src, CONFIG_MAX_VALUES, &values, &d);
        diags_free(&d);
        return r == 0;
}

/* libconfig's own verdict; it may leak when it refuses, which is what the
 * check exists to prevent, so that leak is not counted here. */
static bool libconfig_accepts(const char *text) {
        config_t cfg;
        LEAKS_EXPECTED_BEGIN();
        config_init(&cfg);
        bool ok = config_read_string(&cfg, text) == CONFIG_TRUE;
        config_destroy(&cfg);
        LEAKS_EXPECTED_END();
        return ok;
}

static const struct {
        const char *text;
        bool ok;
} grammar[] = {
        { "", true },
        { "   \n\n", true },
        { "a = 1;", true },
        { "a : 1;", true },
        { "a = 1 b = 2", true },
        { "a = 1, b = 2,", true },
        { "a = 1;;", false },
        { ";", false },
        { "a = .;", true },
        { "a = -.;", true },
        { "a = +.;", true },
        { "a = 1.;", true },
        { "a = 1.2.3;", false },
        { "a = 1e5; b = .e5; c = 1.e5; d = -.5e-3;", true },
        { "a = 1.5e+;", false },
        { "a = 1e;", false },
        { "a = 1.5L;", false },
        { "a = 0x;", false },
        { "a = 0x1g;", false },
        { "a = 0X1F; b = 0x1FL; c = 0x1fLL;", true },
        { "a = 1L; b = 1LL; c = -7L;", true },
        { "a = 1LLL;", false },
        { "a = 07; b = 09; c = -0;", true },
        { "a = 2147483647; b = -2147483648; c = 0xFFFFFFFF; d = 0x00000000000000001;", true },
        { "a = 9223372036854775807L; b = -9223372036854775808L; c = 0xFFFFFFFFFFFFFFFFL;", true },
        { "a = -;", false },
        { "a = - 1;", false },
        { "a = TRUE; b = FaLsE; c = true;", true },
        { "a = truex;", false },
        { "*a = 1; a-b_c*d = 1; B9 = 2;", true },
        { "-a = 1;", false },
        { "9a = 1;", false },
        { "\xc3\xa9 = 1;", false },
        { "a = \"\xc3\xa9\";", true },
        { "a = @;", false },
        { "a = \"x\" \"y\" \"z\";", true },
        { "a = \"\\\"\" ; b = \"x\\\\\"; c = \"\\x41\\n\\q\";", true },
        { "a = \"x\" 1;", false },
        { "a = 1 \"abc\";", false },
        { "\"\"", false },
        { "x = { \"abc\" };", false },
        { "a = [];", true },
        { "a = ();", true },
        { "a = {};", true },
        { "a = (1,);", false },
        { "a = [1,];", false },
        { "a = [,];", false },
        { "a = ( [1], { b = 1; }, (), \"x\" \"y\", 2.5 );", true },
        { "a = [ [1] ];", false },
        { "a = [ { b = 1; } ];", false },
        { "a = [1, 0x80000000];", true },
        { "a = [-2147483648, 1];", true },
        { "a = [1L, 2];", false },
        { "a = [0x1L, 1L];", true },
        { "a = [1.0, 1];", false },
        { "a = [true, false, TRUE];", true },
        { "a = [\"a\", \"b\" \"c\"];", true },
        { "a = [\"a\", 1];", false },
        { "a = ( 1, \"a\", 1.0, true, 1L );", true },
        { "a = { b = 1; b = 2; };", false },
        { "a = 1; a = 2;", false },
        { "a = 1; A = 1;", true },
        { "a = { b = 1; }; c = { b = 1; };", true },
        { "a = ( { b = 1; }, { b = 2; } );", true },
        { "a = 1; // c\n", true },
        { "a = 1; # c\n", true },
        { "a = 1 # c\n b = 2;", true },
        { "a = 1; # no newline", false },
        { "a = 1; // no newline", false },
        { "a = 1;\r\n\f", true },
        { "a = 1;\v", false },
        { "/* c */ a = 1; /*/ */", true },
        { "a = /* c */ 1;", true },
        { "a = 1; / b = 2;", false },
        { "a=1;b={c=[1,2];d=(1,\"x\",{e=true;});};", true },
        { "a = 1; }", false },
        { "a = { b = 1;", false },
        { "a = ( 1 ;", false },
        { "a = [ 1 ;", false },
        { "a = ;", false },
        { "a 1;", false },
        { "a = \"unterminated;", false },
};

static void test_grammar(void) {
        for (size_t i = 0; i < ARRAY_SIZE(grammar); i++) {
                const char *t = grammar[i].text;
                bool mine = check_accepts(t), theirs = libconfig_accepts(t);
                tap_ok(mine == grammar[i].ok && theirs == grammar[i].ok, "%s: %s",
                       grammar[i].ok ? "accepted" : "refused", QUOTED(t));
                if (mine != grammar[i].ok || theirs != grammar[i].ok)
                        tap_diag("check %s, libconfig %s", mine ? "accepts" : "refuses",
                                 theirs ? "accepts" : "refuses");
        }
        /* Deliberately stricter than libconfig, which lets a comment run to
         * the end of the text and swallow whatever follows, and cuts numbers
         * too large for their type. */
        static const char *const stricter[] = {
                "a = 1; /* open", "a = 2147483648;", "a = 4294967297;", "a = -2147483649;", "a = 0x100000000;",
                "a = [1, 2147483648];", "a = 99999999999999999999L;", "a = 0x10000000000000000L;",
        };
        for (size_t i = 0; i < ARRAY_SIZE(stricter); i++)
                tap_ok(!check_accepts(stricter[i]) && libconfig_accepts(stricter[i]),
                       "refused, where libconfig accepts: %s", QUOTED(stricter[i]));
}

/* Each message as a load reports it. */
static const struct {
        const char *text, *want;
} messages[] = {
        { "a = 1;\n\n  b = 2 }\n", "a.conf:3: syntax error: unexpected \"}\"" },
        { "a = 1 \"abc\";\n", "a.conf:1: syntax error: unexpected string" },
        { "a = (\n 1,\n", "a.conf:3: syntax error: unexpected end of file" },
        { "a = [ 1,\n \"x\" ];\n", "a.conf:2: array elements must be of one type: element 2 is a string, element 1 an "
                                   "integer" },
        { "a = 1;\nb = { c = 1;\n c = 2; };\n", "a.conf:3: duplicate setting \"c\", first at a.conf:2" },
        { "a = 1;\n\n\xe2\x82\xac = 2;\n", "a.conf:3: syntax error: unexpected \"\xe2\"" },
        { "a = 1;\nb = 4294967297;\n", "a.conf:2: \"4294967297\" is out of range for a 32-bit integer" },
        { "a = 1;\n/* open\n", "a.conf:2: unterminated /* comment" },
};

static void test_messages(void) {
        for (size_t i = 0; i < ARRAY_SIZE(messages); i++) {
                reset_dir();
                write_file("a.conf", messages[i].text);
                load_expect("a.conf", NULL, messages[i].want, -EINVAL, messages[i].want);
                leave_dir();
        }
}

/* Inputs on which libconfig 1.5's lexer leaks the string it stopped at. */
static const char *const leaking[] = {
        "\"\"\n",
        "a = 1 \"abc\"\n",
        "x = { \"abc\" };\n",
        "a = 1;\n\"abc\" = 2;\n",
        "a = ( 1 \"x\" );\n",
        "a = [ \"x\", 1 \"y\" ];\n",
        "a = \"x\" \"y\" 1;\n",
        "a = 1; a = \"x\";\n",
        "a = [ \"x\", 1 ];\n",
};

static size_t in_use(void) {
        return mallinfo2().uordblks;
}

static void test_leaks(void) {
        reset_dir();
        for (size_t i = 0; i < ARRAY_SIZE(leaking); i++) {
                write_file("a.conf", leaking[i]);
                struct config_request req = { .path = "a.conf" };
                bool refused = true;
                size_t before = 0;
                for (int k = 0; k < 201; k++) {
                        /* The first load warms up what stays (stdio, NSS). */
                        if (k == 1)
                                before = in_use();
                        struct model m = { 0 };
                        struct diags d = { 0 };
                        refused &= config_load(&req, &m, &d) == -EINVAL && d.n == 1;
                        diags_free(&d);
                        model_free(&m);
                }
                size_t after = in_use();
                tap_ok(refused && after <= before + 512, "200 loads of %s: refused, %zd bytes more in use",
                       QUOTED(leaking[i]), (ssize_t)(after - before));
        }
        leave_dir();
}

int main(void) {
        char tmp[] = "/tmp/corral-config-syntax-XXXXXX";
        if (!tmpdir_enter(tmp))
                return 0;
        test_grammar();
        test_messages();
        test_leaks();
        tmpdir_leave(tmp);
        return tap_done();
}
