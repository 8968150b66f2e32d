/* The kernel side of one service: spawning it with its output wired,
 * signalling it without ever hitting a recycled pid, and what its reaped
 * end means. */
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "exitstatus.h"
#include "log.h"
#include "ns.h"
#include "output.h"
#include "sup.h"
#include "sys.h"

/* The end recorded for a start that never reached the command. */
static int failed_start_status(const struct spawn_error *e) {
        if (e->stage == STAGE_EXEC)
                return exit_status_from_code(exit_code_from_exec_errno(e->err));
        return exit_status_from_code(127);
}

/* Slots for the reports of PID namespaces' inits: twice the most services
 * a config may declare, for a reload's stopping and starting ones. */
#define NS_REPORT_SLOTS 8192

static void report_release(struct sup *s, struct svc *v) {
        if (v->ns_report)
                s->ns_used[v->ns_report - 1] = false;
        v->ns_report = 0;
}

/* A slot for the next start of v, whose plan has a PID namespace; NULL
 * when none is left (then corral sees the init's 128+N). */
static struct ns_exit_report *report_take(struct sup *s, struct svc *v) {
        report_release(s, v);
        if (!s->ns_reports) {
                void *m = mmap(NULL, NS_REPORT_SLOTS * sizeof *s->ns_reports, PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
                if (m == MAP_FAILED)
                        return NULL;
                s->ns_used = calloc(NS_REPORT_SLOTS, sizeof *s->ns_used);
                if (!s->ns_used) {
                        munmap(m, NS_REPORT_SLOTS * sizeof *s->ns_reports);
                        return NULL;
                }
                s->ns_reports = m;
        }
        for (size_t k = 0; k < NS_REPORT_SLOTS; k++) {
                size_t i = (s->ns_cursor + k) % NS_REPORT_SLOTS;
                if (s->ns_used[i])
                        continue;
                s->ns_used[i] = true;
                s->ns_cursor = i + 1;
                v->ns_report = i + 1;
                struct ns_exit_report *r = &s->ns_reports[i];
                __atomic_store_n(&r->gen, r->gen + 1, __ATOMIC_RELEASE);
                return r;
        }
        return NULL;
}

void proc_done(struct sup *s) {
        if (s->ns_reports)
                munmap(s->ns_reports, NS_REPORT_SLOTS * sizeof *s->ns_reports);
        free(s->ns_used);
        s->ns_reports = NULL;
        s->ns_used = NULL;
}

static int prepare(struct sup *s, size_t idx, struct spawn_plan *p) {
        const struct service *d = s->svcs[idx].def;
        const char *what = NULL;
        int r = spawn_plan_build(d, s->opts->base_env, sdnotify_socket(s, idx), p, &what);
        if (r < 0) {
                log_error("service \"%s\": %s%s%s", d->name, what ? what : "", what ? ": " : "", strerror(-r));
                return r;
        }
        r = sdnotify_spawn_env(s, idx, p);
        if (r < 0) {
                log_error("service \"%s\": environment: %s", d->name, strerror(-r));
                goto fail;
        }
        if (s->svcs[idx].out) {
                r = output_set_owner(s->svcs[idx].out, p->set_ids ? p->uid : (uid_t)-1, p->gid, p->groups,
                                     p->n_groups);
                if (r < 0)
                        log_error("service \"%s\": output: %s", d->name, strerror(-r));
                else
                        r = output_prepare(s->svcs[idx].out, p->stdio); /* logs its failures */
                if (r < 0)
                        goto fail;
        }
        if (s->opts->hooks.prepare_spawn) {
                r = s->opts->hooks.prepare_spawn(s->opts->hooks.ud, d, p);
                if (r < 0) {
                        log_error("service \"%s\": preparing the start: %s", d->name, strerror(-r));
                        goto fail;
                }
        }
        if (p->ns && (ns_plan_clone_flags(p->ns) & CLONE_NEWPID))
                p->ns_report = report_take(s, &s->svcs[idx]);
        return 0;
fail:
        if (s->svcs[idx].out)
                output_spawned(s->svcs[idx].out);
        spawn_plan_done(p);
        return r;
}

/* After the start attempt: the child's ends of its pipes closed, a failure
 * logged, the pid registered.  0, or a failed start with *ret_status. */
static int finish(struct sup *s, size_t idx, struct spawn_plan *p, const struct spawn_job *j, int *ret_status) {
        struct svc *v = &s->svcs[idx];
        int r = j->r;
        if (v->out)
                output_spawned(v->out);
        if (r == -ECHILD) {
                char msg[1024];
                spawn_error_format(v->def, p, &j->err, msg, sizeof msg);
                log_error("%s", msg);
                *ret_status = failed_start_status(&j->err);
        } else if (r < 0) {
                log_error("service \"%s\": starting: %s", v->def->name, strerror(-r));
                *ret_status = exit_status_from_code(127);
        }
        if (s->opts->hooks.spawn_done)
                s->opts->hooks.spawn_done(s->opts->hooks.ud, v->def, p);
        spawn_plan_done(p);
        if (r < 0) {
                report_release(s, v);
                return r; /* a child that failed its setup is reaped as an orphan */
        }

        r = registry_put(&s->pids, j->pid, (uint32_t)idx);
        if (r < 0) {
                /* Without an entry its exit would go unnoticed: stop it now. */
                log_error("service \"%s\": cannot track pid %d: %s", v->def->name, (int)j->pid, strerror(-r));
                kill(j->pid, SIGKILL);
                safe_close(j->pidfd);
                *ret_status = exit_status_from_code(127);
                return r;
        }
        v->pid = j->pid;
        v->pidfd = j->pidfd;
        log_info("service \"%s\": started, pid %d", v->def->name, (int)j->pid);
        return 0;
}

/* Spawn service idx alone.  0 on success (pid registered); otherwise a
 * failed start, already logged, with *ret_status the end to record. */
static int proc_spawn(struct sup *s, size_t idx, int *ret_status) {
        struct spawn_plan p;
        int r = prepare(s, idx, &p);
        if (r < 0) {
                *ret_status = exit_status_from_code(127);
                return r;
        }
        struct spawn_job j = { .plan = &p, .pidfd = -1, .err = { .stage = STAGE_NONE, .arg = -1 } };
        j.r = spawn_start(&p, &j.pid, &j.pidfd, &j.err);
        return finish(s, idx, &p, &j, ret_status);
}

/* The leaf's fd a plan borrows stays open only until the next service is
 * prepared (the cgroup tree reopens one leaf at a time): a plan that waits
 * for the others gets its own. */
static int own_cgroup_fd(struct spawn_plan *p) {
        if (p->cgroup_fd < 0)
                return 0;
        int fd = fcntl(p->cgroup_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        p->cgroup_fd = fd;
        return 0;
}

/* Plans are made for this many services at a time: a plan holds a copy of
 * the environment, and freed memory stays with corral. */
#define SPAWN_CHUNK 64

/* Prepare and start services idx[0..n), n <= SPAWN_CHUNK; status[i] is -1
 * for a start, else the end to record. */
static void spawn_chunk(struct sup *s, const size_t *idx, size_t n, int *status) {
        struct spawn_plan plans[SPAWN_CHUNK];
        struct spawn_job jobs[SPAWN_CHUNK];
        size_t job_of[SPAWN_CHUNK], nj = 0;
        for (size_t i = 0; i < n; i++) {
                job_of[i] = SIZE_MAX;
                status[i] = exit_status_from_code(127);
                if (prepare(s, idx[i], &plans[i]) < 0)
                        continue;
                int r = own_cgroup_fd(&plans[i]);
                if (r < 0) {
                        log_error("service \"%s\": cgroup: %s", s->svcs[idx[i]].def->name, strerror(-r));
                        if (s->svcs[idx[i]].out)
                                output_spawned(s->svcs[idx[i]].out);
                        report_release(s, &s->svcs[idx[i]]);
                        spawn_plan_done(&plans[i]);
                        continue;
                }
                jobs[nj] = (struct spawn_job){ .plan = &plans[i], .pidfd = -1 };
                job_of[i] = nj++;
        }
        spawn_start_many(jobs, nj);
        for (size_t i = 0; i < n; i++) {
                if (job_of[i] == SIZE_MAX)
                        continue;
                int cgroup_fd = plans[i].cgroup_fd;
                if (finish(s, idx[i], &plans[i], &jobs[job_of[i]], &status[i]) == 0)
                        status[i] = -1;
                safe_close(cgroup_fd);
        }
}

static void post_spawned(struct sup *s, size_t idx, int status) {
        struct svc_event ev = { .kind = status == -1 ? SVC_EV_SPAWNED : SVC_EV_SPAWN_FAILED, .status = status };
        sup_post(s, idx, &ev);
}

void proc_spawn_many(struct sup *s, const size_t *idx, size_t n) {
        int *status = n > 1 ? calloc(n, sizeof *status) : NULL;
        if (!status) {
                /* One at a time (a restart, or out of memory). */
                for (size_t i = 0; i < n; i++) {
                        int st;
                        post_spawned(s, idx[i], proc_spawn(s, idx[i], &st) == 0 ? -1 : st);
                }
                return;
        }
        for (size_t off = 0; off < n; off += SPAWN_CHUNK)
                spawn_chunk(s, idx + off, n - off < SPAWN_CHUNK ? n - off : SPAWN_CHUNK, status + off);
        /* Every pid is known before the first event: an event may stop the
         * pod, and the services started alongside must be stoppable then. */
        for (size_t i = 0; i < n; i++)
                if (status[i] == -1)
                        post_spawned(s, idx[i], -1);
        for (size_t i = 0; i < n; i++)
                if (status[i] != -1)
                        post_spawned(s, idx[i], status[i]);
        free(status);
}

int proc_signal(struct sup *s, size_t idx, int sig, bool group) {
        struct svc *v = &s->svcs[idx];
        if (v->pid <= 0)
                return -ESRCH;
        if (v->adopted) {
                /* A MAINPID= process: maybe not corral's child, so its pid
                 * and group may be reused once it ends; only a verified
                 * handle on it may be signalled, never a group. */
                if (v->pidfd >= 0)
                        return sys_pidfd_send_signal(v->pidfd, sig);
                if (!mainpid_verified(v))
                        return -ESRCH;
                return kill(v->pid, sig) < 0 ? -errno : 0;
        }
        /* v->pid is set only while the process is unreaped, and reaping is
         * ours alone: neither its pid nor its process group id can have been
         * reused yet. */
        if (group && !v->def->entrypoint) { /* only services run with setsid() lead a group */
                if (kill(-v->pid, sig) == 0)
                        return 0;
                if (errno != ESRCH)
                        return -errno;
                /* It left its process group: signal the process itself. */
        }
        if (v->pidfd >= 0) {
                int r = sys_pidfd_send_signal(v->pidfd, sig);
                if (r != -ENOSYS)
                        return r;
        }
        return kill(v->pid, sig) < 0 ? -errno : 0;
}

void proc_kill_all(struct sup *s, size_t idx) {
        struct svc *v = &s->svcs[idx];
        if (s->opts->hooks.kill_all) {
                int r = s->opts->hooks.kill_all(s->opts->hooks.ud, v->def, SIGKILL);
                if (r != -EOPNOTSUPP) {
                        if (r < 0)
                                log_warn("service \"%s\": killing its processes: %s", v->def->name, strerror(-r));
                        return;
                }
        }
        (void)proc_signal(s, idx, SIGKILL, true);
}

/* The main process was reaped with status: forget pid and pidfd, run
 * after_exit.  Returns the status to record: the service's own when the
 * main process was the init of its PID namespace and left a report. */
static int reaped(struct sup *s, size_t idx, int status) {
        struct svc *v = &s->svcs[idx];
        v->pid = 0;
        loop_io_free(v->main_io);
        v->main_io = NULL;
        v->adopted = false;
        v->pidfd = safe_close(v->pidfd);
        if (v->ns_report) {
                const struct ns_exit_report *r = &s->ns_reports[v->ns_report - 1];
                if (__atomic_load_n(&r->reported, __ATOMIC_ACQUIRE) == r->gen)
                        status = r->status;
                report_release(s, v);
        }
        if (s->opts->hooks.after_exit)
                s->opts->hooks.after_exit(s->opts->hooks.ud, v->def);
        return status;
}

void proc_on_child(struct sup *s, pid_t pid, int status) {
        uint32_t idx;
        if (registry_get(&s->pids, pid, &idx) < 0) {
                log_debug("reaped process %d", (int)pid);
                return;
        }
        (void)registry_del(&s->pids, pid);
        if (idx & AUX_PID_TAG) { /* a probe or an exec of corralctl */
                aux_on_child(s, pid, idx, status);
                return;
        }
        proc_main_ended(s, idx, status);
}

void proc_main_ended(struct sup *s, size_t idx, int status) {
        (void)registry_del(&s->pids, s->svcs[idx].pid);
        struct svc_event ev = { .kind = SVC_EV_EXITED, .status = reaped(s, idx, status) };
        sup_post(s, idx, &ev);
}

void proc_enter_target(struct sup *s, size_t idx, struct enter_target *ret) {
        const struct svc *v = &s->svcs[idx];
        const struct sup_hooks *h = &s->opts->hooks;
        int cg = h->cgroup_fd ? h->cgroup_fd(h->ud, v->def) : -1;
        *ret = (struct enter_target){
                .pid = v->pid,
                .cgroup_fd = cg >= 0 ? cg : -1,
                .set_ids = v->def->has_user || v->def->has_group,
                .uid = v->def->has_user ? v->def->uid : getuid(),
                .gid = v->def->has_group || v->def->has_user ? v->def->gid : getgid(),
        };
}
