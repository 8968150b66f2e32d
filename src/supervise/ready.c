/* Readiness and liveness of services (SPEC 2: type "notify", ready,
 * health, watchdog_ms), and READY=1 to corral's own manager.
 *
 * A service that waits for readiness stays RUNNING until READY=1 arrives
 * over NOTIFY_SOCKET or its ready probe passes; past ready.timeout_ms the
 * start failed: it is killed, and its restart policy, backoff and start
 * limit decide what comes next, as for any failed start.  A missed
 * watchdog, and `failures` failed health probes in a row, end it the same
 * way.  Probe attempts are children of corral (probe.h), reaped by the
 * supervisor's reaper and routed back here. */
#include <signal.h>
#include <sys/wait.h>

#include "ext.h"
#include "log.h"
#include "sys.h"

#define ATTEMPT_MIN_MS 1000 /* a probe attempt may take at least this long */

static struct loop_timer *timer(struct sup *s, struct loop_timer **t, loop_cb cb, struct svc_ext *e) {
        if (!*t)
                *t = loop_timer_new(s->loop, cb, e);
        return *t;
}

static uint32_t attempt_ms(const struct probe *p) {
        return p->interval_ms > ATTEMPT_MIN_MS ? p->interval_ms : ATTEMPT_MIN_MS;
}

/* The service gave up being healthy or ready: end it so that its restart
 * policy decides (a kill by SIGKILL is a failure for on-failure too). */
static void fail_service(struct sup *s, struct svc_ext *e) {
        ready_stop_all(s, e);
        proc_kill_all(s, e->idx);
}

static void probe_attempt(struct sup *s, struct svc_ext *e);
static void drop_attempt(struct sup *s, struct svc_ext *e);

static void on_probe_timer(void *ud) {
        struct svc_ext *e = ud;
        struct sup *s = e->s;
        if (e->probe_slot >= 0) {
                /* The attempt outlived its time: its end counts as a failure. */
                (void)probe_kill(s->ext->aux[e->probe_slot].pid);
                return;
        }
        probe_attempt(s, e);
        sup_settle(s);
}

static void schedule_probe(struct sup *s, struct svc_ext *e, bool health, uint32_t ms) {
        const struct service *d = s->svcs[e->idx].def;
        const struct probe *p = health ? &d->health : &d->ready;
        if (p->kind == PROBE_NONE || !timer(s, &e->probe, on_probe_timer, e))
                return;
        e->probing_health = health;
        loop_timer_start(e->probe, ms);
}

static void probe_attempt(struct sup *s, struct svc_ext *e) {
        const struct svc *v = &s->svcs[e->idx];
        const struct probe *p = e->probing_health ? &v->def->health : &v->def->ready;
        struct probe_plan plan;
        struct enter_target t;
        if (v->pid <= 0)
                return;
        int r = probe_plan_init(p, s->opts->base_env, attempt_ms(p), &plan);
        if (r < 0) {
                log_error("service \"%s\": probe: %s", v->def->name, strerror(-r));
                return;
        }
        ext_enter_target(s, e->idx, &t);
        pid_t pid = probe_start(&plan, &t);
        if (pid < 0) {
                log_warn("service \"%s\": starting a probe: %s", v->def->name, strerror(-pid));
                schedule_probe(s, e, e->probing_health, p->interval_ms);
                return;
        }
        r = ext_aux_add(s, AUX_PROBE, pid, e, -1);
        if (r < 0) {
                /* Untracked it would be reaped unseen: count it as failed now. */
                kill(pid, SIGKILL);
                schedule_probe(s, e, e->probing_health, p->interval_ms);
                return;
        }
        e->probe_slot = r;
        loop_timer_start(e->probe, attempt_ms(p) + ATTEMPT_MIN_MS);
}

