/* The event loop (loop.h): the only file that includes <ev.h>.
 *
 * Reaping has one owner: the SIGCHLD watcher, at the highest priority,
 * calls waitpid(-1, WNOHANG) until no child is left and hands every pid to
 * the sink, orphans reparented to corral included.  Not libev's
 * ev_child: its default loop reaps one child per loop iteration (a poll
 * and a fed event per zombie), so a burst of orphans piles up as zombies.
 * Hence a loop of its own (ev_loop_new), which leaves SIGCHLD alone. */
#include <ev.h>
#include <signal.h>
#include <sys/wait.h>

#include "log.h"
#include "loop.h"
#include "output.h"
#include "util.h"

struct loop_svc {
        ev_timer timer;    /* backoff or stop timeout */
        ev_io out_io;      /* the service's output pipe */
        ev_timer out_tick; /* output deadline for an unfinished line */
        struct output *out;
        struct loop *l;
        size_t idx;
};

struct loop {
        struct ev_loop *ev;
        struct loop_sink sink;
        ev_signal child;
        ev_signal *sigs;
        size_t n_sigs;
        ev_prepare idle;       /* before the loop waits: nothing posted is left */
        ev_check after;        /* after an iteration's callbacks, in that iteration */
        ev_io console_io;
        ev_io own_io; /* corral's own lines, when not on the console's file */
        struct console *console;
        struct loop_svc *svcs;
        size_t n;
};

static void on_child(struct ev_loop *ev, ev_signal *w, int revents) {
        (void)ev;
        (void)revents;
        struct loop *l = w->data;
        int status;
        pid_t pid;
        /* Exits only: no WUNTRACED, a stopped service is not an ended one. */
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                l->sink.child(l->sink.ud, pid, status);
}

static void on_signal(struct ev_loop *ev, ev_signal *w, int revents) {
        (void)ev;
        (void)revents;
        struct loop *l = w->data;
        l->sink.signal(l->sink.ud, w->signum);
}

static void on_timer(struct ev_loop *ev, ev_timer *w, int revents) {
        (void)ev;
        (void)revents;
        struct loop_svc *ls = w->data;
        ls->l->sink.timer(ls->l->sink.ud, ls->idx);
}

static void on_idle(struct ev_loop *ev, ev_prepare *w, int revents) {
        (void)ev;
        (void)revents;
        struct loop *l = w->data;
        l->sink.idle(l->sink.ud);
}

static void on_after(struct ev_loop *ev, ev_check *w, int revents) {
        (void)ev;
        (void)revents;
        struct loop *l = w->data;
        l->sink.idle(l->sink.ud);
}

static double seconds(uint32_t ms) {
        return (double)ms / 1000.0;
}

void loop_timer_arm(struct loop *l, size_t idx, uint32_t ms) {
        ev_timer *t = &l->svcs[idx].timer;
        /* Callbacks may have run a while (a spawn waits for exec): count
         * the delay from now, not from when this loop iteration began. */
        ev_now_update(l->ev);
        ev_timer_stop(l->ev, t);
        ev_timer_set(t, seconds(ms), 0.);
        ev_timer_start(l->ev, t);
}

void loop_timer_cancel(struct loop *l, size_t idx) {
        ev_timer_stop(l->ev, &l->svcs[idx].timer);
}

/* ---- output ---------------------------------------------------------- */

/* Bring the watchers of an output in line with what it wants now. */
static void output_sync(struct output *o, void *userdata) {
        struct loop_svc *ls = userdata;
        struct ev_loop *ev = ls->l->ev;
        int fd = output_fd(o);
        bool want = fd >= 0 && output_wants_read(o);

        if (ev_is_active(&ls->out_io) && (!want || ls->out_io.fd != fd))
                ev_io_stop(ev, &ls->out_io);
        if (want && !ev_is_active(&ls->out_io)) {
                ev_io_set(&ls->out_io, fd, EV_READ);
                ev_io_start(ev, &ls->out_io);
        }
        uint64_t due = output_deadline(o);
        ev_timer_stop(ev, &ls->out_tick);
        if (due > 0) {
                uint64_t now = now_ms();
                ev_timer_set(&ls->out_tick, due > now ? (double)(due - now) / 1000.0 : 0., 0.);
                ev_timer_start(ev, &ls->out_tick);
        }
}

static void on_output(struct ev_loop *ev, ev_io *w, int revents) {
        (void)ev;
        (void)revents;
        struct loop_svc *ls = w->data;
        struct output *o = ls->out;
        (void)output_on_readable(o, now_ms());
        output_sync(o, ls);
}

