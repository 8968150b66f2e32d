/* The declared plan, as `corral --check` prints it. */
#include <ctype.h>

#include "config.h"
#include "log.h"
#include "plan.h"
#include "util.h"

/* An argument as a shell user would type it back. */
static void print_word(FILE *out, const char *s) {
        bool plain = *s != 0;
        for (const char *p = s; *p; p++)
                if (!(isalnum((unsigned char)*p) || strchr("/._-+=:,@%", *p)))
                        plain = false;
        if (plain) {
                fputs(s, out);
                return;
        }
        fputc('\'', out);
        for (const char *p = s; *p; p++) {
                if (*p == '\'')
                        fputs("'\\''", out);
                else if (*p == '\n')
                        fputs("'$'\\n''", out);
                else
                        fputc(*p, out);
        }
        fputc('\'', out);
}

static void print_argv(FILE *out, char *const *argv) {
        for (size_t i = 0; argv && argv[i]; i++) {
                if (i)
                        fputc(' ', out);
                print_word(out, argv[i]);
        }
}

static void print_limits(FILE *out, const struct cg_limits *l) {
        for (int k = 0; k < _CG_KEY_MAX; k++)
                if (l->value[k])
                        fprintf(out, " %s=%s", cg_keys[k].file, l->value[k]);
}

static void print_ns(FILE *out, const char *indent, const struct ns_decl *ns) {
        if (!ns_decl_any(ns))
                return;
        fprintf(out, "%snamespaces:", indent);
        static const char *const names[] = { "pid", "mount", "net", "uts", "ipc", "cgroup", "user" };
        const bool flags[] = { ns->pid, ns->mount, ns->net, ns->uts, ns->ipc, ns->cgroup, ns->user };
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (flags[i])
                        fprintf(out, " %s", names[i]);
        if (ns->hostname)
                fprintf(out, " hostname=%s", ns->hostname);
        if (ns->uid_map)
                fprintf(out, " uid_map=\"%s\"", ns->uid_map);
        if (ns->gid_map)
                fprintf(out, " gid_map=\"%s\"", ns->gid_map);
        fputc('\n', out);
}

static void print_probe(FILE *out, const char *what, const struct probe *p, bool ready) {
        if (p->kind == PROBE_NONE)
                return;
        fprintf(out, "    %s: %s ", what, probe_kind_to_string(p->kind));
        if (p->kind == PROBE_TCP)
                fputs(p->tcp, out);
        else if (p->kind == PROBE_FILE)
                fputs(p->file, out);
        else
                print_argv(out, p->exec_argv);
        fprintf(out, ", every %u ms", p->interval_ms);
        if (ready)
                fprintf(out, ", timeout %u ms\n", p->timeout_ms);
        else
                fprintf(out, ", restart after %u failures\n", p->failures);
}

static void print_root(FILE *out, const struct service *s) {
        const struct root_decl *r = &s->root;
        if (r->kind == ROOT_PATH)
                fprintf(out, "    root: %s%s\n", r->path, r->readonly ? " (read-only)" : "");
        if (r->kind == ROOT_OVERLAY) {
                fputs("    root: overlay lower=", out);
                for (size_t i = 0; i < r->n_lower; i++)
                        fprintf(out, "%s%s", i ? ":" : "", r->lower[i]);
                if (r->upper)
                        fprintf(out, " upper=%s work=%s", r->upper, r->work);
                else
                        fputs(" upper=(tmpfs)", out);
                fprintf(out, "%s\n", r->readonly ? " (read-only)" : "");
        }
        for (size_t i = 0; i < s->n_binds; i++)
                fprintf(out, "    bind: %s -> %s%s\n", s->binds[i].source, s->binds[i].target,
                        s->binds[i].readonly ? " (read-only)" : "");
}

static void print_rlim(FILE *out, rlim_t v) {
        if (v == RLIM_INFINITY)
                fputs("max", out);
        else
                fprintf(out, "%llu", (unsigned long long)v);
}

