/* Glue between the supervisor and what surrounds it: the run directory and
 * its sockets, the aux children table, signals with a meaning beyond the
 * pod's (reload, a machine's power signals). */
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "appliance.h"
#include "cgroup.h"
#include "ext.h"
#include "log.h"
#include "ns.h"
#include "rundir.h"

struct svc_ext *ext_svc_new(struct sup *s, size_t idx) {
        struct svc_ext *e = calloc(1, sizeof *e);
        if (!e)
                return NULL;
        e->s = s;
        e->idx = idx;
        e->probe_slot = -1;
        return e;
}

void ext_svc_free(struct sup *s, struct svc_ext *e) {
        if (!e)
                return;
        ready_stop_all(s, e);
        for (size_t i = 0; i < EXT_MAX_AUX; i++)
                if (s->ext->aux[i].owner == e)
                        s->ext->aux[i].owner = NULL;
        loop_timer_free(e->probe);
        loop_timer_free(e->deadline);
        loop_timer_free(e->watchdog);
        free(e);
}

int ext_aux_add(struct sup *s, enum aux_kind kind, pid_t pid, struct svc_ext *owner, int conn_fd) {
        struct sup_ext *x = s->ext;
        for (size_t i = 0; i < EXT_MAX_AUX; i++) {
                if (x->aux[i].kind != AUX_FREE)
                        continue;
                int r = registry_put(&s->pids, pid, EXT_PID_TAG | (uint32_t)i);
                if (r < 0)
                        return r;
                x->aux[i] = (struct aux_child){ .kind = kind, .pid = pid, .owner = owner, .conn_fd = conn_fd };
                return (int)i;
        }
        return -EAGAIN;
}

void ext_enter_target(struct sup *s, size_t idx, struct enter_target *ret) {
        const struct svc *v = &s->svcs[idx];
        const struct sup_hooks *h = &s->opts->hooks;
        int cg = h->cgroup_fd ? h->cgroup_fd(h->ud, v->def) : -1;
        *ret = (struct enter_target){
                .pid = v->pid,
                .pidfd = v->pidfd,
                .cgroup_fd = cg >= 0 ? cg : -1,
                .set_ids = v->def->has_user || v->def->has_group,
                .uid = v->def->has_user ? v->def->uid : getuid(),
                .gid = v->def->has_group || v->def->has_user ? v->def->gid : getgid(),
        };
}

/* Another corral (same run dir) still serves path: leave it alone rather
 * than take its socket away. */
static bool socket_in_use(const char *path, int type) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof sa.sun_path)
                return false;
        strcpy(sa.sun_path, path);
        _cleanup_close_ int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        return fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
}

static void on_control(void *ud) {
        struct sup *s = ud;
        ctl_server_dispatch(s->ext->ctl);
        sup_settle(s);
}

static void open_sockets(struct sup *s) {
        struct sup_ext *x = s->ext;
        const char *dir = s->opts->run_dir;
        char why[256];
        int r = rundir_prepare(dir, why, sizeof why);
        if (r < 0) {
                log_error("run directory %s: %s", dir, why);
                return;
        }
        x->control_path = xasprintf("%s/control", dir);
        _cleanup_free_ char *np = xasprintf("%s/notify", dir);
        if (!x->control_path || !np)
                return;
        if (socket_in_use(x->control_path, SOCK_SEQPACKET)) {
                log_warn("%s: another corral answers there; running without a control socket (use --run-dir)",
                         x->control_path);
                r = 0;
        } else
                r = ctl_server_open(x->control_path, control_handle, s, &x->ctl);
        if (r < 0)
                log_error("control socket %s: %s", x->control_path, strerror(-r));
        else if (x->ctl) {
                x->ctl_io = loop_io_new(s->loop, ctl_server_fd(x->ctl), on_control, s);
                log_info("control socket %s", x->control_path);
        }

        bool want_notify = false;
        for (size_t i = 0; i < s->n; i++)
                want_notify |= s->m->services[i].type == SERVICE_NOTIFY;
        /* Always bound when a run dir exists: a reload may add notify services. */
        if (socket_in_use(np, SOCK_DGRAM)) {
                if (want_notify)
                        log_error("%s: another corral uses it (use --run-dir)", np);
                return;
        }
        r = notify_server_open(np, &x->notify);
        if (r < 0) {
                if (want_notify)
                        log_error("notify socket %s: %s", np, strerror(-r));
                return;
        }
        x->notify_io = loop_io_new(s->loop, notify_server_fd(x->notify), ready_on_notify, s);
}

int ext_start(struct sup *s) {
        struct sup_ext *x = calloc(1, sizeof *x);
        if (!x)
                return -ENOMEM;
        s->ext = x;
        x->svcs = calloc(s->n ? s->n : 1, sizeof *x->svcs);
        if (!x->svcs)
                return -ENOMEM;
        for (size_t i = 0; i < s->n; i++)
                if (!(x->svcs[i] = ext_svc_new(s, i)))
                        return -ENOMEM;
        open_sockets(s);
        return 0;
}

