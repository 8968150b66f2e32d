#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>

#include "exitstatus.h"
#include "tap.h"
#include "util.h"

/* Wait statuses built as the kernel encodes them (see wait(2)). */
#define ST_EXIT(c) (((c) & 0xff) << 8)
#define ST_SIG(s) ((s) & 0x7f)
#define ST_CORE(s) (((s) & 0x7f) | 0x80)

static const struct {
        int status, stop_signal;
        enum exit_kind kind;
        int value, code;
        bool failure;
        const char *text;
} cases[] = {
        { ST_EXIT(0), SIGTERM, EXIT_CODE, 0, 0, false, "exit code 0" },
        { ST_EXIT(7), SIGTERM, EXIT_CODE, 7, 7, true, "exit code 7" },
        { ST_EXIT(255), SIGTERM, EXIT_CODE, 255, 255, true, "exit code 255" },
        { ST_SIG(SIGKILL), SIGTERM, EXIT_SIGNAL, SIGKILL, 137, true, "signal 9 (KILL)" },
        { ST_SIG(SIGTERM), SIGTERM, EXIT_SIGNAL, SIGTERM, 143, false, "signal 15 (TERM)" },
        { ST_SIG(SIGTERM), SIGINT, EXIT_SIGNAL, SIGTERM, 143, true, "signal 15 (TERM)" },
        { ST_SIG(SIGINT), SIGINT, EXIT_SIGNAL, SIGINT, 130, false, "signal 2 (INT)" },
        { ST_CORE(SIGSEGV), SIGTERM, EXIT_SIGNAL, SIGSEGV, 139, true, "signal 11 (SEGV), core dumped" },
        { 0x137f /* stopped by SIGSTOP */, SIGTERM, EXIT_NONE, 0, 0, false, "no exit" },
};

int main(void) {
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct exit_info e = exit_info_from_wait(cases[i].status);
                char buf[64];
                exit_info_format(&e, buf, sizeof buf);
                ok(e.kind == cases[i].kind && (e.kind == EXIT_NONE || e.value == cases[i].value),
                   "status 0x%x decodes", cases[i].status);
                ok(exit_info_to_code(&e) == cases[i].code, "status 0x%x -> corral exit %d", cases[i].status,
                   cases[i].code);
                ok(exit_info_is_failure(&e, cases[i].stop_signal) == cases[i].failure,
                   "status 0x%x with stop signal %d: failure=%d", cases[i].status, cases[i].stop_signal,
                   cases[i].failure);
                ok(streq(buf, cases[i].text), "status 0x%x formats as \"%s\" (got \"%s\")", cases[i].status,
                   cases[i].text, buf);
        }
        struct exit_info e = exit_info_from_wait(exit_status_from_code(127));
        ok(e.kind == EXIT_CODE && e.value == 127, "synthesized status round-trips");
        ok(exit_code_from_exec_errno(ENOENT) == 127, "ENOENT -> 127");
        ok(exit_code_from_exec_errno(ENOTDIR) == 127, "ENOTDIR -> 127");
        ok(exit_code_from_exec_errno(EACCES) == 126, "EACCES -> 126");
        ok(exit_code_from_exec_errno(ENOEXEC) == 126, "ENOEXEC -> 126");
        return done_testing();
}
