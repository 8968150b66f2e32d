/* The supervisor's decisions: which service to start or stop next, what
 * each state-machine effect means, and when the pod ends.  No syscalls
 * beyond the clock here: process.c and loop.c do those. */
#include <signal.h>
#include <sys/random.h>

#include "exitstatus.h"
#include "ext.h"
#include "log.h"
#include "notify.h"
#include "output.h"
#include "sigpolicy.h"
#include "sup.h"

double sup_random(void *userdata) {
        struct sup *s = userdata;
        /* xorshift64*: jitter only needs to differ between services. */
        s->rnd_state ^= s->rnd_state >> 12;
        s->rnd_state ^= s->rnd_state << 25;
        s->rnd_state ^= s->rnd_state >> 27;
        return (double)((s->rnd_state * 2685821657736338717ULL) >> 11) / (double)(1ULL << 53);
}

static void log_end(const struct svc *v, const struct svc_rt *rt, const struct svc_effects *eff) {
        struct exit_info e = exit_info_from_wait(rt->last_status);
        char how[64];
        exit_info_format(&e, how, sizeof how);
        if (eff->mask & SVC_EFF_ARM_BACKOFF)
                log_info("service \"%s\": ended with %s; restart in %u ms", v->def->name, how, eff->delay_ms);
        else if ((eff->mask & SVC_EFF_FAILED) && !(eff->mask & SVC_EFF_MAIN_ENDED))
                log_error("service \"%s\": %s (last: %s)", v->def->name, eff->reason, how);
        else if (eff->to == SVC_STOPPED)
                log_info("service \"%s\": stopped (%s)", v->def->name, how);
        else
                log_info("service \"%s\": ended with %s", v->def->name, how);
}

static void on_main_ended(struct sup *s, size_t idx) {
        const struct svc *v = &s->svcs[idx];
        if (!s->have_main_status && s->rts[idx].has_exit) {
                s->have_main_status = true;
                s->main_status = s->rts[idx].last_status;
        }
        if (!s->shutting_down) {
                log_info("main service \"%s\" ended: stopping the pod", v->def->name);
                sup_shutdown(s, 0);
        }
}

/* Add idx to a work list of the start or stop order; out of memory, that
 * order looks at every service instead (*scan_all). */
static void work_push(size_t **list, size_t *n, size_t *cap, bool *scan_all, size_t idx) {
        size_t *l = grow_array(*list, cap, *n + 1, sizeof *l, 64);
        if (!l) {
                *scan_all = true;
                return;
        }
        *list = l;
        l[(*n)++] = idx;
}

/* Its dependents may start now (see advance_start()). */
static void note_ready(struct sup *s, size_t idx) {
        if (!s->shutting_down && !s->scan_all && s->order.n_dependents[idx])
                work_push(&s->readied, &s->n_readied, &s->cap_readied, &s->scan_all, idx);
}

/* During the pod's stop: the services it comes after may stop now. */
static void note_down(struct sup *s, size_t idx) {
        if (s->shutting_down && !s->stop_scan_all && s->svcs[idx].def->n_after)
                work_push(&s->downed, &s->n_downed, &s->cap_downed, &s->stop_scan_all, idx);
}

void sup_rescan(struct sup *s) {
        s->scan_all = true;
        s->n_readied = 0;
        s->n_down = s->n_ready = 0;
        for (size_t i = 0; i < s->n; i++) {
                s->n_down += svc_state_is_down(s->rts[i].state);
                s->n_ready += s->rts[i].ready;
        }
}

