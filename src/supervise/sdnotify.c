/* The sd_notify(3) protocol on corral's side (SPEC 2: type "notify",
 * watchdog_ms): the environment a notify service gets (NOTIFY_SOCKET,
 * WATCHDOG_USEC), and what its datagrams mean.  One narrow entry: a
 * datagram comes in, it is attributed to a service, and it becomes an
 * event (READY=1: READY; WATCHDOG=trigger: FAIL) or an update of that
 * service (STATUS=, MAINPID=, WATCHDOG=1 re-arming its watchdog).  A
 * missed watchdog posts FAIL too. */
#include <signal.h>

#include "log.h"
#include "ns.h"
#include "sup.h"
#include "sys.h"

const char *sdnotify_socket(const struct sup *s, size_t idx) {
        if (!s->notify || s->svcs[idx].def->type != SERVICE_NOTIFY)
                return NULL;
        return ns_notify_socket(s->svcs[idx].def, notify_server_path(s->notify));
}

int sdnotify_spawn_env(const struct sup *s, size_t idx, struct spawn_plan *p) {
        const struct service *d = s->svcs[idx].def;
        if (d->type != SERVICE_NOTIFY || !d->watchdog_ms || !p->envp)
                return 0;
        size_t n = 0;
        while (p->envp[n])
                n++;
        char **e = realloc(p->envp, (n + 2) * sizeof *e);
        if (!e)
                return -ENOMEM;
        p->envp = e;
        if (!(e[n] = xasprintf("WATCHDOG_USEC=%llu", (unsigned long long)d->watchdog_ms * 1000ULL)))
                return -ENOMEM;
        e[n + 1] = NULL;
        return 0;
}

/* ---- the watchdog ----------------------------------------------------- */

static void on_watchdog(void *ud) {
        struct svc_watch *e = ud;
        struct sup *s = e->s;
        if (!svc_state_has_process(s->rts[e->idx].state) || s->rts[e->idx].state == SVC_STOPPING)
                return;
        /* A corral that ran late (a loaded machine, a stopped container)
         * finds this expiry and the socket's event in one loop turn, and
         * runs the timer first: a WATCHDOG=1 sent in time may be waiting. */
        e->watchdog_due = true;
        sdnotify_drain(s);
        e->watchdog_due = false;
        if (loop_timer_active(e->watchdog))
                return;
        log_error("service \"%s\": watchdog: no WATCHDOG=1 within %u ms: killing it", s->svcs[e->idx].def->name,
                  s->svcs[e->idx].def->watchdog_ms);
        sup_post_kind(s, e->idx, SVC_EV_FAIL);
}

void sdnotify_on_change(struct sup *s, size_t idx, const struct svc_effects *eff) {
        struct svc_watch *e = s->svcs[idx].watch;
        const struct service *d = s->svcs[idx].def;
        bool up = eff->to == SVC_RUNNING || eff->to == SVC_READY;
        if (!up) {
                loop_timer_stop(e->watchdog);
                return;
        }
        if (eff->from != SVC_STARTING || d->type != SERVICE_NOTIFY || !d->watchdog_ms)
                return;
        /* Just spawned: the first WATCHDOG=1 is due within watchdog_ms. */
        if (!e->watchdog)
                e->watchdog = loop_timer_new(s->loop, on_watchdog, e);
        if (e->watchdog)
                loop_timer_start(e->watchdog, d->watchdog_ms);
}

/* ---- datagrams -------------------------------------------------------- */

/* How far up a sender's parents attribution looks (without cgroups). */
#define SENDER_ANCESTRY_MAX 32
/* At most one warning about dropped datagrams per this many ms. */
#define DROP_WARN_MS 10000

/* The services as attribution sees them, refreshed for each datagram (no
 * allocation unless the set of services grew).  false when out of memory. */
static bool fill_targets(struct sup *s, bool cgroups) {
        if (s->n > s->cap_targets) {
                struct notify_target *t = realloc(s->targets, s->n * sizeof *t);
                if (!t)
                        return false;
                s->targets = t;
                s->cap_targets = s->n;
        }
        for (size_t i = 0; i < s->n; i++) {
                const struct svc *v = &s->svcs[i];
                s->targets[i] = (struct notify_target){
                        .main_pid = v->pid,
                        .main_is_ns_init = v->def->ns.pid && !v->adopted,
                        .leaf = cgroups ? v->def->cgroup_path : NULL,
                        .access = v->def->notify_access,
                        .notify = v->def->type == SERVICE_NOTIFY,
                };
        }
        return true;
}

static bool is_main_pid(const struct sup *s, pid_t pid) {
        uint32_t v;
        return registry_get(&s->pids, pid, &v) == 0 && !(v & AUX_PID_TAG);
}

static const char *refusal_text(enum notify_refusal why) {
        switch (why) {
        case NOTIFY_REFUSED_NOT_MAIN:
                return "not its main process (notify_access \"main\")";
        case NOTIFY_REFUSED_NONE:
                return "notify_access \"none\"";
        case NOTIFY_REFUSED_NOT_NOTIFY:
                return "not of type notify";
        case NOTIFY_REFUSED_STRANGER:
                break;
        }
        return "";
}

