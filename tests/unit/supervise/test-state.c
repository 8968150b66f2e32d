#include <signal.h>
#include <stdbool.h>

#include "service.h"
#include "tap.h"
#include "util.h"

#define ST_EXIT(c) (((c) & 0xff) << 8)
#define ST_SIG(s) ((s) & 0x7f)

enum { SIMPLE_ALWAYS, SIMPLE_ONFAIL, SIMPLE_NEVER, ONESHOT, MAIN_NEVER, NOTIFY, TIGHT_LIMIT };

static struct svc_params params(int kind) {
        struct service s;
        service_init_defaults(&s);
        switch (kind) {
        case SIMPLE_ONFAIL: s.restart = RESTART_ON_FAILURE; break;
        case SIMPLE_NEVER: s.restart = RESTART_NEVER; break;
        case ONESHOT: s.type = SERVICE_ONESHOT; s.restart = RESTART_NEVER; break;
        case MAIN_NEVER: s.main = true; s.restart = RESTART_NEVER; break;
        case NOTIFY: s.type = SERVICE_NOTIFY; break;
        case TIGHT_LIMIT: s.start_limit_burst = 2; s.start_limit_interval_ms = 1000; break;
        default: break;
        }
        struct svc_params p;
        svc_params_from_service(&s, &p);
        return p;
}

struct step {
        enum svc_event_kind ev;
        uint64_t now;
        int status;
        enum svc_state want;
        unsigned effects; /* exact mask */
        uint32_t delay;   /* checked when ARM_BACKOFF */
        bool manual;
};

#define END { _SVC_EV_MAX, 0, 0, 0, 0, 0 }
#define E(x) SVC_EFF_##x

