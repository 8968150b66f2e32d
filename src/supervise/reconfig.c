/* Reload (SIGHUP, `corralctl reload`): read the config again, validate it
 * whole, and move the running pod to it.
 *
 * A rejected config changes nothing.  An accepted one is checked and its
 * cgroup and namespace plans made there and then (hooks.reload_prepare):
 * the swap applies those, never a second reading of the filesystem.  It is
 * applied in two steps, so that no service ever points into a model that
 * is gone: first every changed and removed service is held down and
 * stopped, in the stop order, with its old definition; once all of them
 * are down the services are swapped to the new model in one go (unchanged
 * ones keep their process, pid, timers and output; changed and added ones
 * start under their new definitions, unless an operator had stopped them;
 * the old model is released).  If the plans cannot be applied then
 * (hooks.reload_commit fails), nothing of the new model is used: the old
 * plans stay, and what was stopped for the reload starts again as it was.
 *
 * One reload at a time: asked for again meanwhile, the config is read
 * once more after it (requests coalesce, as systemd's reload jobs do), and
 * a `corralctl reload` waiting for that gets the answer of that reload. */
#include <signal.h>

#include "config.h"
#include "log.h"
#include "output.h"
#include "reload.h"
#include "sup.h"

struct reload {
        struct model *pending;    /* the new model, while what it replaces or removes stops */
        struct reload_diff *diff;
        struct model *owned;      /* the current model when a reload made it */
        bool again;               /* asked for meanwhile: read the config again afterwards */
        int waiting[CTL_MAX_CONNS]; /* connections of `corralctl reload` answered then */
        size_t n_waiting;
};

int reconfig_init(struct sup *s) {
        s->reload = calloc(1, sizeof *s->reload);
        return s->reload ? 0 : -ENOMEM;
}

bool reconfig_busy(const struct sup *s) {
        return s->reload && (s->reload->pending || s->reload->again);
}

static void reply_diags(const struct diags *d, struct ctl_reply *why) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f)
                return;
        diags_print(d, f);
        fclose(f);
        /* One log line per error, and the whole list for the client. */
        for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
                nl = strchr(line, '\n');
                const char *m = strncmp(line, "corral: ", 8) == 0 ? line + 8 : line;
                log_error("reload: %.*s", nl ? (int)(nl - m) : (int)strlen(m), m);
        }
        if (why && text)
                ctl_err(why, "%s", text);
        free(text);
}

static int refuse(struct ctl_reply *why, const char *msg) {
        log_error("reload: %s", msg);
        if (why) {
                ctl_err(why, "corral: reload: %s\n", msg);
                why->status = CTL_EXIT_FAIL;
        }
        return -EINVAL;
}

/* The new model, loaded, checked as --check does, and its plans made
 * (nothing applied yet).  NULL when refused. */
static struct model *load_new(struct sup *s, struct ctl_reply *why) {
        struct model *nm = calloc(1, sizeof *nm);
        struct diags d = {0};
        if (!nm)
                return NULL;
        int r = config_load(s->opts->config, nm, &d);
        const struct sup_hooks *h = &s->opts->hooks;
        if (r >= 0 && h->reload_prepare && h->reload_prepare(h->ud, nm, &d) < 0)
                r = -EINVAL;
        if (r < 0) {
                if (diags_empty(&d))
                        diag_add(&d, NULL, 0, "loading the config: %s", strerror(-r));
                reply_diags(&d, why);
                if (why) {
                        ctl_err(why, "corral: reload: config rejected, nothing changed\n");
                        why->status = CTL_EXIT_FAIL;
                }
                log_error("reload: config rejected, nothing changed");
                diags_free(&d);
                model_free(nm);
                free(nm);
                return NULL;
        }
        diags_free(&d);
        return nm;
}

static void drop_pending(struct sup *s) {
        struct reload *x = s->reload;
        const struct sup_hooks *h = &s->opts->hooks;
        if (!x->pending)
                return;
        if (h->reload_abort)
                h->reload_abort(h->ud);
        reload_diff_free(x->diff);
        free(x->diff);
        model_free(x->pending);
        free(x->pending);
        x->pending = NULL;
        x->diff = NULL;
}

