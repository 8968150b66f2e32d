/* The pod as a whole (SPEC 7): what a signal to corral means, the ordered
 * stop of every service within the stop budget, when the loop ends, and
 * the exit status. */
#include <signal.h>

#include "appliance.h"
#include "exitstatus.h"
#include "log.h"
#include "notify.h"
#include "sigpolicy.h"
#include "sup.h"

static void on_budget(void *ud) {
        struct sup *s = ud;
        if (s->killed_all) {
                /* SIGKILL was sent a while ago and still not everything was
                 * reaped (a process stuck in the kernel): give up waiting. */
                log_error("processes survived SIGKILL; exiting anyway");
                s->done = true;
                return;
        }
        s->killed_all = true;
        log_warn("shutdown took longer than %u ms: SIGKILL to every service", s->m->settings.shutdown_timeout_ms);
        for (size_t i = 0; i < s->n; i++)
                if (svc_state_has_process(s->rts[i].state))
                        sup_post_kind(s, i, SVC_EV_KILL);
        loop_timer_start(s->budget, 2000);
}

int pod_init(struct sup *s) {
        s->budget = loop_timer_new(s->loop, on_budget, s);
        return s->budget ? 0 : -ENOMEM;
}

void pod_done(struct sup *s) {
        loop_timer_free(s->budget);
        s->budget = NULL;
}

void pod_stop(struct sup *s, int sig) {
        if (s->stopping)
                return;
        s->stopping = true;
        s->stop_signal = sig;
        if (sig > 0)
                log_info("SIG%s: stopping every service", signal_name(sig));
        (void)notify_outer("STOPPING=1");
        struct svc_event hold = { .kind = SVC_EV_HOLD, .reason = SVC_STOP_POD };
        for (size_t i = 0; i < s->n; i++)
                sup_post(s, i, &hold);
        loop_timer_start(s->budget, s->m->settings.shutdown_timeout_ms);
}

void pod_main_ended(struct sup *s, size_t idx) {
        if (!s->have_main_status && s->rts[idx].has_exit) {
                s->have_main_status = true;
                s->main_status = s->rts[idx].last_status;
        }
        if (!s->stopping) {
                log_info("main service \"%s\" ended: stopping the pod", s->svcs[idx].def->name);
                pod_stop(s, 0);
        }
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

static enum sig_mode sig_mode_of(const struct supervisor_options *o) {
        if (o->machine)
                return SIGMODE_MACHINE;
        return o->tini_mode ? SIGMODE_TINI : SIGMODE_POD;
}

void pod_on_signal(struct sup *s, int sig) {
        enum sig_mode mode = sig_mode_of(s->opts);
        switch (sig_policy(sig, mode)) {
        case SIGACT_SHUTDOWN:
                if (s->stopping) {
                        log_info("SIG%s: already stopping", signal_name(sig));
                        break;
                }
                if (mode == SIGMODE_MACHINE)
                        log_info("SIG%s: %s", signal_name(sig),
                                 appliance_action_to_string(appliance_action_for_signal(sig)));
                pod_stop(s, sig);
                break;
        case SIGACT_RELOAD:
                reconfig_request(s, NULL, -1);
                break;
        case SIGACT_FORWARD:
                forward_signal(s, sig);
                break;
        default:
                break;
        }
}

/* Every service is down, yet corral stays up: a machine's init, a reload
 * in progress, services stopped by the operator. */
static bool stays_up(const struct sup *s) {
        if (s->opts->machine || reconfig_busy(s))
                return true;
        for (size_t i = 0; i < s->n; i++)
                if (svc_rt_stopped_by_request(&s->rts[i]))
                        return true;
        return false;
}

void pod_settle(struct sup *s) {
        if (!s->sent_ready && !s->stopping && !reconfig_busy(s) && s->n_ready == s->n) {
                s->sent_ready = true;
                log_info("every service is ready");
                (void)notify_outer("READY=1");
        }
        if (s->done) {
                loop_quit(s->loop);
                return;
        }
        if (s->n_down != s->n || !events_empty(s))
                return;
        if (!s->stopping && stays_up(s))
                return;
        if (!s->stopping) {
                seq_log_stranded(s);
                log_info("no service left to run");
        }
        s->done = true;
        loop_quit(s->loop);
}

int pod_exit_code(const struct sup *s) {
        if (s->have_main_status) {
                struct exit_info e = exit_info_from_wait(s->main_status);
                return exit_info_to_code(&e);
        }
        if (s->stop_signal > 0)
                return 0;
        return s->any_failed ? 1 : 0;
}