static void apply(struct sup *s, size_t idx, const struct svc_effects *eff) {
        struct svc *v = &s->svcs[idx];
        unsigned m = eff->mask;

        if (m & SVC_EFF_CANCEL_TIMER)
                loop_timer_cancel(s->loop, idx);
        if (m & SVC_EFF_SIGNAL_STOP) {
                int sig = v->params.stop_signal;
                /* tini: the signal that stops corral is the one the command gets. */
                if (s->opts->tini_mode && v->def->main && s->shutdown_signal > 0)
                        sig = s->shutdown_signal;
                log_debug("service \"%s\": sending SIG%s", v->def->name, signal_name(sig));
                (void)proc_signal(s, idx, sig, true);
        }
        if (m & SVC_EFF_ARM_STOP_TIMER)
                loop_timer_arm(s->loop, idx, v->def->stop_timeout_ms);
        if (m & SVC_EFF_KILL) {
                log_warn("service \"%s\": still running after its stop timeout: SIGKILL", v->def->name);
                proc_kill_all(s, idx);
        }
        if (m & SVC_EFF_CLEANUP)
                log_end(v, &s->rts[idx], eff); /* its process ended */
        else if (m & SVC_EFF_FAILED)
                log_error("service \"%s\": %s", v->def->name, eff->reason);
        if (m & SVC_EFF_FAILED)
                s->any_failed = true;
        if (m & SVC_EFF_ARM_BACKOFF)
                loop_timer_arm(s->loop, idx, eff->delay_ms);
        if (m & SVC_EFF_READY) {
                log_debug("service \"%s\": ready", v->def->name);
                note_ready(s, idx);
        }
        if ((m & SVC_EFF_DOWN) && eff->to == SVC_STOPPED && s->opts->hooks.stopped)
                s->opts->hooks.stopped(s->opts->hooks.ud, v->def);
        if (m & SVC_EFF_MAIN_ENDED)
                on_main_ended(s, idx);
        ext_on_effects(s, idx, eff);
        if ((m & SVC_EFF_SPAWN) && s->collecting) {
                size_t *b = grow_array(s->batch, &s->cap_batch, s->n_batch + 1, sizeof *b, 64);
                if (b) {
                        s->batch = b;
                        s->batch[s->n_batch++] = idx;
                        return;
                }
        }
        if (m & SVC_EFF_SPAWN) {
                int status;
                if (proc_spawn(s, idx, &status) == 0)
                        sup_dispatch(s, idx, SVC_EV_SPAWNED, 0);
                else
                        sup_dispatch(s, idx, SVC_EV_SPAWN_FAILED, status);
        }
}

void sup_dispatch_event(struct sup *s, size_t idx, struct svc_event *ev) {
        struct svc *v = &s->svcs[idx];
        struct svc_effects eff;

        ev->now_ms = now_ms();
        bool was_ready = s->rts[idx].ready;
        svc_step(&v->params, &s->rts[idx], ev, &eff);
        if (svc_state_is_down(eff.from) != svc_state_is_down(eff.to))
                s->n_down = svc_state_is_down(eff.to) ? s->n_down + 1 : s->n_down - 1;
        if (svc_state_is_down(eff.to) && (!svc_state_is_down(eff.from) || ev->kind == SVC_EV_STOP))
                note_down(s, idx);
        if (s->rts[idx].ready != was_ready)
                s->n_ready = was_ready ? s->n_ready - 1 : s->n_ready + 1;
        if (eff.from != eff.to)
                log_debug("service \"%s\": %s -> %s on %s", v->def->name, svc_state_to_string(eff.from),
                          svc_state_to_string(eff.to), svc_event_to_string(ev->kind));
        apply(s, idx, &eff);
}

void sup_dispatch(struct sup *s, size_t idx, enum svc_event_kind kind, int status) {
        struct svc_event ev = { .kind = kind, .status = status };
        sup_dispatch_event(s, idx, &ev);
}

static bool all_down(const struct sup *s) {
        return s->n_down == s->n;
}

static void try_start_waiting(struct sup *s, size_t i) {
        struct svc *v = &s->svcs[i];
        if (s->shutting_down || !v->want_start || !order_can_start(s->m, s->rts, i))
                return;
        v->want_start = false;
        sup_dispatch(s, i, SVC_EV_START, 0);
}

/* Start whatever waits and now may: repeat while a start made another
 * service ready, so a chain of simple services starts in one go.  Only
 * services that may have become startable are looked at: all of them
 * once, then the dependents of what became ready, so a long `after`
 * chain costs its length, not its square.  The starts of one pass are
 * made together (see spawn_start_many()).  Events of those starts may
 * settle again: the pass in progress goes on instead. */
static void advance_start(struct sup *s) {
        if (s->advancing)
                return;
        s->advancing = true;
        while (!s->shutting_down && (s->scan_all || s->n_readied)) {
                s->collecting = true;
                if (s->scan_all) {
                        s->scan_all = false;
                        s->n_readied = 0;
                        for (size_t i = 0; i < s->n; i++)
                                try_start_waiting(s, i);
                } else {
                        /* Taken whole: what becomes ready meanwhile is
                         * the next pass's. */
                        size_t *r = s->readied, n = s->n_readied;
                        s->readied = NULL;
                        s->n_readied = s->cap_readied = 0;
                        for (size_t k = 0; k < n; k++)
                                for (size_t d = 0; d < s->order.n_dependents[r[k]]; d++)
                                        try_start_waiting(s, s->order.dependents[r[k]][d]);
                        free(r);
                }
                s->collecting = false;
                size_t n = s->n_batch;
                s->n_batch = 0;
                if (n)
                        proc_spawn_many(s, s->batch, n);
        }
        s->advancing = false;
}

static void try_stop(struct sup *s, size_t i) {
        struct svc *v = &s->svcs[i];
        if (v->stop_requested || !order_can_stop(&s->order, s->rts, i))
                return;
        v->stop_requested = true;
        sup_dispatch(s, i, SVC_EV_STOP, 0);
}

