/* Decoding of wait(2) statuses: how a service ended, whether that counts as
 * a failure, and the exit code corral reports for it (SPEC 7).  Pure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum exit_kind { EXIT_NONE, EXIT_CODE, EXIT_SIGNAL };

struct exit_info {
        enum exit_kind kind;
        int value; /* the exit code, or the signal number */
        bool core_dumped;
};

/* Decode a status from waitpid(2).  Stopped/continued statuses decode to
 * EXIT_NONE: they are not an end. */
struct exit_info exit_info_from_wait(int status);

/* A wait status that reports `code` as a normal exit: used for a start that
 * failed before exec, which ends like a shell's "command not found". */
int exit_status_from_code(int code);

/* The exit code a command line user sees for this end: the code itself,
 * or 128+signal (as shells report it).  EXIT_NONE maps to 0. */
int exit_info_to_code(const struct exit_info *e);

/* Whether the end counts as a failure for restart = "on-failure": a
 * non-zero exit or a signal other than the service's stop signal. */
bool exit_info_is_failure(const struct exit_info *e, int stop_signal);

/* The exit code for an exec that failed with errno err, as shells and tini
 * report it: 127 when the command was not found, 126 when it was found but
 * could not be executed. */
int exit_code_from_exec_errno(int err);

/* "exit code 7", "signal 9 (KILL)", "signal 11 (SEGV), core dumped". */
void exit_info_format(const struct exit_info *e, char *buf, size_t size);
