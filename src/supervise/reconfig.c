/* Reload (SIGHUP, `corralctl reload`): read the config again, validate it
 * whole, and move the running pod to it.
 *
 * A rejected config changes nothing.  An accepted one is applied in two
 * steps, so that no service ever points into a model that is gone: first
 * every changed and removed service is stopped (with the old definitions);
 * once all of them are down, the services are swapped to the new model in
 * one go: unchanged ones keep their process, pid, timers and output,
 * changed and added ones start under their new definitions, and the old
 * model is released. */
#include <signal.h>

#include "config.h"
#include "ext.h"
#include "log.h"
#include "output.h"

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
        if (why)
                ctl_err(why, "corral: reload: %s\n", msg);
        return -EINVAL;
}

/* The new model, loaded and checked as --check does.  NULL when refused. */
static struct model *load_new(struct sup *s, struct ctl_reply *why) {
        struct model *nm = calloc(1, sizeof *nm);
        struct diags d = {0};
        if (!nm)
                return NULL;
        int r = config_load(s->opts->config, nm, &d);
        const struct sup_hooks *h = &s->opts->hooks;
        if (r >= 0 && h->check_model && h->check_model(h->ud, nm, &d) < 0)
                r = -EINVAL;
        if (r < 0) {
                if (diags_empty(&d))
                        diag_add(&d, NULL, 0, "loading the config: %s", strerror(-r));
                reply_diags(&d, why);
                if (why)
                        ctl_err(why, "corral: reload: config rejected, nothing changed\n");
                log_error("reload: config rejected, nothing changed");
                diags_free(&d);
                model_free(nm);
                free(nm);
                return NULL;
        }
        diags_free(&d);
        return nm;
}

int reconfig_begin(struct sup *s, struct ctl_reply *why) {
        struct sup_ext *x = s->ext;
        if (!s->opts->config)
                return refuse(why, "no config to read again");
        if (s->shutting_down)
                return refuse(why, "the pod is stopping");
        if (x->pending)
                return refuse(why, "the previous reload is still being applied");
        const struct sup_hooks *h = &s->opts->hooks;
        /* Hooks that know services by their definitions must be told of the
         * new model, or they would look into the old one. */
        if ((h->prepare_spawn || h->spawn_done || h->kill_all || h->after_exit || h->cgroup_fd || h->stats) &&
            !h->swap_model)
                return refuse(why, "not possible with the cgroup and namespace set-up of this corral");
        struct model *nm = load_new(s, why);
        if (!nm) {
                if (why && !why->status)
                        why->status = CTL_EXIT_FAIL;
                return -EINVAL;
        }
        struct reload_diff *diff = calloc(1, sizeof *diff);
        if (!diff || reload_diff_build(s->m, nm, diff) < 0) {
                free(diff);
                model_free(nm);
                free(nm);
                return refuse(why, strerror(ENOMEM));
        }
        log_info("reload: %zu added, %zu removed, %zu changed, %zu unchanged", diff->n_added, diff->n_removed,
                 diff->n_changed, diff->n_unchanged);
        if (why)
                ctl_out(why, "reload: %zu added, %zu removed, %zu changed, %zu unchanged\n", diff->n_added,
                        diff->n_removed, diff->n_changed, diff->n_unchanged);
        x->pending = nm;
        x->diff = diff;
        for (size_t i = 0; i < s->n; i++) {
                if (diff->old_change[i] == RELOAD_UNCHANGED)
                        continue;
                struct svc_ext *e = x->svcs[i];
                e->reload_stop = true;
                e->restart_pending = false;
                s->svcs[i].want_start = false;
                sup_dispatch(s, i, SVC_EV_STOP, 0);
        }
        return 0;
}

void reconfig_abort(struct sup *s) {
        struct sup_ext *x = s->ext;
        if (!x->pending)
                return;
        reload_diff_free(x->diff);
        free(x->diff);
        model_free(x->pending);
        free(x->pending);
        x->pending = NULL;
        x->diff = NULL;
}

static bool reusable_output(const struct service *a, const struct service *b) {
        if (a->output != b->output)
                return false;
        return a->output != OUTPUT_FILE || (a->output_file && b->output_file && streq(a->output_file, b->output_file));
}

struct swap {
        struct svc *svcs;
        struct svc_rt *rts;
        struct svc_ext **ext;
        ssize_t *old_of; /* for the loop: the timer follows an unchanged service */
};

