/* Signal names and numbers (stop_signal, corralctl kill): exact parsing,
 * nothing outside 1..31 and SIGRTMIN..SIGRTMAX, and the quoting of
 * offending values in messages. */
#include <signal.h>

#include "tap.h"
#include "util.h"

static void sig_case(const char *s, int want) {
        int r = signal_parse(s);
        if (want > 0)
                tap_ok(r == want, "\"%s\" is signal %d (got %d)", s, want, r);
        else
                tap_ok(r == -EINVAL, "\"%s\" is refused (got %d)", s, r);
}

static void test_names(void) {
        sig_case("SIGTERM", SIGTERM);
        sig_case("TERM", SIGTERM);
        sig_case("HUP", SIGHUP);
        sig_case("SIGUSR1", SIGUSR1);
        sig_case("9", 9);
        sig_case("31", 31);
        sig_case("SIGSYS", SIGSYS);
        sig_case("SIGFOO", -1);
        sig_case("sigterm", -1);
        sig_case("SIG", -1);
        sig_case("", -1);
        sig_case("0", -1);
        sig_case("-9", -1);
        sig_case("+9", -1);
        sig_case(" 9", -1);
        sig_case("9 ", -1);
        sig_case("99999999999999999999", -1);
}

static void test_realtime(void) {
        char buf[64];
        sig_case("RTMIN", SIGRTMIN);
        sig_case("SIGRTMIN", SIGRTMIN);
        sig_case("RTMIN+1", SIGRTMIN + 1);
        sig_case("RTMAX", SIGRTMAX);
        sig_case("RTMAX-1", SIGRTMAX - 1);
        snprintf(buf, sizeof buf, "RTMIN+%d", SIGRTMAX - SIGRTMIN);
        sig_case(buf, SIGRTMAX);
        snprintf(buf, sizeof buf, "RTMIN+%d", SIGRTMAX - SIGRTMIN + 1);
        sig_case(buf, -1);
        snprintf(buf, sizeof buf, "RTMAX-%d", SIGRTMAX - SIGRTMIN + 1);
        sig_case(buf, -1);
        snprintf(buf, sizeof buf, "%d", SIGRTMIN);
        sig_case(buf, SIGRTMIN);
        snprintf(buf, sizeof buf, "%d", SIGRTMAX);
        sig_case(buf, SIGRTMAX);
        snprintf(buf, sizeof buf, "%d", SIGRTMAX + 1);
        sig_case(buf, -1);
        /* Overflowing offsets once wrapped to 0 or to a reserved signal. */
        sig_case("RTMIN+9223372036854775774", -1);
        sig_case("RTMIN+9223372036854775807", -1);
        sig_case("RTMIN+18446744073709551616", -1);
        sig_case("RTMIN+4294967296", -1);
        sig_case("RTMIN+-1", -1);
        sig_case("RTMIN+ 1", -1);
        sig_case("RTMIN+", -1);
        sig_case("RTMIN-1", -1);
        sig_case("RTMAX+1", -1);
        /* glibc keeps the signals between SIGSYS and SIGRTMIN for itself. */
        for (int s = SIGSYS + 1; s < SIGRTMIN; s++) {
                snprintf(buf, sizeof buf, "%d", s);
                sig_case(buf, -1);
        }
}

static void test_names_of_numbers(void) {
        tap_is_str(signal_name(SIGTERM), "TERM", "name of 15");
        tap_is_str(signal_name(SIGRTMIN), "RTMIN", "name of SIGRTMIN");
        tap_is_str(signal_name(SIGRTMIN + 3), "RTMIN+3", "name of SIGRTMIN+3");
        tap_is_str(signal_name(SIGRTMAX), "RTMAX", "name of SIGRTMAX");
        tap_ok(signal_name(0) == NULL && signal_name(SIGRTMAX + 1) == NULL && signal_name(SIGSYS + 1) == NULL,
               "no name for 0, reserved or out of range numbers");
        bool round = true;
        for (int s = 1; s <= SIGRTMAX; s++)
                if (signal_name(s))
                        round &= signal_parse(signal_name(s)) == s;
        tap_ok(round, "every name parses back to its number");
}

static void test_quote(void) {
        tap_is_str(QUOTED("SIGNOPE"), "\"SIGNOPE\"", "a plain value in double quotes");
        tap_is_str(QUOTED("a\"b\\c"), "\"a\\\"b\\\\c\"", "quotes and backslashes escaped");
        tap_is_str(QUOTED("l1\nl2\t\x1b[31m"), "\"l1\\nl2\\t\\x1b[31m\"", "control bytes escaped");
        tap_is_str(QUOTED("caf\xc3\xa9"), "\"caf\xc3\xa9\"", "UTF-8 kept");
        tap_is_str(QUOTED(NULL), "(none)", "NULL");
        char big[1000];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = 0;
        const char *q = QUOTED(big);
        tap_ok(strlen(q) < QUOTE_SIZE && strncmp(q, "\"xxx", 4) == 0 && strstr(q, "\"...") == q + strlen(q) - 4,
               "a long value is cut, and says so: %s", q + strlen(q) - 8);
        char esc[400];
        memset(esc, '\n', sizeof esc - 1);
        esc[sizeof esc - 1] = 0;
        q = QUOTED(esc);
        tap_ok(strlen(q) < QUOTE_SIZE && strstr(q, "\\n\"...") != NULL, "an escape is never cut in half");
}

int main(void) {
        test_names();
        test_realtime();
        test_names_of_numbers();
        test_quote();
        return tap_done();
}
