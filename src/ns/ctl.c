/* The module's face to the supervisor: plans of every service built once at
 * load time, the kernel probe they are checked against, and the pods. */
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "ns-internal.h"

static const struct {
        int flag;
        const char *name;
} kinds[] = {
        { CLONE_NEWPID, "pid" }, { CLONE_NEWNS, "mount" },      { CLONE_NEWNET, "net" },   { CLONE_NEWUTS, "uts" },
        { CLONE_NEWIPC, "ipc" }, { CLONE_NEWCGROUP, "cgroup" }, { CLONE_NEWUSER, "user" },
};

void ns_flags_print(int flags, FILE *out) {
        bool any = false;
        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
                if (flags & kinds[i].flag) {
                        fprintf(out, "%s%s", any ? " " : "", kinds[i].name);
                        any = true;
                }
        if (!any)
                fprintf(out, "none");
}

/* In the probe child: one bit per kind that unshare() created.  The user
 * namespace goes last, since in it every other kind would succeed. */
static _noreturn_ void probe_child(void) {
        int bits = 0;
        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
                if (unshare(kinds[i].flag) == 0)
                        bits |= 1 << i;
        _exit(bits);
}

int ns_probe(int *ret_flags) {
        /* No exit signal: the child is a "clone" child that waitpid(-1)
         * without __WCLONE ignores, so it cannot be reaped by anyone else. */
        long pid = syscall(SYS_clone, 0, 0, 0, 0, 0);
        if (pid < 0)
                return -errno;
        if (pid == 0)
                probe_child();
        int st;
        while (waitpid((pid_t)pid, &st, __WCLONE) < 0)
                if (errno != EINTR)
                        return -errno;
        if (!WIFEXITED(st))
                return -EIO;
        int flags = 0;
        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
                if (WEXITSTATUS(st) & (1 << i))
                        flags |= kinds[i].flag;
        *ret_flags = flags;
        return 0;
}

struct ns_ctl {
        const struct model *m;
        char *run_dir;
        struct ns_plan **plans; /* one per service, NULL where none */
        char **names;
        size_t n;
        int supported; /* probed CLONE_NEW* flags, -1 when not probed */
        bool pods_started;
};

static const char *kind_name(int flag) {
        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
                if (kinds[i].flag == flag)
                        return kinds[i].name;
        return "?";
}

/* A declared namespace the kernel refuses: one error per kind. */
static void check_supported(const char *what, const char *name, const struct loc *loc, int line, int wanted,
                            int supported, struct diags *d) {
        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
                if ((wanted & kinds[i].flag) && !(supported & kinds[i].flag))
                        diag_add(d, loc->file, line ? line : loc->line,
                                 "%s \"%s\": namespaces: %s: this kernel or container does not let corral "
                                 "create it (unshare refused)", what, name, kind_name(kinds[i].flag));
}

static int group_flags(const struct group_decl *g) {
        return (g->ns.net ? CLONE_NEWNET : 0) | (g->ns.ipc ? CLONE_NEWIPC : 0) |
               (g->ns.uts || g->ns.hostname ? CLONE_NEWUTS : 0);
}

static void check_kernel(const struct ns_ctl *c, int supported, struct diags *d) {
        for (size_t i = 0; i < c->n; i++) {
                const struct ns_plan *p = c->plans[i];
                const struct service *s = &c->m->services[i];
                if (p)
                        check_supported("service", s->name, &s->loc, s->ns.line,
                                        p->clone_flags | (p->unshare_cgroup ? CLONE_NEWCGROUP : 0), supported, d);
        }
        for (size_t i = 0; i < c->m->n_groups; i++) {
                const struct group_decl *g = &c->m->groups[i];
                check_supported("group", g->path, &g->loc, g->ns.line, group_flags(g), supported, d);
        }
}

int ns_ctl_new(const struct model *m, const char *run_dir, int supported, struct ns_ctl **ret, struct diags *d) {
        struct ns_ctl *c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->m = m;
        c->n = m->n_services;
        c->run_dir = strdup(run_dir);
        c->plans = calloc(c->n ? c->n : 1, sizeof *c->plans);
        c->names = calloc(c->n ? c->n : 1, sizeof *c->names);
        if (!c->run_dir || !c->plans || !c->names) {
                ns_ctl_free(c);
                return -ENOMEM;
        }
        int r = 0;
        for (size_t i = 0; i < c->n && r != -ENOMEM; i++) {
                int k = ns_plan_build(m, &m->services[i], run_dir, &c->plans[i], d);
                if (k < 0)
                        r = k;
                else if (!(c->names[i] = strdup(m->services[i].name)))
                        r = -ENOMEM;
        }
        /* Probe only when something is declared: a plain entrypoint starts
         * without an extra child. */
        bool any = false;
        for (size_t i = 0; i < c->n; i++)
                any = any || c->plans[i];
        for (size_t i = 0; i < m->n_groups; i++)
                any = any || group_flags(&m->groups[i]);
        if (r == 0 && any && supported < 0 && (r = ns_probe(&supported)) < 0)
                diag_add(d, NULL, 0, "probing namespaces: %s", strerror(-r));
        c->supported = any || supported >= 0 ? supported : -1;
        if (r == 0) {
                size_t before = d->n;
                check_kernel(c, supported, d);
                if (d->n > before)
                        r = -EINVAL;
        }
        if (r < 0) {
                ns_ctl_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

const struct ns_plan *ns_ctl_plan(const struct ns_ctl *c, const char *name) {
        for (size_t i = 0; c && i < c->n; i++)
                if (c->names[i] && streq(c->names[i], name))
                        return c->plans[i];
        return NULL;
}

void ns_ctl_print(const struct ns_ctl *c, FILE *out) {
        int flags = c->supported;
        if (flags >= 0 || ns_probe(&flags) == 0) {
                fprintf(out, "namespaces corral can create here: ");
                ns_flags_print(flags, out);
                fputc('\n', out);
        }
        fprintf(out, "overlayfs: %s\n", ns_overlay_available() ? "available" : "missing");
        bool any = false;
        for (size_t i = 0; i < c->n; i++)
                any = any || c->plans[i];
        if (any)
                fprintf(out, "namespaces and mounts:\n");
        for (size_t i = 0; i < c->n; i++)
                if (c->plans[i]) {
                        fprintf(out, "  service \"%s\":\n", c->names[i]);
                        ns_plan_print(c->plans[i], out);
                }
}

int ns_ctl_start(struct ns_ctl *c, struct diags *d) {
        int r = ns_pods_setup(c->m, c->run_dir, d);
        c->pods_started = r >= 0;
        return r;
}

void ns_ctl_take_pods(struct ns_ctl *c, struct ns_ctl *old) {
        c->pods_started = old->pods_started;
        old->pods_started = false;
}

void ns_ctl_free(struct ns_ctl *c) {
        if (!c)
                return;
        if (c->pods_started)
                ns_pods_teardown(c->m, c->run_dir);
        for (size_t i = 0; c->plans && i < c->n; i++)
                ns_plan_free(c->plans[i]);
        for (size_t i = 0; c->names && i < c->n; i++)
                free(c->names[i]);
        free(c->plans);
        free(c->names);
        free(c->run_dir);
        free(c);
}