/* Service i of the new model, from old service o (or none). */
static int take_service(struct sup *s, struct swap *w, const struct model *nm, size_t i) {
        const struct reload_diff *diff = s->ext->diff;
        ssize_t o = diff->old_index[i];
        enum reload_change c = diff->new_change[i];
        struct svc *v = &w->svcs[i];
        *v = (struct svc){ .def = &nm->services[i], .pidfd = -1 };
        svc_rt_init(&w->rts[i]);
        w->old_of[i] = -1;
        if (c == RELOAD_UNCHANGED && o >= 0) {
                *v = s->svcs[o];
                v->def = &nm->services[i];
                w->rts[i] = s->rts[o];
                w->ext[i] = s->ext->svcs[o];
                s->ext->svcs[o] = NULL;
                s->svcs[o].out = NULL; /* moved: the old entry no longer owns them */
                s->svcs[o].pidfd = -1;
                w->ext[i]->idx = i;
                w->old_of[i] = o;
                if (v->pid > 0)
                        (void)registry_put(&s->pids, v->pid, (uint32_t)i);
        } else {
                v->want_start = true;
                if (o >= 0 && s->svcs[o].out && reusable_output(s->svcs[o].def, v->def)) {
                        v->out = s->svcs[o].out;
                        s->svcs[o].out = NULL;
                }
                if (!(w->ext[i] = ext_svc_new(s, i)))
                        return -ENOMEM;
        }
        svc_params_from_service(v->def, &v->params);
        v->params.rnd = sup_random;
        v->params.rnd_data = s;
        if (!v->out) {
                bool console = v->def->output == OUTPUT_CONSOLE || v->def->output == OUTPUT_FILE;
                if (console && !s->console) {
                        int r = console_init(&s->console, STDOUT_FILENO);
                        if (r < 0)
                                return r;
                }
                return output_new(&v->out, v->def->name, v->def->output, v->def->output_file, s->console);
        }
        return 0;
}

static void swap_free(struct swap *w, size_t n, struct sup *s) {
        for (size_t i = 0; w->svcs && i < n; i++) {
                if (w->ext && w->ext[i] && w->old_of[i] < 0)
                        ext_svc_free(s, w->ext[i]);
                if (w->svcs[i].out && w->old_of[i] < 0)
                        output_free(w->svcs[i].out);
        }
        free(w->svcs);
        free(w->rts);
        free(w->ext);
        free(w->old_of);
}

/* Every changed and removed service is down: move to the new model. */
static void swap(struct sup *s) {
        struct sup_ext *x = s->ext;
        struct model *nm = x->pending;
        size_t nn = nm->n_services, on = s->n;
        struct swap w = {
                .svcs = calloc(nn ? nn : 1, sizeof *w.svcs),
                .rts = calloc(nn ? nn : 1, sizeof *w.rts),
                .ext = calloc(nn ? nn : 1, sizeof *w.ext),
                .old_of = calloc(nn ? nn : 1, sizeof *w.old_of),
        };
        struct order ord;
        if (!w.svcs || !w.rts || !w.ext || !w.old_of || order_build(nm, &ord) < 0) {
                log_error("reload: %s: keeping the old config", strerror(ENOMEM));
                swap_free(&w, 0, s);
                reconfig_abort(s);
                return;
        }
        for (size_t i = 0; i < nn; i++)
                if (take_service(s, &w, nm, i) < 0)
                        log_error("service \"%s\": output: %s", nm->services[i].name, strerror(ENOMEM));
        /* What is left of the old services goes while their watchers (which
         * output_finish() may still poke) exist. */
        uint64_t now = now_ms();
        for (size_t o = 0; o < on; o++) {
                if (x->svcs[o])
                        ext_svc_free(s, x->svcs[o]);
                if (s->svcs[o].out) {
                        output_finish(s->svcs[o].out, now);
                        output_free(s->svcs[o].out);
                }
                safe_close(s->svcs[o].pidfd);
        }
        (void)loop_resize(s->loop, nn, w.old_of, on);
        free(s->svcs);
        free(s->rts);
        free(x->svcs);
        order_done(&s->order);
        s->order = ord;
        s->svcs = w.svcs;
        s->rts = w.rts;
        x->svcs = w.ext;
        s->n = nn;
        s->m = nm;
        sup_rescan(s);
        free(w.old_of);
        for (size_t i = 0; i < nn; i++)
                loop_output_attach(s->loop, i);
        /* The hooks follow while the old model still exists. */
        const struct sup_hooks *h = &s->opts->hooks;
        if (h->swap_model) {
                int fd = h->swap_model(h->ud, nm);
                if (fd < 0)
                        log_error("reload: applying the cgroup and namespace plans: %s", strerror(-fd));
                loop_hook_fd(s->loop, fd);
        }
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

void reconfig_settle(struct sup *s) {
        struct sup_ext *x = s->ext;
        if (!x->pending)
                return;
        if (s->shutting_down) {
                reconfig_abort(s);
                return;
        }
        for (size_t i = 0; i < s->n; i++)
                if (x->svcs[i]->reload_stop && !svc_state_is_down(s->rts[i].state))
                        return;
        swap(s);
}
