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
        struct svc_watch *e = v->watch;
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
                sup_post_kind(s, (size_t)i, SVC_EV_READY);
        }
        if (m->watchdog_trigger) {
                log_error("service \"%s\": WATCHDOG=trigger: killing it", v->def->name);
                sup_post_kind(s, (size_t)i, SVC_EV_FAIL);
        }
}

void sdnotify_on_readable(void *ud) {
        struct sup *s = ud;
        struct notify_msg m;
        /* A bounded batch per wakeup: a flood cannot starve the loop. */
        for (int n = 0; n < 64 && notify_server_recv(s->notify, &m) > 0; n++)
                apply_message(s, &m);
}