static void on_output_tick(struct ev_loop *ev, ev_timer *w, int revents) {
        (void)ev;
        (void)revents;
        struct loop_svc *ls = w->data;
        struct output *o = ls->out;
        output_on_deadline(o, now_ms());
        output_sync(o, ls);
}

static void io_want(struct ev_loop *ev, ev_io *w, bool want) {
        if (want && !ev_is_active(w) && w->fd >= 0)
                ev_io_start(ev, w);
        else if (!want && ev_is_active(w))
                ev_io_stop(ev, w);
}

static void console_sync(struct console *c, void *userdata) {
        struct loop *l = userdata;
        io_want(l->ev, &l->console_io, console_wants_write(c));
        io_want(l->ev, &l->own_io, console_own_wants_write(c));
}

static void on_console(struct ev_loop *ev, ev_io *w, int revents) {
        (void)ev;
        (void)revents;
        struct loop *l = w->data;
        int r = console_on_writable(l->console, now_ms());
        if (r < 0)
                log_debug("console: %s", strerror(-r));
        console_sync(l->console, l);
}

static void output_notify(struct output *o, void *userdata) {
        output_sync(o, userdata);
}

void loop_output_attach(struct loop *l, size_t idx, struct output *o) {
        struct loop_svc *ls = &l->svcs[idx];
        ls->out = o;
        if (!o)
                return;
        output_set_notify(o, output_notify, ls);
        output_sync(o, ls);
}

void loop_console_attach(struct loop *l, struct console *c) {
        if (!c || l->console)
                return;
        l->console = c;
        ev_io_init(&l->console_io, on_console, console_fd(c), EV_WRITE);
        l->console_io.data = l;
        ev_io_init(&l->own_io, on_console, console_own_fd(c), EV_WRITE);
        l->own_io.data = l;
        console_set_notify(c, console_sync, l);
        console_sync(c, l);
}

/* ---- extra watchers: stop budget, sockets, probes, watchdogs ----------- */

struct loop_timer {
        ev_timer w;
        struct loop *l;
        loop_cb cb;
        void *ud;
};

struct loop_io {
        ev_io w;
        struct loop *l;
        loop_cb cb;
        void *ud;
};

static void on_extra_timer(struct ev_loop *ev, ev_timer *w, int revents) {
        (void)ev;
        (void)revents;
        struct loop_timer *t = w->data;
        t->cb(t->ud);
}

static void on_extra_io(struct ev_loop *ev, ev_io *w, int revents) {
        (void)ev;
        (void)revents;
        struct loop_io *io = w->data;
        io->cb(io->ud);
}

struct loop_timer *loop_timer_new(struct loop *l, loop_cb cb, void *ud) {
        struct loop_timer *t = calloc(1, sizeof *t);
        if (!t)
                return NULL;
        *t = (struct loop_timer){ .l = l, .cb = cb, .ud = ud };
        ev_timer_init(&t->w, on_extra_timer, 0., 0.);
        t->w.data = t;
        return t;
}

void loop_timer_start(struct loop_timer *t, uint32_t ms) {
        ev_now_update(t->l->ev);
        ev_timer_stop(t->l->ev, &t->w);
        ev_timer_set(&t->w, seconds(ms), 0.);
        ev_timer_start(t->l->ev, &t->w);
}

void loop_timer_stop(struct loop_timer *t) {
        if (t)
                ev_timer_stop(t->l->ev, &t->w);
}

bool loop_timer_active(const struct loop_timer *t) {
        return t && ev_is_active(&t->w);
}

void loop_timer_free(struct loop_timer *t) {
        loop_timer_stop(t);
        free(t);
}

struct loop_io *loop_io_new(struct loop *l, int fd, loop_cb cb, void *ud) {
        struct loop_io *io = calloc(1, sizeof *io);
        if (!io)
                return NULL;
        *io = (struct loop_io){ .l = l, .cb = cb, .ud = ud };
        ev_io_init(&io->w, on_extra_io, fd, EV_READ);
        io->w.data = io;
        ev_io_start(l->ev, &io->w);
        return io;
}

void loop_io_free(struct loop_io *io) {
        if (!io)
                return;
        ev_io_stop(io->l->ev, &io->w);
        free(io);
}

/* The watchers of one service, idle until armed. */
static void loop_svc_init(struct loop *l, struct loop_svc *ls, size_t i) {
        ls->l = l;
        ls->idx = i;
        ev_timer_init(&ls->timer, on_timer, 0., 0.);
        ls->timer.data = ls;
        ev_io_init(&ls->out_io, on_output, -1, EV_READ);
        ls->out_io.data = ls;
        ev_timer_init(&ls->out_tick, on_output_tick, 0., 0.);
        ls->out_tick.data = ls;
}