/* During shutdown: stop every service whose dependents are all down.  As
 * advance_start(): every service once, then only the services in the
 * `after` lists of those that went down since. */
static void advance_stop(struct sup *s) {
        if (s->stop_scan_all) {
                s->stop_scan_all = false;
                s->n_downed = 0;
                for (size_t i = 0; i < s->n; i++)
                        try_stop(s, i);
        }
        while (s->n_downed) {
                size_t *d = s->downed, n = s->n_downed;
                s->downed = NULL;
                s->n_downed = s->cap_downed = 0;
                for (size_t k = 0; k < n; k++) {
                        const struct service *def = s->svcs[d[k]].def;
                        for (size_t a = 0; a < def->n_after; a++)
                                try_stop(s, def->after_idx[a]);
                }
                free(d);
        }
}

/* Services that wait for an `after` that will never be ready again. */
static void log_stranded(const struct sup *s) {
        for (size_t i = 0; i < s->n; i++)
                if (s->svcs[i].want_start)
                        log_warn("service \"%s\": not started: a service in its after list did not become ready",
                                 s->svcs[i].def->name);
}

/* After every event: move the start or stop order on, and end the loop
 * when nothing is left to do. */
static void settle(struct sup *s) {
        ext_settle(s);
        if (s->shutting_down)
                advance_stop(s);
        else
                advance_start(s);
        if (!all_down(s) || s->done)
                return;
        if (!s->shutting_down && ext_stays_up(s))
                return;
        if (!s->shutting_down) {
                log_stranded(s);
                log_info("no service left to run");
        }
        s->done = true;
        loop_quit(s->loop);
}

void sup_settle(struct sup *s) {
        settle(s);
}

void sup_shutdown(struct sup *s, int sig) {
        if (s->shutting_down)
                return;
        s->shutting_down = true;
        s->stop_scan_all = true;
        s->shutdown_signal = sig;
        if (sig > 0)
                log_info("SIG%s: stopping every service", signal_name(sig));
        (void)notify_outer("STOPPING=1");
        for (size_t i = 0; i < s->n; i++) {
                s->svcs[i].want_start = false;
                sup_dispatch(s, i, SVC_EV_HOLD, 0);
        }
        loop_shutdown_timer_arm(s->loop, s->m->settings.shutdown_timeout_ms);
        settle(s);
}

void sup_on_shutdown_timeout(struct sup *s) {
        if (s->killed_all) {
                /* SIGKILL was sent a while ago and still not everything was
                 * reaped (a process stuck in the kernel): give up waiting. */
                log_error("processes survived SIGKILL; exiting anyway");
                s->done = true;
                loop_quit(s->loop);
                return;
        }
        s->killed_all = true;
        log_warn("shutdown took longer than %u ms: SIGKILL to every service", s->m->settings.shutdown_timeout_ms);
        for (size_t i = 0; i < s->n; i++) {
                if (!svc_state_has_process(s->rts[i].state))
                        continue;
                if (!s->svcs[i].stop_requested) {
                        s->svcs[i].stop_requested = true;
                        sup_dispatch(s, i, SVC_EV_STOP, 0);
                }
                sup_dispatch(s, i, SVC_EV_STOP_TIMEOUT, 0);
        }
        loop_shutdown_timer_arm(s->loop, 2000);
        settle(s);
}

void sup_on_child(struct sup *s, pid_t pid, int status) {
        uint32_t idx;
        if (registry_get(&s->pids, pid, &idx) < 0) {
                log_debug("reaped process %d", (int)pid);
                return;
        }
        (void)registry_del(&s->pids, pid);
        if (idx & EXT_PID_TAG) { /* a probe or an exec of corralctl */
                ext_on_child(s, pid, idx, status);
                settle(s);
                return;
        }
        status = proc_reaped(s, idx, status);
        sup_dispatch(s, idx, SVC_EV_EXITED, status);
        settle(s);
}

void sup_on_timer(struct sup *s, size_t idx) {
        enum svc_state st = s->rts[idx].state;
        if (st == SVC_BACKOFF)
                sup_dispatch(s, idx, SVC_EV_BACKOFF_DONE, 0);
        else if (st == SVC_STOPPING)
                sup_dispatch(s, idx, SVC_EV_STOP_TIMEOUT, 0);
        settle(s);
}

static void forward_signal(struct sup *s, int sig) {
        bool sent = false;
        for (size_t i = 0; i < s->n; i++) {
                if (!s->svcs[i].def->main || s->svcs[i].pid <= 0)
                        continue;
                int r = proc_signal(s, i, sig, false);
                if (r < 0)
                        log_warn("service \"%s\": forwarding SIG%s: %s", s->svcs[i].def->name, signal_name(sig),
                                 strerror(-r));
                sent = true;
        }
        if (!sent)
                log_debug("SIG%s: no main service running to forward it to", signal_name(sig));
}

