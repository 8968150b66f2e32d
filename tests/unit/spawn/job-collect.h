/* For the tests of spawn_start_many(): what one job's child printed on its
 * stdout pipe, and how it ended. */
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"

/* Closes the pipe (out[1] is the child's end), reads the first line's worth
 * into buf, reaps the child and closes its pidfd; returns the wait status
 * (-1 when the job made no child). */
static inline int job_collect(struct spawn_job *j, int out[2], char *buf, size_t size) {
        close(out[1]);
        ssize_t n = read(out[0], buf, size - 1);
        buf[n > 0 ? n : 0] = '\0';
        close(out[0]);
        int st = -1;
        if (j->pid > 0)
                waitpid(j->pid, &st, 0);
        if (j->pidfd >= 0)
                close(j->pidfd);
        return st;
}