static const struct scenario {
        const char *name;
        int kind;
        struct step steps[12];
} scenarios[] = {
        { "simple: start, ready at exec", SIMPLE_ALWAYS, {
                { SVC_EV_START, 0, 0, SVC_STARTING, E(SPAWN), 0 },
                { SVC_EV_SPAWNED, 1, 0, SVC_READY, E(READY), 0 },
                END } },
        { "always: exit 0 restarts after 100, 200, 400 ms", SIMPLE_ALWAYS, {
                { SVC_EV_START, 0, 0, SVC_STARTING, E(SPAWN), 0 },
                { SVC_EV_SPAWNED, 0, 0, SVC_READY, E(READY), 0 },
                { SVC_EV_EXITED, 10, ST_EXIT(0), SVC_BACKOFF, E(CLEANUP) | E(ARM_BACKOFF), 100 },
                { SVC_EV_BACKOFF_DONE, 110, 0, SVC_STARTING, E(SPAWN), 0 },
                { SVC_EV_SPAWNED, 110, 0, SVC_READY, E(READY), 0 },
                { SVC_EV_EXITED, 120, ST_EXIT(1), SVC_BACKOFF, E(CLEANUP) | E(ARM_BACKOFF), 200 },
                { SVC_EV_BACKOFF_DONE, 320, 0, SVC_STARTING, E(SPAWN), 0 },
                { SVC_EV_SPAWNED, 320, 0, SVC_READY, E(READY), 0 },
                { SVC_EV_EXITED, 330, ST_SIG(SIGKILL), SVC_BACKOFF, E(CLEANUP) | E(ARM_BACKOFF), 400 },
                END } },
        { "backoff resets after restart_reset_ms up", SIMPLE_ALWAYS, {
                { SVC_EV_START, 0, 0, SVC_STARTING, E(SPAWN), 0 },
                { SVC_EV_SPAWNED, 0, 0, SVC_READY, E(READY), 0 },
                { SVC_EV_EXITED, 10, ST_EXIT(1), SVC_BACKOFF, E(CLEANUP) | E(ARM_BACKOFF), 100 },
                { SVC_EV_BACKOFF_DONE, 110, 0, SVC_STARTING, E(SPAWN), 0 },
                { SVC_EV_SPAWNED, 110, 0, SVC_READY, E(READY), 0 },
                { SVC_EV_EXITED, 10110, ST_EXIT(1), SVC_BACKOFF, E(CLEANUP) | E(ARM_BACKOFF), 100 },
                END } },
        { "on-failure: exit 0 is the end", SIMPLE_ONFAIL, {
                { SVC_EV_START, 0, 0, SVC_STARTING, E(SPAWN), 0 },
                { SVC_EV_SPAWNED, 0, 0, SVC_READY, E(READY), 0 },
                { SVC_EV_EXITED, 5, ST_EXIT(0), SVC_EXITED, E(CLEANUP) | E(DOWN), 0 },
                END } },
        { "on-failure: killed by its stop signal is not a failure", SIMPLE_ONFAIL, {
                { SVC_EV_START, 0, 0, SVC_STARTING, E(SPAWN), 0 },
                { SVC_EV_SPAWNED, 0, 0, SVC_READY, E(READY), 0 },
                { SVC_EV_EXITED, 5, ST_SIG(SIGTERM), SVC_EXITED, E(CLEANUP) | E(DOWN), 0 },
                END } },
        { "on-failure: another signal restarts", SIMPLE_ONFAIL, {
                { SVC_EV_START, 0, 0, SVC_STARTING, E(SPAWN), 0 },
                { SVC_EV_SPAWNED, 0, 0, SVC_READY, E(READY), 0 },
                { SVC_EV_EXITED, 5, ST_SIG(SIGSEGV), SVC_BACKOFF, E(CLEANUP) | E(ARM_BACKOFF), 100 },
                END } },
        { "never: failure is failed", SIMPLE_NEVER, {
                { SVC_EV_START, 0, 0, SVC_STARTING, E(SPAWN), 0 },
                { SVC_EV_SPAWNED, 0, 0, SVC_READY, E(READY), 0 },
                { SVC_EV_EXITED, 5, ST_EXIT(3), SVC_FAILED, E(CLEANUP) | E(DOWN) | E(FAILED), 0 },
                END } },
        { "oneshot: running until exit 0, then exited and ready", ONESHOT, {
                { SVC_EV_START, 0, 0, SVC_STARTING, E(SPAWN), 0 },
                { SVC_EV_SPAWNED, 0, 0, SVC_RUNNING, 0, 0 },
                { SVC_EV_READY, 1, 0, SVC_RUNNING, 0, 0 },
                { SVC_EV_EXITED, 5, ST_EXIT(0), SVC_EXITED, E(CLEANUP) | E(READY) | E(DOWN), 0 },
                END } },
        { "oneshot: failure is failed, never ready", ONESHOT, {
                { SVC_EV_START, 0, 0, SVC_STARTING, E(SPAWN), 0 },
                { SVC_EV_SPAWNED, 0, 0, SVC_RUNNING, 0, 0 },
                { SVC_EV_EXITED, 5, ST_EXIT(1), SVC_FAILED, E(CLEANUP) | E(DOWN) | E(FAILED), 0 },
                END } },
        { "notify: ready on READY", NOTIFY, {
                { SVC_EV_START, 0, 0, SVC_STARTING, E(SPAWN), 0 },
                { SVC_EV_SPAWNED, 0, 0, SVC_RUNNING, 0, 0 },
                { SVC_EV_READY, 1, 0, SVC_READY, E(READY), 0 },
                END } },
        { "main: its end stops the pod", MAIN_NEVER, {
                { SVC_EV_START, 0, 0, SVC_STARTING, E(SPAWN), 0 },
                { SVC_EV_SPAWNED, 0, 0, SVC_READY, E(READY), 0 },
                { SVC_EV_EXITED, 5, ST_EXIT(0), SVC_EXITED, E(CLEANUP) | E(DOWN) | E(MAIN_ENDED), 0 },
                END } },
        { "main: failed exec ends it", MAIN_NEVER, {
                { SVC_EV_START, 0, 0, SVC_STARTING, E(SPAWN), 0 },
                { SVC_EV_SPAWN_FAILED, 0, ST_EXIT(127), SVC_FAILED,
                  E(CLEANUP) | E(DOWN) | E(FAILED) | E(MAIN_ENDED), 0 },
                END } },
        { "stop: signal, timer, kill, stopped", SIMPLE_ALWAYS, {
                { SVC_EV_START, 0, 0, SVC_STARTING, E(SPAWN), 0 },
                { SVC_EV_SPAWNED, 0, 0, SVC_READY, E(READY), 0 },
                { SVC_EV_STOP, 5, 0, SVC_STOPPING, E(SIGNAL_STOP) | E(ARM_STOP_TIMER), 0 },
                { SVC_EV_STOP, 6, 0, SVC_STOPPING, 0, 0 },
                { SVC_EV_STOP_TIMEOUT, 5005, 0, SVC_STOPPING, E(KILL), 0 },
                { SVC_EV_EXITED, 5006, ST_SIG(SIGKILL), SVC_STOPPED, E(CANCEL_TIMER) | E(CLEANUP) | E(DOWN), 0 },
                { SVC_EV_BACKOFF_DONE, 6000, 0, SVC_STOPPED, 0, 0 },
                END } },
        { "stop during backoff cancels the restart", SIMPLE_ALWAYS, {
                { SVC_EV_START, 0, 0, SVC_STARTING, E(SPAWN), 0 },
                { SVC_EV_SPAWNED, 0, 0, SVC_READY, E(READY), 0 },
                { SVC_EV_EXITED, 5, ST_EXIT(1), SVC_BACKOFF, E(CLEANUP) | E(ARM_BACKOFF), 100 },
                { SVC_EV_STOP, 6, 0, SVC_STOPPED, E(CANCEL_TIMER) | E(DOWN), 0 },
                END } },
        { "hold: an exit while the pod stops does not restart", SIMPLE_ALWAYS, {
                { SVC_EV_START, 0, 0, SVC_STARTING, E(SPAWN), 0 },
                { SVC_EV_SPAWNED, 0, 0, SVC_READY, E(READY), 0 },
                { SVC_EV_HOLD, 5, 0, SVC_READY, 0, 0 },
                { SVC_EV_EXITED, 6, ST_EXIT(0), SVC_EXITED, E(CLEANUP) | E(DOWN), 0 },
                END } },
        { "stop of a stopped service reports it down", SIMPLE_ALWAYS, {
                { SVC_EV_STOP, 0, 0, SVC_STOPPED, E(DOWN), 0 },
                END } },
        { "start limit: third start within the interval fails", TIGHT_LIMIT, {
                { SVC_EV_START, 0, 0, SVC_STARTING, E(SPAWN), 0 },
                { SVC_EV_SPAWN_FAILED, 0, ST_EXIT(127), SVC_BACKOFF, E(CLEANUP) | E(ARM_BACKOFF), 100 },
                { SVC_EV_BACKOFF_DONE, 100, 0, SVC_STARTING, E(SPAWN), 0 },
                { SVC_EV_SPAWNED, 100, 0, SVC_READY, E(READY), 0 },
                { SVC_EV_EXITED, 101, ST_EXIT(1), SVC_BACKOFF, E(CLEANUP) | E(ARM_BACKOFF), 200 },
                { SVC_EV_BACKOFF_DONE, 301, 0, SVC_FAILED, E(DOWN) | E(FAILED), 0 },
                { SVC_EV_BACKOFF_DONE, 401, 0, SVC_FAILED, 0, 0 },
                { SVC_EV_START, 500, 0, SVC_FAILED, E(DOWN) | E(FAILED), 0 },
                { SVC_EV_START, 501, 0, SVC_STARTING, E(SPAWN), 0, true },
                END } },
        { "ignored events change nothing", SIMPLE_ALWAYS, {
                { SVC_EV_SPAWNED, 0, 0, SVC_STOPPED, 0, 0 },
                { SVC_EV_EXITED, 0, ST_EXIT(0), SVC_STOPPED, 0, 0 },
                { SVC_EV_READY, 0, 0, SVC_STOPPED, 0, 0 },
                { SVC_EV_STOP_TIMEOUT, 0, 0, SVC_STOPPED, 0, 0 },
                END } },
};