static int begin(struct sup *s, struct ctl_reply *why) {
        struct reload *x = s->reload;
        if (!s->opts->config)
                return refuse(why, "no config to read again");
        if (s->stopping)
                return refuse(why, "the pod is stopping");
        const struct sup_hooks *h = &s->opts->hooks;
        /* Hooks that know services by their definitions must be told of the
         * new model, or they would look into the old one. */
        if ((h->prepare_spawn || h->spawn_done || h->kill_all || h->after_exit || h->cgroup_fd || h->stats) &&
            !h->reload_commit)
                return refuse(why, "not possible with the cgroup and namespace set-up of this corral");
        struct model *nm = load_new(s, why);
        if (!nm)
                return -EINVAL;
        struct reload_diff *diff = calloc(1, sizeof *diff);
        x->pending = nm;
        if (!diff || reload_diff_build(s->m, nm, diff) < 0) {
                free(diff);
                drop_pending(s);
                return refuse(why, strerror(ENOMEM));
        }
        x->diff = diff;
        log_info("reload: %zu added, %zu removed, %zu changed, %zu unchanged", diff->n_added, diff->n_removed,
                 diff->n_changed, diff->n_unchanged);
        if (why)
                ctl_out(why, "reload: %zu added, %zu removed, %zu changed, %zu unchanged\n", diff->n_added,
                        diff->n_removed, diff->n_changed, diff->n_unchanged);
        for (size_t i = 0; i < s->n; i++) {
                enum reload_change c = diff->old_change[i];
                if (c == RELOAD_UNCHANGED)
                        continue;
                struct svc_event hold = { .kind = SVC_EV_HOLD,
                                          .reason = c == RELOAD_REMOVED ? SVC_STOP_REMOVED : SVC_STOP_RELOAD };
                sup_post(s, i, &hold);
        }
        return 0;
}

static void answer_waiting(struct sup *s, const struct ctl_reply *r) {
        struct reload *x = s->reload;
        for (size_t k = 0; k < x->n_waiting; k++)
                ctl_send_reply(x->waiting[k], r);
        x->n_waiting = 0;
}

void reconfig_request(struct sup *s, struct ctl_reply *why, int conn_fd) {
        struct reload *x = s->reload;
        if (x->pending && !s->stopping) {
                x->again = true;
                if (!why) {
                        log_info("SIGHUP: a reload is in progress; the config is read again once it is applied");
                        return;
                }
                log_info("reload: asked for during a reload; the config is read again once it is applied");
                if (conn_fd >= 0 && x->n_waiting < ARRAY_SIZE(x->waiting)) {
                        x->waiting[x->n_waiting++] = conn_fd;
                        why->deferred = true; /* answered when it begins */
                } else
                        ctl_out(why, "reload: queued after the reload in progress\n");
                return;
        }
        if (!why)
                log_info("SIGHUP: reloading the config");
        (void)begin(s, why);
}

/* The reload asked for during the last one. */
static void begin_queued(struct sup *s) {
        struct reload *x = s->reload;
        struct ctl_reply r = {0};
        x->again = false;
        log_info("reload: reading the config again, as asked during the last reload");
        (void)begin(s, x->n_waiting ? &r : NULL);
        answer_waiting(s, &r);
        ctl_reply_free(&r);
}

/* Nothing of the new model is used: what the reload held down runs again
 * as it was. */
static void revert(struct sup *s, const char *what, int err) {
        log_error("reload: %s: %s: keeping the old config", what, strerror(err));
        struct reload *x = s->reload;
        for (size_t i = 0; i < s->n; i++)
                if (x->diff->old_change[i] != RELOAD_UNCHANGED)
                        sup_post_kind(s, i, SVC_EV_RELEASE);
        drop_pending(s);
}

