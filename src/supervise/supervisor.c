/* The supervisor (supervisor.h): set up what surrounds the services, wire
 * the loop's callbacks to the producers of events, run, tear down.  Once
 * every loop iteration (idle) the dispatcher runs what the callbacks
 * posted, a reload moves on between its runs, and the pod decides whether
 * the loop ends (sup.h). */
#include <signal.h>
#include <sys/random.h>

#include "log.h"
#include "output.h"
#include "sigpolicy.h"
#include "sup.h"

static void on_child(void *ud, pid_t pid, int status) {
        proc_on_child(ud, pid, status);
}

static void on_signal(void *ud, int sig) {
        pod_on_signal(ud, sig);
}

static void on_timer(void *ud, size_t idx) {
        sup_post_kind(ud, idx, SVC_EV_TIMER);
}

static void on_idle(void *ud) {
        struct sup *s = ud;
        do
                dispatch_run(s);
        while (reconfig_step(s));
        pod_settle(s);
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
                loop_console_attach(s->loop, s->console);
        }
        for (size_t i = 0; i < s->n; i++) {
                const struct service *d = &s->m->services[i];
                r = output_new(&s->svcs[i].out, d->name, d->output, d->output_file, s->console);
                if (r < 0) {
                        log_error("service \"%s\": output: %s", d->name, strerror(-r));
                        return r;
                }
                loop_output_attach(s->loop, i, s->svcs[i].out);
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
                svc_setup(s, &s->svcs[i], &m->services[i]);
                svc_rt_init(&s->rts[i]);
        }
        s->recount = true;
        int r = order_build(m, &s->order);
        /* Room for every service's pid twice over, and for several events
         * each: no growth in steady state. */
        if (r >= 0)
                r = registry_init(&s->pids, 2 * s->n + 16);
        if (r >= 0)
                r = events_reserve(s, 4 * s->n + 64);
        return r;
}

static int sup_start(struct sup *s) {
        int sigs[NSIG];
        size_t n_sigs = sig_policy_handled(sigs, ARRAY_SIZE(sigs));
        struct loop_sink sink = {
                .child = on_child, .signal = on_signal, .timer = on_timer, .idle = on_idle, .ud = s,
        };
        int r = loop_new(s->n, sigs, n_sigs, &sink, &s->loop);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n; i++)
                if (!(s->svcs[i].watch = watch_new(s, i)))
                        return -ENOMEM;
        if ((r = setup_outputs(s)) < 0 || (r = pod_init(s)) < 0 || (r = reconfig_init(s)) < 0)
                return r;
        sockets_open(s);
        /* Every service is meant to run: the start order takes it from here. */
        for (size_t i = 0; i < s->n; i++)
                sup_post_kind(s, i, SVC_EV_WANT);
        return 0;
}

static void sup_done(struct sup *s) {
        reconfig_done(s);
        aux_done(s);
        sockets_close(s);
        if (s->svcs) {
                for (size_t i = 0; i < s->n; i++)
                        watch_free(s, s->svcs[i].watch);
                if (s->loop)
                        teardown_outputs(s);
                for (size_t i = 0; i < s->n; i++)
                        s->svcs[i].pidfd = safe_close(s->svcs[i].pidfd);
        }
        pod_done(s);
        loop_free(s->loop);
        registry_done(&s->pids);
        order_done(&s->order);
        events_free(s);
        seq_done(s);
        free(s->svcs);
        free(s->rts);
        free(s->batch);
        proc_done(s);
}

int supervisor_run(const struct model *m, const struct supervisor_options *o) {
        struct sup s;
        int r = sup_init(&s, m, o);
        if (r >= 0)
                r = sup_start(&s);
        if (r < 0) {
                log_error("cannot start supervising: %s", strerror(-r));
                sup_done(&s);
                return 1;
        }
        loop_run(s.loop);
        int code = pod_exit_code(&s);
        if (o->ret_signal)
                *o->ret_signal = s.stop_signal;
        sup_done(&s);
        return code;
}