/* Count a datagram that nobody may send, with one warning now and then. */
static void drop(struct sup *s, const struct notify_msg *m, size_t svc, enum notify_refusal why) {
        s->notify_dropped++;
        uint64_t now = now_ms();
        if (s->notify_warned_ms && now - s->notify_warned_ms < DROP_WARN_MS)
                return;
        s->notify_warned_ms = now ? now : 1;
        if (svc < s->n)
                log_warn("notify: dropped a message from pid %d (uid %u) for service \"%s\": %s "
                         "(%llu dropped so far)",
                         (int)m->pid, (unsigned)m->uid, s->svcs[svc].def->name, refusal_text(why),
                         (unsigned long long)s->notify_dropped);
        else
                log_warn("notify: dropped a message from pid %d (uid %u): no process of any service "
                         "(%llu dropped so far)",
                         (int)m->pid, (unsigned)m->uid, (unsigned long long)s->notify_dropped);
}

/* The service the sender of m may speak for, or -1 (counted).  A main
 * process costs no /proc read; anyone else one read of its cgroup, or of
 * its parents' stat where some service runs without cgroups. */
static ssize_t find_sender(struct sup *s, const struct notify_msg *m) {
        char cgbuf[2048];
        pid_t anc[SENDER_ANCESTRY_MAX];
        struct notify_sender snd = { .pid = m->pid, .ancestors = anc };
        bool cgroups = mainpid_cgroups(s), ok = fill_targets(s, cgroups);
        size_t svc = SIZE_MAX;
        enum notify_refusal why = NOTIFY_REFUSED_STRANGER;
        if (!ok) {
                drop(s, m, svc, why);
                return -1;
        }
        if (!is_main_pid(s, m->pid)) {
                if (cgroups && notify_wants_cgroup(s->targets, s->n))
                        snd.cgroup = mainpid_cgroup_of(s, m->pid, cgbuf, sizeof cgbuf);
                if (notify_wants_ancestors(s->targets, s->n))
                        for (pid_t p = m->pid; snd.n_ancestors < SENDER_ANCESTRY_MAX && p > 1;) {
                                if ((p = mainpid_parent_of(p, NULL)) <= 0)
                                        break;
                                anc[snd.n_ancestors++] = p;
                                if (is_main_pid(s, p))
                                        break;
                        }
        }
        ssize_t i = notify_attribute(s->targets, s->n, &snd, &svc, &why);
        if (i < 0)
                drop(s, m, svc, why);
        return i;
}

void sdnotify_done(struct sup *s) {
        if (s->notify_dropped)
                log_warn("notify: %llu messages dropped in all: their senders may not speak for any service",
                         (unsigned long long)s->notify_dropped);
        free(s->targets);
        s->targets = NULL;
        s->cap_targets = 0;
}

static void apply_message(struct sup *s, const struct notify_msg *m) {
        ssize_t i = find_sender(s, m);
        if (i < 0)
                return;
        struct svc *v = &s->svcs[i];
        struct svc_watch *e = v->watch;
        if (m->status[0])
                snprintf(e->status, sizeof e->status, "%s", m->status);
        if (m->mainpid > 0)
                mainpid_accept(s, (size_t)i, m->mainpid);
        if (m->watchdog && v->def->watchdog_ms && e->watchdog && (loop_timer_active(e->watchdog) || e->watchdog_due))
                loop_timer_start(e->watchdog, v->def->watchdog_ms);
        if (m->stopping)
                log_info("service \"%s\": stopping", v->def->name);
        if (m->ready && s->rts[i].state == SVC_RUNNING) {
                log_info("service \"%s\": ready", v->def->name);
                sup_post_kind(s, (size_t)i, SVC_EV_READY);
        }
        if (m->watchdog_trigger) {
                log_error("service \"%s\": WATCHDOG=trigger: killing it", v->def->name);
                sup_post_kind(s, (size_t)i, SVC_EV_FAIL);
        }
}

/* At most this many datagrams per drain: a flood may delay a verdict by
 * that many, not hold the loop. */
#define DRAIN_MAX 64

void sdnotify_drain(struct sup *s) {
        struct notify_msg m;
        for (int n = 0; s->notify && n < DRAIN_MAX && notify_server_recv(s->notify, &m) > 0; n++)
                apply_message(s, &m);
}

void sdnotify_on_readable(void *ud) {
        struct sup *s = ud;
        struct notify_msg m;
        /* One datagram per wakeup: under a flood, a child's exit (the
         * loop's first priority) waits for at most one, not for a batch.
         * bench/run --only flood: with 64 per wakeup a restart took 2.2
         * times as long during a flood, with one 1.35 times. */
        if (notify_server_recv(s->notify, &m) > 0)
                apply_message(s, &m);
}