static void run(const struct scenario *sc) {
        struct svc_params p = params(sc->kind);
        struct svc_rt rt;
        svc_rt_init(&rt);
        for (size_t i = 0; sc->steps[i].ev != _SVC_EV_MAX; i++) {
                const struct step *st = &sc->steps[i];
                struct svc_event ev = { .kind = st->ev, .now_ms = st->now, .status = st->status, .manual = st->manual };
                struct svc_effects eff;
                svc_step(&p, &rt, &ev, &eff);
                bool good = rt.state == st->want && eff.to == st->want && eff.mask == st->effects &&
                            (!(eff.mask & SVC_EFF_ARM_BACKOFF) || eff.delay_ms == st->delay);
                ok(good, "%s: step %zu %s -> %s (got %s, effects 0x%x want 0x%x, delay %u)", sc->name, i,
                   svc_event_to_string(st->ev), svc_state_to_string(st->want), svc_state_to_string(rt.state),
                   eff.mask, st->effects, eff.delay_ms);
        }
}

static void test_counters(void) {
        struct svc_params p = params(SIMPLE_ALWAYS);
        struct svc_rt rt;
        svc_rt_init(&rt);
        struct svc_effects eff;
        svc_step(&p, &rt, &(struct svc_event){ .kind = SVC_EV_START }, &eff);
        for (int i = 0; i < 3; i++) {
                svc_step(&p, &rt, &(struct svc_event){ .kind = SVC_EV_SPAWNED, .now_ms = 1000 * i }, &eff);
                svc_step(&p, &rt, &(struct svc_event){ .kind = SVC_EV_EXITED, .now_ms = 1000 * i + 1,
                                                       .status = ST_EXIT(2) }, &eff);
                svc_step(&p, &rt, &(struct svc_event){ .kind = SVC_EV_BACKOFF_DONE, .now_ms = 1000 * i + 900 }, &eff);
        }
        ok(rt.restarts == 3, "three restarts counted (%u)", rt.restarts);
        ok(rt.has_exit && rt.last_status == ST_EXIT(2), "last exit recorded");
        struct svc_effects stop;
        svc_step(&p, &rt, &(struct svc_event){ .kind = SVC_EV_STOP }, &stop);
        ok(stop.from == SVC_STARTING && stop.to == SVC_STOPPING, "effects name from and to");
}