static void print_identity(FILE *out, const struct service *s) {
        if (s->has_user || s->has_group) {
                fputs("    user:", out);
                if (s->user_name)
                        fprintf(out, " %s", s->user_name);
                if (s->has_user)
                        fprintf(out, " uid=%u", (unsigned)s->uid);
                fprintf(out, " gid=%u\n", (unsigned)s->gid);
        }
        if (s->workdir)
                fprintf(out, "    workdir: %s\n", s->workdir);
        if (s->n_env || s->clean_env || s->env_file) {
                fprintf(out, "    env:%s", s->clean_env ? " (clean)" : "");
                if (s->env_file)
                        fprintf(out, " file=%s", s->env_file);
                for (size_t i = 0; i < s->n_env; i++) {
                        fprintf(out, " %s=", s->env[i].key);
                        print_word(out, s->env[i].value);
                }
                fputc('\n', out);
        }
        if (s->has_caps) {
                fputs("    capabilities:", out);
                for (int c = 0; c < 64; c++)
                        if (s->caps & (UINT64_C(1) << c))
                                fprintf(out, " %s", config_capability_name(c) ?: "?");
                fputc('\n', out);
        }
        if (s->n_rlimits)
                fputs("    rlimits:", out);
        for (size_t i = 0; i < s->n_rlimits; i++) {
                const struct rlimit_decl *r = &s->rlimits[i];
                fprintf(out, " %s=", config_rlimit_name(r->resource) ?: "?");
                print_rlim(out, r->soft);
                if (r->hard != r->soft) {
                        fputc(':', out);
                        print_rlim(out, r->hard);
                }
        }
        if (s->n_rlimits)
                fputc('\n', out);
}

static void print_service(FILE *out, size_t pos, const struct service *s) {
        fprintf(out, "  %zu. %s%s\n", pos, s->name, s->main ? " (main)" : "");
        fputs("    command: ", out);
        print_argv(out, s->argv);
        if (s->entrypoint)
                fputs("  (resolved at start)", out);
        else if (s->command_in_root)
                fputs("  (resolved inside the root at start)", out);
        fprintf(out, "\n    type: %s, restart: %s", service_type_to_string(s->type),
                restart_policy_to_string(s->restart));
        if (s->restart != RESTART_NEVER)
                fprintf(out, " (delay %u..%u ms, burst %u in %u ms)", s->restart_delay_ms, s->restart_delay_max_ms,
                        s->start_limit_burst, s->start_limit_interval_ms);
        fprintf(out, "\n    stop: SIG%s, then SIGKILL after %u ms\n", signal_name(s->stop_signal) ?: "?",
                s->stop_timeout_ms);
        if (s->n_after) {
                fputs("    after:", out);
                for (size_t i = 0; i < s->n_after; i++)
                        fprintf(out, " %s", s->after[i]);
                fputc('\n', out);
        }
        print_probe(out, "ready", &s->ready, true);
        print_probe(out, "health", &s->health, false);
        if (s->watchdog_ms)
                fprintf(out, "    watchdog: %u ms\n", s->watchdog_ms);
        fprintf(out, "    output: %s%s%s\n", output_mode_to_string(s->output), s->output_file ? ":" : "",
                s->output_file ? s->output_file : "");
        print_identity(out, s);
        fprintf(out, "    cgroup: %s", s->cgroup_path);
        print_limits(out, &s->limits);
        fputc('\n', out);
        print_ns(out, "    ", &s->ns);
        print_root(out, s);
}

void plan_print(const struct model *m, const size_t *order, FILE *out) {
        const struct settings *st = &m->settings;
        fprintf(out, "settings: shutdown_timeout_ms=%u log_level=%s cgroups=%s\n", st->shutdown_timeout_ms,
                st->log_level < 0 ? "(default)" : log_level_name(st->log_level),
                st->cgroups == CGROUPS_OPTIONAL ? "optional" : "required");
        fprintf(out, "services, in start order (%zu):\n", m->n_services);
        for (size_t i = 0; i < m->n_services; i++)
                print_service(out, i + 1, &m->services[order ? order[i] : i]);
        if (m->n_groups)
                fprintf(out, "groups (%zu):\n", m->n_groups);
        for (size_t i = 0; i < m->n_groups; i++) {
                const struct group_decl *g = &m->groups[i];
                fprintf(out, "  %s: %s", g->path, g->threaded ? "threaded" : "domain");
                print_limits(out, &g->limits);
                fputc('\n', out);
                print_ns(out, "    ", &g->ns);
        }
        fflush(out);
}