void ready_on_probe_exit(struct sup *s, struct svc_ext *e, int status) {
        const struct svc *v = &s->svcs[e->idx];
        enum svc_state st = s->rts[e->idx].state;
        bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        loop_timer_stop(e->probe);
        if (!e->probing_health && st == SVC_RUNNING) {
                if (ok) {
                        log_debug("service \"%s\": ready probe passed", v->def->name);
                        sup_dispatch(s, e->idx, SVC_EV_READY, 0);
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
                fail_service(s, e);
                return;
        } else
                log_info("service \"%s\": health probe failed (%u of %u)", v->def->name, e->health_fails,
                         v->def->health.failures);
        schedule_probe(s, e, true, v->def->health.interval_ms);
}

static void on_deadline(void *ud) {
        struct svc_ext *e = ud;
        struct sup *s = e->s;
        if (s->rts[e->idx].state != SVC_RUNNING)
                return;
        log_error("service \"%s\": not ready within %u ms: the start failed", s->svcs[e->idx].def->name,
                  s->svcs[e->idx].def->ready.timeout_ms);
        fail_service(s, e);
        sup_settle(s);
}

static void on_watchdog(void *ud) {
        struct svc_ext *e = ud;
        struct sup *s = e->s;
        if (!svc_state_has_process(s->rts[e->idx].state) || s->rts[e->idx].state == SVC_STOPPING)
                return;
        log_error("service \"%s\": watchdog: no WATCHDOG=1 within %u ms: killing it", s->svcs[e->idx].def->name,
                  s->svcs[e->idx].def->watchdog_ms);
        fail_service(s, e);
        sup_settle(s);
}

/* Forget the running attempt: killed, reaped later without an owner. */
static void drop_attempt(struct sup *s, struct svc_ext *e) {
        if (e->probe_slot < 0 || !s->ext)
                return;
        struct aux_child *a = &s->ext->aux[e->probe_slot];
        (void)probe_kill(a->pid); /* unreaped: its pid is still its own */
        a->owner = NULL;
        e->probe_slot = -1;
}

void ready_stop_all(struct sup *s, struct svc_ext *e) {
        loop_timer_stop(e->probe);
        loop_timer_stop(e->deadline);
        loop_timer_stop(e->watchdog);
        drop_attempt(s, e);
}

void ready_on_effects(struct sup *s, struct svc_ext *e, const struct svc_effects *eff) {
        const struct service *d = s->svcs[e->idx].def;
        if (eff->to != SVC_RUNNING && eff->to != SVC_READY) {
                if (eff->from == SVC_RUNNING || eff->from == SVC_READY || eff->from == SVC_STARTING)
                        ready_stop_all(s, e);
                return;
        }
        if (eff->from == SVC_STARTING) {
                /* Just spawned. */
                e->status[0] = '\0';
                if (d->type == SERVICE_NOTIFY && d->watchdog_ms && timer(s, &e->watchdog, on_watchdog, e))
                        loop_timer_start(e->watchdog, d->watchdog_ms);
        }
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

/* ---- NOTIFY_SOCKET ---------------------------------------------------- */

static pid_t parent_of(pid_t pid) {
        char path[64];
        _cleanup_free_ char *buf = NULL;
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        if (read_file_at(-100 /* AT_FDCWD */, path, 4096, &buf, NULL) < 0)
                return 0;
        const char *p = strrchr(buf, ')'); /* the command may hold spaces and ')' */
        int ppid = 0;
        if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
                return 0;
        return ppid;
}

static bool cgroup_line(pid_t pid, char *buf, size_t size) {
        char path[64];
        _cleanup_free_ char *text = NULL;
        snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
        if (read_file_at(-100, path, 65536, &text, NULL) < 0)
                return false;
        const char *l = strstr(text, "0::");
        if (!l || (l != text && l[-1] != '\n'))
                return false;
        l += 3;
        size_t n = strcspn(l, "\n");
        if (n >= size)
                return false;
        memcpy(buf, l, n);
        buf[n] = '\0';
        return true;
}

/* The service a notify message is about: its main process, a process in
 * its leaf cgroup, or a descendant of its main process. */
static ssize_t find_sender(const struct sup *s, pid_t pid) {
        for (size_t i = 0; i < s->n; i++)
                if (s->svcs[i].pid > 0 && s->svcs[i].pid == pid)
                        return (ssize_t)i;
        char cg[4096], mine[4096];
        if (cgroup_line(pid, cg, sizeof cg) && (!cgroup_line(getpid(), mine, sizeof mine) || !streq(cg, mine))) {
                size_t cl = strlen(cg);
                for (size_t i = 0; i < s->n; i++) {
                        const char *leaf = s->svcs[i].def->cgroup_path;
                        size_t ll = leaf ? strlen(leaf) : 0;
                        if (s->svcs[i].pid > 0 && ll && cl > ll && cg[cl - ll - 1] == '/' &&
                            streq(cg + cl - ll, leaf))
                                return (ssize_t)i;
                }
        }
        pid_t p = pid;
        for (int depth = 0; depth < 64 && p > 1; depth++) {
                p = parent_of(p);
                for (size_t i = 0; i < s->n; i++)
                        if (s->svcs[i].pid > 0 && s->svcs[i].pid == p)
                                return (ssize_t)i;
        }
        return -1;
}

/* MAINPID=: the service's main process is another one from now on (a
 * daemon that forked).  It must be the service's own. */
static void set_mainpid(struct sup *s, size_t idx, pid_t pid) {
        struct svc *v = &s->svcs[idx];
        if (pid == v->pid)
                return;
        if (find_sender(s, pid) != (ssize_t)idx) {
                log_warn("service \"%s\": MAINPID=%d is not one of its processes", v->def->name, (int)pid);
                return;
        }
        if (registry_put(&s->pids, pid, (uint32_t)idx) < 0)
                return;
        (void)registry_del(&s->pids, v->pid);
        log_info("service \"%s\": main process is now %d", v->def->name, (int)pid);
        safe_close(v->pidfd);
        int fd = sys_pidfd_open(pid);
        v->pidfd = fd >= 0 ? fd : -1;
        v->pid = pid;
}

static void apply_message(struct sup *s, const struct notify_msg *m) {
        ssize_t i = find_sender(s, m->pid);
        if (i < 0) {
                log_debug("notify: message from pid %d of no service", (int)m->pid);
                return;
        }
        struct svc *v = &s->svcs[i];
        struct svc_ext *e = s->ext->svcs[i];
        if (v->def->type != SERVICE_NOTIFY) {
                log_debug("service \"%s\": notify message ignored: not of type notify", v->def->name);
                return;
        }
        if (m->status[0])
                snprintf(e->status, sizeof e->status, "%s", m->status);
        if (m->mainpid > 0)
                set_mainpid(s, (size_t)i, m->mainpid);
        if (m->watchdog && v->def->watchdog_ms && e->watchdog && loop_timer_active(e->watchdog))
                loop_timer_start(e->watchdog, v->def->watchdog_ms);
        if (m->stopping)
                log_info("service \"%s\": stopping", v->def->name);
        if (m->ready && s->rts[i].state == SVC_RUNNING) {
                log_info("service \"%s\": ready", v->def->name);
                sup_dispatch(s, (size_t)i, SVC_EV_READY, 0);
        }
        if (m->watchdog_trigger) {
                log_error("service \"%s\": WATCHDOG=trigger: killing it", v->def->name);
                fail_service(s, e);
        }
}

void ready_on_notify(void *ud) {
        struct sup *s = ud;
        struct notify_msg m;
        /* A bounded batch per wakeup: a flood cannot starve the loop. */
        for (int n = 0; n < 64 && notify_server_recv(s->ext->notify, &m) > 0; n++)
                apply_message(s, &m);
        sup_settle(s);
}

/* ---- upward ----------------------------------------------------------- */

void ready_settle(struct sup *s) {
        struct sup_ext *x = s->ext;
        if (x->sent_ready || s->shutting_down || x->pending || s->n_ready < s->n)
                return;
        x->sent_ready = true;
        log_info("every service is ready");
        (void)notify_outer("READY=1");
}