/* The services changed (reload): per-service watchers follow their service
 * to its new index, a running timer keeps its remaining time. */
int loop_resize(struct loop *l, size_t n, const ssize_t *old_of_new) {
        size_t old_n = l->n;
        struct loop_svc *nv = calloc(n ? n : 1, sizeof *nv);
        if (!nv)
                return -ENOMEM;
        double *left = calloc(n ? n : 1, sizeof *left);
        if (!left) {
                free(nv);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                ssize_t o = old_of_new[i];
                left[i] = -1.;
                if (o >= 0 && (size_t)o < old_n && ev_is_active(&l->svcs[o].timer)) {
                        double r = ev_timer_remaining(l->ev, &l->svcs[o].timer);
                        left[i] = r > 0.001 ? r : 0.001;
                }
        }
        for (size_t i = 0; i < old_n; i++) {
                ev_timer_stop(l->ev, &l->svcs[i].timer);
                ev_io_stop(l->ev, &l->svcs[i].out_io);
                ev_timer_stop(l->ev, &l->svcs[i].out_tick);
        }
        free(l->svcs);
        l->svcs = nv;
        l->n = n;
        for (size_t i = 0; i < n; i++) {
                struct loop_svc *ls = &nv[i];
                loop_svc_init(l, ls, i);
                if (left[i] > 0.) { /* it was running */
                        ev_timer_set(&ls->timer, left[i], 0.);
                        ev_timer_start(l->ev, &ls->timer);
                }
        }
        free(left);
        return 0;
}

/* ---- setup ----------------------------------------------------------- */

static int start_signals(struct loop *l, const int *sigs, size_t n) {
        l->sigs = calloc(n ? n : 1, sizeof *l->sigs);
        if (!l->sigs)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                ev_signal_init(&l->sigs[i], on_signal, sigs[i]);
                l->sigs[i].data = l;
                ev_signal_start(l->ev, &l->sigs[i]);
        }
        l->n_sigs = n;
        return 0;
}

int loop_new(size_t n, const int *sigs, size_t n_sigs, const struct loop_sink *sink, struct loop **ret) {
        struct loop *l = calloc(1, sizeof *l);
        if (!l)
                return -ENOMEM;
        l->sink = *sink;
        l->n = n;
        l->svcs = calloc(n ? n : 1, sizeof *l->svcs);
        /* signalfd: signals arrive as reads, not as handlers interrupting
         * corral; libev falls back to handlers where it is unavailable. */
        l->ev = ev_loop_new(EVFLAG_SIGNALFD | EVFLAG_NOENV);
        if (!l->svcs || !l->ev) {
                int r = l->ev ? -ENOMEM : -EIO;
                if (l->ev)
                        ev_loop_destroy(l->ev);
                free(l->svcs);
                free(l);
                return r;
        }
        ev_signal_init(&l->child, on_child, SIGCHLD);
        ev_set_priority(&l->child, EV_MAXPRI);
        l->child.data = l;
        ev_signal_start(l->ev, &l->child);
        for (size_t i = 0; i < n; i++)
                loop_svc_init(l, &l->svcs[i], i);
        ev_prepare_init(&l->idle, on_idle);
        l->idle.data = l;
        ev_prepare_start(l->ev, &l->idle);
        /* The lowest priority: it runs once the iteration's other callbacks
         * have posted what they saw, so a restart costs no extra wakeup. */
        ev_check_init(&l->after, on_after);
        ev_set_priority(&l->after, EV_MINPRI);
        l->after.data = l;
        ev_check_start(l->ev, &l->after);
        int r = start_signals(l, sigs, n_sigs);
        if (r < 0) {
                loop_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

void loop_run(struct loop *l) {
        ev_run(l->ev, 0);
}

void loop_quit(struct loop *l) {
        ev_break(l->ev, EVBREAK_ALL);
}

void loop_free(struct loop *l) {
        if (!l)
                return;
        for (size_t i = 0; i < l->n_sigs; i++)
                ev_signal_stop(l->ev, &l->sigs[i]);
        for (size_t i = 0; i < l->n; i++) {
                ev_timer_stop(l->ev, &l->svcs[i].timer);
                ev_io_stop(l->ev, &l->svcs[i].out_io);
                ev_timer_stop(l->ev, &l->svcs[i].out_tick);
        }
        ev_io_stop(l->ev, &l->console_io);
        ev_io_stop(l->ev, &l->own_io);
        ev_prepare_stop(l->ev, &l->idle);
        ev_check_stop(l->ev, &l->after);
        ev_signal_stop(l->ev, &l->child);
        ev_loop_destroy(l->ev);
        free(l->sigs);
        free(l->svcs);
        free(l);
}
