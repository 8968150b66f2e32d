/* The commands of `corralctl` (SPEC 6), carried out on the running pod.
 * What an operator asks of a service (start, stop, restart) is posted as
 * an event for its state machine; the reply says what will happen from
 * what is known now.  Each handler fills the reply; exec keeps its
 * connection and answers once its child was reaped, and reload once it
 * began (after the reload in progress, if any). */
#include <signal.h>
#include <sys/wait.h>

#include "cgroup.h"
#include "exitstatus.h"
#include "log.h"
#include "output.h"
#include "sup.h"

static ssize_t find(struct sup *s, const struct ctl_request *req, struct ctl_reply *r) {
        for (size_t i = 0; i < s->n; i++)
                if (streq(s->svcs[i].def->name, req->name))
                        return (ssize_t)i;
        ctl_err(r, "corral: no service \"%s\"\n", req->name);
        r->status = CTL_EXIT_USAGE;
        return -1;
}

static void fill_status(struct sup *s, size_t i, uint64_t now, struct ctl_service_status *ret) {
        const struct svc *v = &s->svcs[i];
        const struct svc_rt *rt = &s->rts[i];
        const struct sup_hooks *h = &s->opts->hooks;
        struct exit_info e = exit_info_from_wait(rt->last_status);
        struct cgroup_stats st = {0};
        int sr = h->stats ? h->stats(h->ud, v->def, &st) : -ENODATA;
        bool have_stats = sr >= 0;
        *ret = (struct ctl_service_status){
                .name = v->def->name,
                .state = svc_state_to_string(rt->state),
                .pid = svc_state_has_process(rt->state) ? v->pid : 0,
                .uptime_ms = svc_state_has_process(rt->state) && now > rt->started_ms ? now - rt->started_ms : 0,
                .restarts = rt->restarts,
                .exited = rt->has_exit && e.kind == EXIT_CODE,
                .signaled = rt->has_exit && e.kind == EXIT_SIGNAL,
                .code = e.kind == EXIT_CODE ? e.value : 0,
                .signal = e.kind == EXIT_SIGNAL ? e.value : 0,
                .ready = rt->ready && svc_state_has_process(rt->state),
                /* -ENODATA: corral runs without cgroups. */
                .cgroup = sr == -ENODATA ? NULL : v->def->cgroup_path,
                .memory_current = have_stats && st.has_memory ? (int64_t)st.memory_current : -1,
                .memory_max = have_stats && st.memory_limited ? (int64_t)st.memory_max : -1,
                .oom_kills = have_stats ? st.oom_kills : 0,
        };
        if (ret->ready == false && rt->ready && v->def->type == SERVICE_ONESHOT)
                ret->ready = true; /* a oneshot that finished well stays ready */
}

static void cmd_status(struct sup *s, struct ctl_request *req, struct ctl_reply *r) {
        ssize_t one = -1;
        if (req->name && (one = find(s, req, r)) < 0)
                return;
        size_t n = one >= 0 ? 1 : s->n;
        struct ctl_service_status *v = calloc(n ? n : 1, sizeof *v);
        if (!v) {
                r->oom = true;
                return;
        }
        uint64_t now = now_ms();
        for (size_t k = 0; k < n; k++)
                fill_status(s, one >= 0 ? (size_t)one : k, now, &v[k]);
        ctl_format_status(r, v, n, req->json);
        free(v);
        if (one >= 0 && !req->json && s->svcs[one].watch->status[0])
                ctl_out(r, "status: %s\n", s->svcs[one].watch->status);
}

/* A reload in progress holds the service down: a start or restart of a
 * service it replaces waits for the new definition, of one it removes is
 * refused (true). */
static bool refused_by_reload(struct sup *s, size_t i, const char *what, struct ctl_reply *r) {
        const char *name = s->svcs[i].def->name;
        if (s->rts[i].hold == SVC_STOP_REMOVED) {
                ctl_err(r, "corral: service \"%s\": the reload in progress removes it\n", name);
                r->status = CTL_EXIT_FAIL;
                return true;
        }
        if (s->rts[i].hold != SVC_STOP_RELOAD)
                return false;
        ctl_out(r, "%s: %s with its new definition once the reload is applied\n", name, what);
        return false;
}

/* What the reply says of a service asked to run. */
static void tell_start(struct sup *s, size_t i, struct ctl_reply *r) {
        const struct svc_rt *rt = &s->rts[i];
        const char *name = s->svcs[i].def->name;
        if (rt->hold != SVC_STOP_NONE)
                return;
        if (svc_state_has_process(rt->state) && rt->state != SVC_STOPPING && svc_rt_goal_up(rt))
                ctl_out(r, "%s: already %s\n", name, svc_state_to_string(rt->state));
        else if (!svc_state_has_process(rt->state) && !order_can_start(s->m, s->rts, i))
                ctl_out(r, "%s: waits for the services in its after list\n", name);
}

static void cmd_start(struct sup *s, size_t i, struct ctl_reply *r) {
        if (refused_by_reload(s, i, "starts", r))
                return;
        tell_start(s, i, r);
        struct svc_event ev = { .kind = SVC_EV_WANT, .manual = true };
        sup_post(s, i, &ev);
}

static void cmd_stop(struct sup *s, size_t i) {
        sup_post_kind(s, i, SVC_EV_UNWANT);
}

static void cmd_restart(struct sup *s, size_t i, struct ctl_reply *r) {
        if (refused_by_reload(s, i, "restarts", r))
                return;
        if (!svc_state_has_process(s->rts[i].state))
                tell_start(s, i, r);
        sup_post_kind(s, i, SVC_EV_RESTART);
}

