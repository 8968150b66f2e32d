/* State shared by console.c and output.c (not part of the module's API). */
#pragma once

#include <sys/types.h>

#include "output.h"

enum console_how {
        CONSOLE_WRITE, /* private non-blocking description, or a regular file */
        CONSOLE_SEND,  /* socket: send(MSG_DONTWAIT) */
        CONSOLE_POLL,  /* shared blocking description: poll first, PIPE_BUF at most */
};

/* One fd written without blocking, from a circular queue of whole lines. */
struct sink {
        int fd;           /* -1: none */
        enum console_how how;
        size_t chunk;     /* most bytes per write */
        dev_t dev;        /* the file written, to tell whether two fds share it */
        ino_t ino;
        char *q;          /* cap bytes, circular */
        size_t cap, head, len; /* head: next byte to write */
        bool broken;
        int err;          /* why it broke */
        uint64_t dropped; /* bytes discarded once broken */
};

struct console {
        struct sink out;  /* services' lines (and corral's, when shared) */
        /* corral's own lines that wait: for room in out when they share
         * its file (own.fd < 0), else for their own fd to take them. */
        struct sink own;
        uint64_t own_lost;    /* own lines dropped since the backlog began */
        uint64_t own_dropped; /* own lines dropped in all */
        bool logging;         /* the log sink is ours (console_take_log()) */

        /* Outputs waiting for room, in arrival order. */
        struct output *wait_head, *wait_tail;
        struct output *resuming; /* the one allowed to queue while others wait */
        bool running;            /* console_run() is on the stack */

        struct output *all; /* every attached output, for output_reopen_all() */

        void (*notify)(struct console *c, void *ud);
        void *notify_ud;
        bool told_want, told_own_want; /* as last reported */
};

struct output {
        char name[CORRAL_MAX_NAME + 1];
        size_t name_len;
        enum output_mode mode;
        char *file;
        struct console *c;

        int fd;        /* read end of the pipe */
        int child_out; /* the child's stdout and stderr, until output_spawned() */
        int child_in;  /* /dev/null for the child's stdin (and 1, 2 in null mode) */
        int file_fd;
        /* Why the last output_prepare() or output_reopen() failed, after the
         * service's name: "output file \"/x\": a symbolic link". */
        char error[320];
        /* Whose rights open the file: the service's user (uid -1: the
         * service runs with corral's own). */
        uid_t uid;
        gid_t gid;
        gid_t *groups;
        size_t n_groups;

        char *buf; /* OUTPUT_BUF_SIZE; unconsumed bytes are [start, end) */
        size_t start, end;
        size_t must;            /* bytes at start to write out even without '\n' */
        uint64_t partial_since; /* when the unfinished line began, 0 none */
        bool cut;               /* the last line went out without its '\n' */
        bool finishing;         /* the service is gone: EAGAIN counts as EOF */
        bool waiting;           /* in the console's wait list */
        struct output *wait_next;
        struct output *all_next, *all_prev;

        struct logring ring;

        void (*notify)(struct output *o, void *ud);
        void *notify_ud;
};

/* console.c, for output.c */
/* Queue "NAME| line\n" whole.  false when it must wait (no room, or others
 * are waiting first); true when queued or discarded (no or broken console). */
bool console_put(struct console *c, struct output *o, const char *line, size_t len);
void console_wait(struct console *c, struct output *o);
/* Write what can be written now and let waiting outputs continue. */
void console_run(struct console *c, uint64_t now_ms);
void console_attach(struct console *c, struct output *o);
void console_detach(struct console *c, struct output *o);

/* output.c, for console.c: room was made, carry on. */
void output_resume(struct output *o, uint64_t now_ms);