static bool reusable_output(const struct service *a, const struct service *b) {
        if (a->output != b->output)
                return false;
        return a->output != OUTPUT_FILE || (a->output_file && b->output_file && streq(a->output_file, b->output_file));
}

struct swap {
        struct svc *svcs;
        struct svc_rt *rts;
        ssize_t *old_of; /* for the loop: the timer follows an unchanged service */
        bool *fresh;     /* a new definition to start */
        struct order order;
};

static void swap_free(struct sup *s, struct swap *w, size_t nn) {
        for (size_t i = 0; w->svcs && w->old_of && i < nn; i++)
                if (w->old_of[i] < 0)
                        watch_free(s, w->svcs[i].watch);
        free(w->svcs);
        free(w->rts);
        free(w->old_of);
        free(w->fresh);
}

/* Room for the new service set (and the watch records of its new
 * services); nothing of the old one is touched yet. */
static int swap_alloc(struct sup *s, size_t nn, struct swap *w) {
        const struct reload_diff *diff = s->reload->diff;
        *w = (struct swap){
                .svcs = calloc(nn ? nn : 1, sizeof *w->svcs),
                .rts = calloc(nn ? nn : 1, sizeof *w->rts),
                .old_of = calloc(nn ? nn : 1, sizeof *w->old_of),
                .fresh = calloc(nn ? nn : 1, sizeof *w->fresh),
        };
        bool ok = w->svcs && w->rts && w->old_of && w->fresh;
        for (size_t i = 0; ok && i < nn; i++) {
                bool kept = diff->new_change[i] == RELOAD_UNCHANGED && diff->old_index[i] >= 0;
                w->old_of[i] = kept ? diff->old_index[i] : -1;
                if (!kept)
                        ok = (w->svcs[i].watch = watch_new(s, i)) != NULL;
        }
        if (!ok || events_reserve(s, 4 * nn + 64) < 0 || order_build(s->reload->pending, &w->order) < 0) {
                swap_free(s, w, nn);
                return -ENOMEM;
        }
        return 0;
}

static int new_output(struct sup *s, struct svc *v) {
        bool console = v->def->output == OUTPUT_CONSOLE || v->def->output == OUTPUT_FILE;
        if (console && !s->console) {
                int r = console_init(&s->console, STDOUT_FILENO);
                if (r < 0)
                        return r;
                loop_console_attach(s->loop, s->console);
        }
        return output_new(&v->out, v->def->name, v->def->output, v->def->output_file, s->console);
}

/* Service i of the new model, from old service o (or none). */
static int take_service(struct sup *s, struct swap *w, const struct model *nm, size_t i) {
        const struct reload_diff *diff = s->reload->diff;
        ssize_t o = diff->old_index[i];
        struct svc *v = &w->svcs[i];
        svc_rt_init(&w->rts[i]);
        if (w->old_of[i] >= 0) {
                *v = s->svcs[o];
                v->def = &nm->services[i];
                svc_params_from_service(v->def, &v->params);
                v->params.rnd = s->svcs[o].params.rnd;
                v->params.rnd_data = s->svcs[o].params.rnd_data;
                w->rts[i] = s->rts[o];
                s->svcs[o] = (struct svc){ .pidfd = -1 }; /* moved: the old entry owns nothing */
                v->watch->idx = i;
                if (v->pid > 0)
                        (void)registry_put(&s->pids, v->pid, (uint32_t)i);
                return 0;
        }
        struct svc_watch *watch = v->watch;
        svc_setup(s, v, &nm->services[i]);
        v->watch = watch;
        if (o >= 0 && s->rts[o].want == SVC_WANT_DOWN) {
                /* Stopped by request: stays stopped across reloads. */
                w->rts[i].want = SVC_WANT_DOWN;
                w->rts[i].stop = SVC_STOP_OPERATOR;
        } else
                w->fresh[i] = true;
        if (o >= 0 && s->svcs[o].out && reusable_output(s->svcs[o].def, v->def)) {
                v->out = s->svcs[o].out;
                s->svcs[o].out = NULL;
        }
        return v->out ? 0 : new_output(s, v);
}