void ext_done(struct sup *s) {
        struct sup_ext *x = s->ext;
        if (!x)
                return;
        reconfig_abort(s);
        if (x->svcs)
                for (size_t i = 0; i < s->n; i++)
                        ext_svc_free(s, x->svcs[i]);
        free(x->svcs);
        for (size_t i = 0; i < EXT_MAX_AUX; i++) {
                if (x->aux[i].kind == AUX_EXEC) {
                        /* corral is going away: the exec child with it. */
                        kill(x->aux[i].pid, SIGKILL);
                        safe_close(x->aux[i].conn_fd);
                } else if (x->aux[i].kind == AUX_PROBE)
                        kill(x->aux[i].pid, SIGKILL);
        }
        loop_io_free(x->ctl_io);
        ctl_server_close(x->ctl);
        loop_io_free(x->notify_io);
        notify_server_close(x->notify);
        free(x->control_path);
        if (x->owned && s->opts->ret_model)
                *s->opts->ret_model = x->owned;
        else if (x->owned) {
                model_free(x->owned);
                free(x->owned);
        }
        s->ext = NULL;
        free(x);
}

void ext_on_effects(struct sup *s, size_t idx, const struct svc_effects *eff) {
        if (!s->ext || !s->ext->svcs || idx >= s->n)
                return;
        struct svc_ext *e = s->ext->svcs[idx];
        if (eff->mask & SVC_EFF_SPAWN)
                e->health_fails = 0;
        ready_on_effects(s, e, eff);
}

void ext_settle(struct sup *s) {
        struct sup_ext *x = s->ext;
        if (!x)
                return;
        /* Looked for only while a restart was asked for: settling runs after
         * every event, and a scan of every service each time would make an
         * event cost the size of the pod. */
        if (!s->shutting_down && x->any_restart_pending) {
                x->any_restart_pending = false;
                for (size_t i = 0; i < s->n; i++) {
                        struct svc_ext *e = x->svcs[i];
                        if (!e->restart_pending)
                                continue;
                        if (!svc_state_is_down(s->rts[i].state)) {
                                x->any_restart_pending = true;
                                continue;
                        }
                        e->restart_pending = false;
                        if (order_can_start(s->m, s->rts, i)) {
                                struct svc_event ev = { .kind = SVC_EV_START, .manual = true };
                                sup_dispatch_event(s, i, &ev);
                        } else
                                s->svcs[i].want_start = true;
                }
        }
        reconfig_settle(s);
        ready_settle(s);
}

bool ext_stays_up(const struct sup *s) {
        if (s->opts->machine)
                return true;
        if (!s->ext)
                return false;
        if (s->ext->pending)
                return true;
        for (size_t i = 0; i < s->n; i++)
                if (s->ext->svcs[i]->manual_stop)
                        return true;
        return false;
}

void ext_on_child(struct sup *s, pid_t pid, uint32_t tag, int status) {
        uint32_t slot = tag & ~EXT_PID_TAG;
        if (!s->ext || slot >= EXT_MAX_AUX || s->ext->aux[slot].pid != pid)
                return;
        struct aux_child a = s->ext->aux[slot];
        s->ext->aux[slot] = (struct aux_child){ .kind = AUX_FREE, .conn_fd = -1 };
        if (a.kind == AUX_EXEC)
                control_on_exec_exit(&a, status);
        else if (a.kind == AUX_PROBE && a.owner) {
                if (a.owner->probe_slot == (int)slot)
                        a.owner->probe_slot = -1;
                ready_on_probe_exit(s, a.owner, status);
        }
}

bool ext_on_signal(struct sup *s, int sig) {
        if (s->opts->machine && appliance_action_for_signal(sig) != ACTION_NONE) {
                if (s->shutting_down)
                        log_info("SIG%s: already stopping", signal_name(sig));
                else {
                        log_info("SIG%s: %s", signal_name(sig),
                                 appliance_action_to_string(appliance_action_for_signal(sig)));
                        sup_shutdown(s, sig);
                }
                return true;
        }
        if (sig == SIGHUP && !s->opts->tini_mode) {
                log_info("SIGHUP: reloading the config");
                (void)reconfig_begin(s, NULL);
                sup_settle(s);
                return true;
        }
        return false;
}

const char *ext_notify_socket(const struct sup *s, size_t idx) {
        if (!s->ext || !s->ext->notify || s->svcs[idx].def->type != SERVICE_NOTIFY)
                return NULL;
        return ns_notify_socket(s->svcs[idx].def, notify_server_path(s->ext->notify));
}

int ext_spawn_env(const struct sup *s, size_t idx, struct spawn_plan *p) {
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