static void cmd_kill(struct sup *s, size_t i, int sig, struct ctl_reply *r) {
        int e = proc_signal(s, i, sig, false);
        if (e < 0) {
                ctl_err(r, "corral: service \"%s\": %s\n", s->svcs[i].def->name,
                        e == -ESRCH ? "not running" : strerror(-e));
                r->status = CTL_EXIT_FAIL;
        }
}

static void tail_line(const char *line, size_t len, void *ud) {
        struct ctl_reply *r = ud;
        ctl_out_bytes(r, line, len);
        ctl_out_bytes(r, "\n", 1);
}

static void cmd_logs(struct sup *s, size_t i, long n, struct ctl_reply *r) {
        const struct output *o = s->svcs[i].out;
        if (!o) {
                ctl_err(r, "corral: service \"%s\": its output is not kept\n", s->svcs[i].def->name);
                r->status = CTL_EXIT_FAIL;
                return;
        }
        (void)output_tail(o, n > 0 ? (size_t)n : 0, tail_line, r);
}

static void cmd_check(struct sup *s, size_t i, struct ctl_reply *r) {
        const struct svc_rt *rt = &s->rts[i];
        if (rt->state == SVC_READY && rt->ready) {
                ctl_out(r, "%s: ready\n", s->svcs[i].def->name);
                return;
        }
        ctl_out(r, "%s: %s, not ready\n", s->svcs[i].def->name, svc_state_to_string(rt->state));
        r->status = CTL_EXIT_FAIL;
}

static void cmd_reopen(struct sup *s, struct ctl_reply *r) {
        if (!s->console)
                return;
        char msg[400];
        int e = output_reopen_all(s->console, msg, sizeof msg);
        if (e < 0) {
                ctl_err(r, "corral: reopen: %s\n", msg);
                r->status = CTL_EXIT_FAIL;
        }
}

static void on_exec_exit(struct sup *s, const struct aux_child *a, int status) {
        (void)s;
        struct ctl_reply r = {0};
        struct exit_info e = exit_info_from_wait(status);
        r.status = exit_info_to_code(&e);
        ctl_send_reply(a->conn_fd, &r);
        ctl_reply_free(&r);
}

static void cmd_exec(struct sup *s, size_t i, struct ctl_request *req, struct ctl_reply *r, int conn_fd) {
        const struct svc *v = &s->svcs[i];
        if (v->pid <= 0 || !svc_state_has_process(s->rts[i].state)) {
                ctl_err(r, "corral: service \"%s\": not running\n", v->def->name);
                r->status = CTL_EXIT_FAIL;
                return;
        }
        struct enter_target t;
        proc_enter_target(s, i, &t);
        pid_t pid;
        char why[1024];
        int e = spawn_exec(v->def, s->opts->base_env, sdnotify_socket(s, i), t.pid, t.cgroup_fd, req->argv,
                           req->fds, &pid, &r->status, why, sizeof why);
        if (e < 0) {
                ctl_err(r, "corral: %s\n", why);
                return;
        }
        e = aux_add(s, pid, on_exec_exit, NULL, conn_fd);
        if (e < 0) {
                /* The command leads its own session, and spawn_exec() returns
                 * once it executes: what it already started is in its group
                 * and goes with it.  Reaped as an unknown child. */
                (void)probe_kill(pid);
                ctl_err(r, "corral: exec: too many at once\n");
                r->status = CTL_EXIT_FAIL;
                return;
        }
        log_info("service \"%s\": exec %s, pid %d", v->def->name, req->argv[0], (int)pid);
        r->deferred = true;
}

static void cmd_shutdown(struct sup *s, struct ctl_reply *r) {
        ctl_out(r, "stopping\n");
        log_info("shutdown requested over the control socket");
        pod_stop(s, SIGTERM);
}

void control_handle(void *ud, struct ctl_request *req, struct ctl_reply *r, int conn_fd) {
        struct sup *s = ud;
        ssize_t i = -1;
        bool named = req->cmd != CTL_STATUS && req->cmd != CTL_RELOAD && req->cmd != CTL_REOPEN &&
                     req->cmd != CTL_SHUTDOWN;
        if (named && (!req->name || (i = find(s, req, r)) < 0)) {
                if (!req->name) {
                        ctl_err(r, "corral: %s: a service name is needed\n", ctl_cmd_to_string(req->cmd));
                        r->status = CTL_EXIT_USAGE;
                }
                return;
        }
        bool stopping = s->stopping && (req->cmd == CTL_START || req->cmd == CTL_RESTART);
        if (stopping) {
                ctl_err(r, "corral: the pod is stopping\n");
                r->status = CTL_EXIT_FAIL;
                return;
        }
        switch (req->cmd) {
        case CTL_STATUS: cmd_status(s, req, r); break;
        case CTL_START: cmd_start(s, (size_t)i, r); break;
        case CTL_STOP: cmd_stop(s, (size_t)i); break;
        case CTL_RESTART: cmd_restart(s, (size_t)i, r); break;
        case CTL_KILL: cmd_kill(s, (size_t)i, req->signal, r); break;
        case CTL_RELOAD: reconfig_request(s, r, conn_fd); break;
        case CTL_LOGS: cmd_logs(s, (size_t)i, req->lines, r); break;
        case CTL_CHECK: cmd_check(s, (size_t)i, r); break;
        case CTL_REOPEN: cmd_reopen(s, r); break;
        case CTL_EXEC: cmd_exec(s, (size_t)i, req, r, conn_fd); break;
        case CTL_SHUTDOWN: cmd_shutdown(s, r); break;
        default:
                ctl_err(r, "corral: unknown command\n");
                r->status = CTL_EXIT_USAGE;
                break;
        }
}
