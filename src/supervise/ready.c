/* Readiness and liveness probes of services (SPEC 2: ready, health).
 *
 * A service that waits for readiness stays RUNNING until its ready probe
 * passes (or READY=1 arrives, sdnotify.c): the probe posts READY.  Past
 * ready.timeout_ms the start failed, and `failures` failed health probes in
 * a row end it too: both post FAIL, which kills it, and its restart policy,
 * backoff and start limit decide what comes next, as for any failed start.
 * Probe attempts are children of corral (probe.h), reaped by the
 * supervisor's reaper and routed back here through aux.c. */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "log.h"
#include "sup.h"

#define ATTEMPT_MIN_MS 1000 /* a probe attempt may take at least this long */

static struct loop_timer *timer(struct sup *s, struct loop_timer **t, loop_cb cb, struct svc_watch *e) {
        if (!*t)
                *t = loop_timer_new(s->loop, cb, e);
        return *t;
}

static uint32_t attempt_ms(const struct probe *p) {
        return p->interval_ms > ATTEMPT_MIN_MS ? p->interval_ms : ATTEMPT_MIN_MS;
}

static void probe_attempt(struct sup *s, struct svc_watch *e);
static void drop_attempt(struct sup *s, struct svc_watch *e);

static void on_probe_timer(void *ud) {
        struct svc_watch *e = ud;
        struct sup *s = e->s;
        if (e->probe_slot >= 0) {
                /* The attempt outlived its time: its end counts as a failure. */
                (void)probe_kill(s->aux[e->probe_slot].pid);
                return;
        }
        probe_attempt(s, e);
}

static void schedule_probe(struct sup *s, struct svc_watch *e, bool health, uint32_t ms) {
        const struct service *d = s->svcs[e->idx].def;
        const struct probe *p = health ? &d->health : &d->ready;
        if (p->kind == PROBE_NONE || !timer(s, &e->probe, on_probe_timer, e))
                return;
        e->probing_health = health;
        loop_timer_start(e->probe, ms);
}

static void on_probe_exit(struct sup *s, const struct aux_child *a, int status);

/* An exec probe runs as the service runs, as `corralctl exec` does
 * (spawn_exec(): the service's ids, groups, capabilities, no_new_privs,
 * rlimits, workdir and environment, its command looked up only once it
 * has them), never with corral's own rights inside a filesystem the
 * service controls.  stdio is /dev/null; the command leads a session and
 * so a process group of its own, which probe_kill() ends whole. */
static int exec_attempt(struct sup *s, struct svc_watch *e, const struct probe *p, const struct enter_target *t,
                        pid_t *ret_pid) {
        const struct svc *v = &s->svcs[e->idx];
        _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0)
                return -errno;
        const int fds[3] = { null, null, null };
        char why[1024];
        int code;
        int r = spawn_exec(v->def, s->opts->base_env, sdnotify_socket(s, e->idx), t->pid, t->cgroup_fd,
                           p->exec_argv, fds, ret_pid, &code, why, sizeof why);
        if (r < 0)
                log_debug("%s", why);
        return r;
}

static void probe_attempt(struct sup *s, struct svc_watch *e) {
        const struct svc *v = &s->svcs[e->idx];
        const struct probe *p = e->probing_health ? &v->def->health : &v->def->ready;
        struct probe_plan plan;
        struct enter_target t;
        if (v->pid <= 0)
                return;
        int r = probe_plan_init(p, attempt_ms(p), &plan);
        if (r < 0) {
                log_error("service \"%s\": probe: %s", v->def->name, strerror(-r));
                return;
        }
        proc_enter_target(s, e->idx, &t);
        pid_t pid;
        if (p->kind == PROBE_EXEC) {
                int r2 = exec_attempt(s, e, p, &t, &pid);
                if (r2 == -ECHILD) {
                        /* Its command could not be started inside the service
                         * (not found, not executable): a failed attempt. */
                        on_probe_exit(s, &(struct aux_child){ .ud = e }, W_EXITCODE(127, 0));
                        return;
                }
                if (r2 < 0)
                        pid = r2;
        } else
                pid = probe_start(&plan, &t);
        if (pid < 0) {
                log_warn("service \"%s\": starting a probe: %s", v->def->name, strerror(-pid));
                schedule_probe(s, e, e->probing_health, p->interval_ms);
                return;
        }
        r = aux_add(s, pid, on_probe_exit, e, -1);
        if (r < 0) {
                /* Untracked it would be reaped unseen: count it as failed now. */
                kill(pid, SIGKILL);
                schedule_probe(s, e, e->probing_health, p->interval_ms);
                return;
        }
        e->probe_slot = r;
        loop_timer_start(e->probe, attempt_ms(p) + ATTEMPT_MIN_MS);
}