/* What is left of the old services goes, while the loop's watchers (which
 * output_finish() may still poke) exist. */
static void release_old(struct sup *s) {
        uint64_t now = now_ms();
        for (size_t o = 0; o < s->n; o++) {
                struct svc *v = &s->svcs[o];
                watch_free(s, v->watch);
                if (v->out) {
                        output_finish(v->out, now);
                        output_free(v->out);
                }
                safe_close(v->pidfd);
        }
}

/* Every changed and removed service is down: move to the new model, or
 * keep the old one when its plans cannot be applied. */
static void swap(struct sup *s) {
        struct reload *x = s->reload;
        struct model *nm = x->pending;
        size_t nn = nm->n_services;
        struct swap w;
        if (swap_alloc(s, nn, &w) < 0) {
                revert(s, "making room for the new services", ENOMEM);
                return;
        }
        /* The hooks follow while the old model still exists. */
        const struct sup_hooks *h = &s->opts->hooks;
        int fd = -1;
        int r = h->reload_commit ? h->reload_commit(h->ud, &fd) : 0;
        if (r < 0) {
                order_done(&w.order);
                swap_free(s, &w, nn);
                revert(s, "applying the cgroup and namespace plans", -r);
                return;
        }
        for (size_t i = 0; i < nn; i++)
                if ((r = take_service(s, &w, nm, i)) < 0)
                        log_error("service \"%s\": output: %s", nm->services[i].name, strerror(-r));
        release_old(s);
        (void)loop_resize(s->loop, nn, w.old_of);
        free(s->svcs);
        free(s->rts);
        order_done(&s->order);
        s->order = w.order;
        s->svcs = w.svcs;
        s->rts = w.rts;
        s->n = nn;
        s->m = nm;
        s->recount = true;
        seq_rescan(s);
        for (size_t i = 0; i < nn; i++) {
                loop_output_attach(s->loop, i, s->svcs[i].out);
                if (w.fresh[i])
                        sup_post_kind(s, i, SVC_EV_WANT);
        }
        sockets_hook_fd(s, fd);
        free(w.old_of);
        free(w.fresh);
        if (x->owned) {
                model_free(x->owned);
                free(x->owned);
        }
        x->owned = nm;
        x->pending = NULL;
        reload_diff_free(x->diff);
        free(x->diff);
        x->diff = NULL;
        log_info("reload: done");
}

static bool held_down(const struct sup *s) {
        const struct reload_diff *diff = s->reload->diff;
        for (size_t i = 0; i < s->n; i++)
                if (diff->old_change[i] != RELOAD_UNCHANGED && !svc_state_is_down(s->rts[i].state))
                        return false;
        return true;
}

bool reconfig_step(struct sup *s) {
        struct reload *x = s->reload;
        if (!x)
                return false;
        if (s->stopping) {
                if (x->pending || x->n_waiting) {
                        struct ctl_reply r = { .status = CTL_EXIT_FAIL };
                        ctl_err(&r, "corral: reload: the pod is stopping\n");
                        drop_pending(s);
                        answer_waiting(s, &r);
                        ctl_reply_free(&r);
                }
                x->again = false;
                return false;
        }
        if (x->pending) {
                if (!events_empty(s) || !held_down(s))
                        return false;
                swap(s);
                return true;
        }
        if (x->again) {
                begin_queued(s);
                return true;
        }
        return false;
}

void reconfig_done(struct sup *s) {
        struct reload *x = s->reload;
        if (!x)
                return;
        if (x->n_waiting) {
                struct ctl_reply r = { .status = CTL_EXIT_FAIL };
                ctl_err(&r, "corral: reload: corral is exiting\n");
                answer_waiting(s, &r);
                ctl_reply_free(&r);
        }
        drop_pending(s);
        if (x->owned && s->opts->ret_model)
                *s->opts->ret_model = x->owned;
        else if (x->owned) {
                model_free(x->owned);
                free(x->owned);
        }
        free(x);
        s->reload = NULL;
}