static void test_spawn_failure(void) {
        struct svc_params p = params(SIMPLE_ALWAYS);
        struct svc_rt rt;
        svc_rt_init(&rt);
        struct svc_effects eff;
        svc_step(&p, &rt, &(struct svc_event){ .kind = SVC_EV_START }, &eff);
        svc_step(&p, &rt, &(struct svc_event){ .kind = SVC_EV_SPAWN_FAILED, .status = ST_EXIT(127) }, &eff);
        ok(eff.delay_ms == 100 && rt.last_status == ST_EXIT(127), "spawn failure backs off like any failure");
}

static void test_names(void) {
        bool all = true;
        for (int s = 0; s < _SVC_STATE_MAX; s++)
                all = all && !streq(svc_state_to_string(s), "?");
        ok(all && streq(svc_state_to_string(SVC_BACKOFF), "backoff"), "every state has a name");
        ok(streq(svc_state_to_string(_SVC_STATE_MAX), "?"), "out of range state is ?");
        ok(svc_state_is_down(SVC_EXITED) && !svc_state_is_down(SVC_BACKOFF) &&
                   svc_state_has_process(SVC_STOPPING) && !svc_state_has_process(SVC_BACKOFF),
           "down and has-process classes");
}

int main(void) {
        for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++)
                run(&scenarios[i]);
        test_counters();
        test_spawn_failure();
        test_names();
        return done_testing();
}
