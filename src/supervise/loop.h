/* The supervisor's event loop (loop.c, the only file that includes <ev.h>):
 * the reaper, signals, one timer and the output watchers per service, and
 * extra timers and read watchers for sockets, probes and watchdogs.  It
 * knows nothing of services beyond their index: what its own watchers see
 * goes to a sink of callbacks, and every iteration, after the callbacks
 * (and again before the loop waits), the sink's idle callback runs what
 * they asked for. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct console;
struct output;
struct loop;

struct loop_sink {
        /* A child was reaped (pid may be an orphan of anyone). */
        void (*child)(void *ud, pid_t pid, int status);
        /* One of the signals given to loop_new() arrived. */
        void (*signal)(void *ud, int sig);
        /* The timer of service idx fired. */
        void (*timer)(void *ud, size_t idx);
        /* Every iteration: after the other callbacks of the iteration, and
         * before the loop waits for the next event. */
        void (*idle)(void *ud);
        void *ud;
};

/* A loop for n services, handling the signals sigs[0..n_sigs) (SIGCHLD is
 * always its own: the reaper). */
int loop_new(size_t n, const int *sigs, size_t n_sigs, const struct loop_sink *sink, struct loop **ret);
void loop_free(struct loop *l);
/* Run until loop_quit(). */
void loop_run(struct loop *l);
void loop_quit(struct loop *l);

/* One timer per service: a backoff and a stop timeout never overlap. */
void loop_timer_arm(struct loop *l, size_t idx, uint32_t ms);
void loop_timer_cancel(struct loop *l, size_t idx);
/* Watch the output of service idx (o may be NULL: nothing to watch). */
void loop_output_attach(struct loop *l, size_t idx, struct output *o);
/* Write the console out as its fds (services' lines, corral's own) become
 * writable (call after console_init). */
void loop_console_attach(struct loop *l, struct console *c);
/* The set of services changed: old_of_new[i] is the old index of new
 * service i (-1: new); its timer keeps running with the time it had left.
 * Outputs are attached again by the caller. */
int loop_resize(struct loop *l, size_t n, const ssize_t *old_of_new);

/* One-shot timers and read watchers for everything beyond the per-service
 * timer: the pod's stop budget, sockets, probes, watchdogs.  NULL when out
 * of memory. */
typedef void (*loop_cb)(void *ud);
struct loop_timer *loop_timer_new(struct loop *l, loop_cb cb, void *ud);
void loop_timer_start(struct loop_timer *t, uint32_t ms);
void loop_timer_stop(struct loop_timer *t);
bool loop_timer_active(const struct loop_timer *t);
void loop_timer_free(struct loop_timer *t);
struct loop_io *loop_io_new(struct loop *l, int fd, loop_cb cb, void *ud);
void loop_io_free(struct loop_io *io);
