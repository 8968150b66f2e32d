/* For the spawn tests: what a started child printed on its stdout pipe, and
 * how it ended. */
#pragma once

#include <sys/wait.h>
#include <unistd.h>

/* Closes the child's end of the pipe (out[1]), reads until EOF into buf
 * (NUL-terminated, cut at size - 1), closes out[0], reaps pid (if > 0) into
 * *status and closes pidfd (if >= 0). */
static inline void child_collect(pid_t pid, int pidfd, int out[2], char *buf, size_t size, int *status) {
        close(out[1]);
        size_t got = 0;
        ssize_t n;
        while (got < size - 1 && (n = read(out[0], buf + got, size - 1 - got)) > 0)
                got += (size_t)n;
        buf[got] = '\0';
        close(out[0]);
        if (pid > 0)
                waitpid(pid, status, 0);
        if (pidfd >= 0)
                close(pidfd);
}
