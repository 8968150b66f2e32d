#include <stdio.h>
#include <sys/wait.h>

#include "exitstatus.h"
#include "util.h"

struct exit_info exit_info_from_wait(int status) {
        if (WIFEXITED(status))
                return (struct exit_info){ .kind = EXIT_CODE, .value = WEXITSTATUS(status) };
        if (WIFSIGNALED(status))
                return (struct exit_info){ .kind = EXIT_SIGNAL, .value = WTERMSIG(status),
                                           .core_dumped = WCOREDUMP(status) };
        return (struct exit_info){ .kind = EXIT_NONE };
}

int exit_status_from_code(int code) {
        return (code & 0xff) << 8;
}

int exit_info_to_code(const struct exit_info *e) {
        switch (e->kind) {
        case EXIT_CODE:
                return e->value;
        case EXIT_SIGNAL:
                return 128 + e->value;
        default:
                return 0;
        }
}

bool exit_info_is_failure(const struct exit_info *e, int stop_signal) {
        switch (e->kind) {
        case EXIT_CODE:
                return e->value != 0;
        case EXIT_SIGNAL:
                return e->value != stop_signal;
        default:
                return false;
        }
}

int exit_code_from_exec_errno(int err) {
        /* ENOTDIR: a path component is not a directory, so the command
         * cannot exist; everything else means it exists but cannot run. */
        return err == ENOENT || err == ENOTDIR ? 127 : 126;
}

void exit_info_format(const struct exit_info *e, char *buf, size_t size) {
        const char *name;
        switch (e->kind) {
        case EXIT_CODE:
                snprintf(buf, size, "exit code %d", e->value);
                break;
        case EXIT_SIGNAL:
                name = signal_name(e->value);
                snprintf(buf, size, "signal %d (%s)%s", e->value, name ? name : "?",
                         e->core_dumped ? ", core dumped" : "");
                break;
        default:
                snprintf(buf, size, "no exit");
                break;
        }
}