static void on_probe_exit(struct sup *s, const struct aux_child *a, int status) {
        struct svc_watch *e = a->ud;
        e->probe_slot = -1; /* only the attempt it tracks calls back: a dropped one has no callback */
        const struct svc *v = &s->svcs[e->idx];
        enum svc_state st = s->rts[e->idx].state;
        bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        loop_timer_stop(e->probe);
        if (!e->probing_health && st == SVC_RUNNING) {
                if (ok) {
                        log_debug("service \"%s\": ready probe passed", v->def->name);
                        sup_post_kind(s, e->idx, SVC_EV_READY);
                } else
                        schedule_probe(s, e, false, v->def->ready.interval_ms);
                return;
        }
        if (!e->probing_health || st != SVC_READY)
                return;
        if (ok) {
                e->health_fails = 0;
        } else if (++e->health_fails >= v->def->health.failures) {
                log_warn("service \"%s\": health probe failed %u times in a row: restarting", v->def->name,
                         e->health_fails);
                e->health_fails = 0;
                sup_post_kind(s, e->idx, SVC_EV_FAIL); /* killed: its restart policy decides */
                return;
        } else
                log_info("service \"%s\": health probe failed (%u of %u)", v->def->name, e->health_fails,
                         v->def->health.failures);
        schedule_probe(s, e, true, v->def->health.interval_ms);
}

static void on_deadline(void *ud) {
        struct svc_watch *e = ud;
        struct sup *s = e->s;
        if (s->rts[e->idx].state != SVC_RUNNING)
                return;
        /* A READY=1 sent in time may wait in the notify socket, unread
         * because corral ran late (see on_watchdog()): it is posted before
         * the timeout, and the ready service ignores the timeout then. */
        if (s->svcs[e->idx].def->type == SERVICE_NOTIFY)
                sdnotify_drain(s);
        log_error("service \"%s\": not ready within %u ms: the start failed", s->svcs[e->idx].def->name,
                  s->svcs[e->idx].def->ready.timeout_ms);
        sup_post_kind(s, e->idx, SVC_EV_READY_TIMEOUT);
}

/* Forget the running attempt: killed, reaped later without an owner. */
static void drop_attempt(struct sup *s, struct svc_watch *e) {
        if (e->probe_slot < 0)
                return;
        struct aux_child *a = &s->aux[e->probe_slot];
        (void)probe_kill(a->pid); /* unreaped: its pid is still its own */
        a->cb = NULL;
        e->probe_slot = -1;
}

static void stop_all(struct sup *s, struct svc_watch *e) {
        loop_timer_stop(e->probe);
        loop_timer_stop(e->deadline);
        drop_attempt(s, e);
}

struct svc_watch *watch_new(struct sup *s, size_t idx) {
        struct svc_watch *e = calloc(1, sizeof *e);
        if (!e)
                return NULL;
        e->s = s;
        e->idx = idx;
        e->probe_slot = -1;
        return e;
}

void watch_free(struct sup *s, struct svc_watch *e) {
        if (!e)
                return;
        stop_all(s, e);
        aux_forget(s, e);
        loop_timer_free(e->probe);
        loop_timer_free(e->deadline);
        loop_timer_free(e->watchdog);
        free(e);
}

void ready_on_change(struct sup *s, size_t idx, const struct svc_effects *eff) {
        struct svc_watch *e = s->svcs[idx].watch;
        const struct service *d = s->svcs[idx].def;
        if (eff->mask & SVC_EFF_SPAWN)
                e->health_fails = 0;
        if (eff->to != SVC_RUNNING && eff->to != SVC_READY) {
                if (eff->from == SVC_RUNNING || eff->from == SVC_READY || eff->from == SVC_STARTING)
                        stop_all(s, e);
                return;
        }
        if (eff->from == SVC_STARTING)
                e->status[0] = '\0'; /* just spawned */
        if (eff->from == SVC_STARTING && eff->to == SVC_RUNNING && d->type != SERVICE_ONESHOT) {
                if (timer(s, &e->deadline, on_deadline, e))
                        loop_timer_start(e->deadline, d->ready.timeout_ms);
                schedule_probe(s, e, false, 0);
        }
        if (eff->to == SVC_READY && eff->from != SVC_READY) {
                loop_timer_stop(e->deadline);
                loop_timer_stop(e->probe);
                drop_attempt(s, e); /* READY=1 came while a ready probe ran */
                e->health_fails = 0;
                schedule_probe(s, e, true, d->health.interval_ms);
        }
}