void sup_on_signal(struct sup *s, int sig) {
        if (ext_on_signal(s, sig))
                return;
        switch (sig_policy(sig, s->opts->tini_mode)) {
        case SIGACT_SHUTDOWN:
                if (s->shutting_down)
                        log_info("SIG%s: already stopping", signal_name(sig));
                else
                        sup_shutdown(s, sig);
                break;
        case SIGACT_RELOAD: /* handled by ext_on_signal() */
                break;
        case SIGACT_FORWARD:
                forward_signal(s, sig);
                break;
        default:
                break;
        }
}

static int final_code(const struct sup *s) {
        if (s->have_main_status) {
                struct exit_info e = exit_info_from_wait(s->main_status);
                return exit_info_to_code(&e);
        }
        if (s->shutdown_signal > 0)
                return 0;
        return s->any_failed ? 1 : 0;
}

static int setup_outputs(struct sup *s) {
        bool need_console = false;
        for (size_t i = 0; i < s->n; i++)
                need_console |= s->m->services[i].output == OUTPUT_CONSOLE || s->m->services[i].output == OUTPUT_FILE;
        /* Made even when no service needs it: corral's own lines take the
         * console's non-blocking path while the loop runs. */
        int r = console_init(&s->console, STDOUT_FILENO);
        if (r < 0 && need_console) {
                log_error("console: %s", strerror(-r));
                return r;
        }
        if (s->console) {
                (void)console_take_log(s->console, STDERR_FILENO);
                loop_console_attach(s->loop);
        }
        for (size_t i = 0; i < s->n; i++) {
                const struct service *d = &s->m->services[i];
                int r = output_new(&s->svcs[i].out, d->name, d->output, d->output_file, s->console);
                if (r < 0) {
                        log_error("service \"%s\": output: %s", d->name, strerror(-r));
                        return r;
                }
                loop_output_attach(s->loop, i);
        }
        return 0;
}

static void teardown_outputs(struct sup *s) {
        uint64_t now = now_ms();
        for (size_t i = 0; i < s->n; i++)
                if (s->svcs[i].out)
                        output_finish(s->svcs[i].out, now);
        if (s->console)
                (void)console_drain(s->console, 2000);
        for (size_t i = 0; i < s->n; i++)
                output_free(s->svcs[i].out);
        console_free(s->console);
}

static int sup_init(struct sup *s, const struct model *m, const struct supervisor_options *o) {
        *s = (struct sup){ .m = m, .opts = o, .n = m->n_services };
        spawn_reserve_slots();
        s->svcs = calloc(s->n ? s->n : 1, sizeof *s->svcs);
        s->rts = calloc(s->n ? s->n : 1, sizeof *s->rts);
        if (!s->svcs || !s->rts)
                return -ENOMEM;
        if (getrandom(&s->rnd_state, sizeof s->rnd_state, GRND_NONBLOCK) != sizeof s->rnd_state)
                s->rnd_state = now_ms() ^ ((uint64_t)getpid() << 32);
        s->rnd_state |= 1;
        for (size_t i = 0; i < s->n; i++) {
                struct svc *v = &s->svcs[i];
                v->def = &m->services[i];
                v->pidfd = -1;
                v->want_start = true;
                svc_params_from_service(v->def, &v->params);
                v->params.rnd = sup_random;
                v->params.rnd_data = s;
                svc_rt_init(&s->rts[i]);
        }
        sup_rescan(s);
        int r = order_build(m, &s->order);
        if (r < 0)
                return r;
        /* Room for every service's pid twice over: no growth in steady state. */
        return registry_init(&s->pids, 2 * s->n + 16);
}

static void sup_done(struct sup *s) {
        ext_done(s);
        if (s->svcs) {
                teardown_outputs(s);
                for (size_t i = 0; i < s->n; i++)
                        s->svcs[i].pidfd = safe_close(s->svcs[i].pidfd);
        }
        loop_free(s->loop);
        registry_done(&s->pids);
        order_done(&s->order);
        free(s->svcs);
        free(s->rts);
        free(s->batch);
        free(s->readied);
        free(s->downed);
        proc_done(s);
}

int supervisor_run(const struct model *m, const struct supervisor_options *o) {
        struct sup s;
        int r = sup_init(&s, m, o);
        if (r >= 0)
                r = loop_new(&s, &s.loop);
        if (r >= 0)
                r = setup_outputs(&s);
        if (r >= 0)
                r = ext_start(&s);
        if (r < 0) {
                log_error("cannot start supervising: %s", strerror(-r));
                sup_done(&s);
                return 1;
        }
        settle(&s);
        if (!s.done)
                loop_run(s.loop);
        int code = final_code(&s);
        if (o->ret_signal)
                *o->ret_signal = s.shutdown_signal;
        sup_done(&s);
        return code;
}
