/* Valid configs: defaults, every key, directories, @include, entrypoint,
 * and the printed plan. */
#include <signal.h>
#include <sys/resource.h>

#include "loadlib.h"
#include "plan.h"

static void defaults(void) {
        struct model m = { 0 };
        reset_dir();
        write_file("a.conf", "services = ( { name = \"a\"; command = [ \"true\", \"x\" ]; },\n"
                             "  { name = \"b\"; command = [ \"/bin/true\" ]; type = \"oneshot\"; },\n"
                             "  { name = \"c\"; command = [ \"/bin/true\" ]; type = \"oneshot\"; restart = \"on-failure\"; } );\n");
        if (load_good("a.conf", NULL, &m, "minimal services")) {
                const struct service *a = &m.services[0];
                tap_is_str(a->argv[0], "/usr/bin/true", "command name resolved in PATH");
                tap_ok(a->argc == 2 && streq(a->argv[1], "x") && !a->argv[2], "arguments kept");
                tap_ok(a->type == SERVICE_SIMPLE && a->restart == RESTART_ALWAYS && a->output == OUTPUT_CONSOLE,
                       "type simple, restart always, output console");
                tap_ok(a->restart_delay_ms == 100 && a->restart_delay_max_ms == 30000 && a->restart_reset_ms == 10000 &&
                               a->start_limit_burst == 5 && a->start_limit_interval_ms == 10000,
                       "restart timing defaults");
                tap_ok(a->stop_signal == SIGTERM && a->stop_timeout_ms == 5000 && a->no_new_privs && !a->main,
                       "stop and privilege defaults");
                tap_is_str(a->cgroup_path, "a", "cgroup path defaults to the name");
                tap_ok(streq(a->loc.file, "a.conf") && a->loc.line == 1 && m.services[1].loc.line == 2,
                       "declaration places");
                tap_ok(m.services[1].restart == RESTART_NEVER, "oneshot defaults to restart never");
                tap_ok(m.services[2].restart == RESTART_ON_FAILURE, "oneshot keeps an explicit restart");
                tap_ok(m.settings.shutdown_timeout_ms == 8000 && m.settings.log_level == -1 &&
                               m.settings.cgroups == CGROUPS_REQUIRED,
                       "settings defaults");
                tap_ok(m.n_files == 1 && streq(m.files[0], "a.conf"), "files read");
        }
        model_free(&m);
        leave_dir();
}

static const char *full_conf =
        "settings = { shutdown_timeout_ms = 3000; log_level = \"debug\"; cgroups = \"optional\"; };\n"
        "groups = ( { path = \"pod\"; memory_max = \"512M\"; cpu_weight = 200; type = \"threaded\";\n"
        "             namespaces = { net = true; ipc = true; hostname = \"pod1\"; }; } );\n"
        "services = (\n"
        "  { name = \"db\"; command = [ \"/bin/sleep\", \"10\" ];\n"
        "    cgroup = { path = \"pod/db\"; memory_max = \"128M\"; memory_high = 1000000; memory_low = 0;\n"
        "               memory_swap_max = \"max\"; cpu_max = \"50000 100000\"; cpuset_cpus = \"0-1\";\n"
        "               pids_max = \"max\"; io_weight = 50; }; },\n"
        "  { name = \"web\"; command = [ \"/usr/sbin/nginx\", \"-g\", \"daemon off;\" ]; after = [ \"db\" ];\n"
        "    type = \"notify\"; watchdog_ms = 3000; notify_access = \"all\"; restart = \"on-failure\"; restart_delay_ms = 0;\n"
        "    start_limit = { burst = 3; interval_ms = 1000; }; main = true; stop_signal = \"SIGQUIT\";\n"
        "    ready = { tcp = \"127.0.0.1:80\"; interval_ms = 50; timeout_ms = 900; };\n"
        "    health = { exec = [ \"/bin/true\" ]; failures = 2; };\n"
        "    user = \"root\"; group = 5; workdir = \"/srv\"; env = { A = \"1\"; PORT = 8080; };\n"
        "    clean_env = true; env_file = \"/etc/web.env\"; output = \"file:/var/log/web.log\";\n"
        "    rlimits = { nofile = 1024; core = 0; stack = ( 8388608, \"max\" ); nproc = [ \"10\", \"20\" ]; };\n"
        "    no_new_privs = false; capabilities = [ \"CAP_NET_BIND_SERVICE\", \"cap_chown\" ];\n"
        "    namespaces = { pid = true; user = true; uid_map = \"0 100000 65536\"; hostname = \"web\"; };\n"
        "    root = { overlay = { lower = [ \"/srv/img/web\", \"/srv/img/base\" ]; upper = \"/var/u\"; work = \"/var/w\"; };\n"
        "             readonly = true; };\n"
        "    binds = ( { source = \"/etc/resolv.conf\"; target = \"/etc/resolv.conf\"; readonly = true; } ); }\n"
        ");\n";

static void every_key(void) {
        struct model m = { 0 };
        reset_dir();
        write_file("a.conf", full_conf);
        if (load_good("a.conf", NULL, &m, "a config with every key")) {
                const struct service *db = &m.services[0], *w = &m.services[1];
                const struct group_decl *g = &m.groups[0];
                tap_ok(m.settings.shutdown_timeout_ms == 3000 && m.settings.log_level == 3 &&
                               m.settings.cgroups == CGROUPS_OPTIONAL,
                       "settings");
                tap_ok(streq(g->path, "pod") && g->threaded && streq(g->limits.value[CG_MEMORY_MAX], "536870912") &&
                               streq(g->limits.value[CG_CPU_WEIGHT], "200") && g->limits.line[CG_MEMORY_MAX] == 2,
                       "group limits");
                tap_ok(g->ns.net && g->ns.ipc && g->ns.uts && streq(g->ns.hostname, "pod1") && !g->ns.pid,
                       "group namespaces, hostname implies uts");
                const struct cg_limits *l = &db->limits;
                tap_ok(streq(db->cgroup_path, "pod/db") && streq(l->value[CG_MEMORY_MAX], "134217728") &&
                               streq(l->value[CG_MEMORY_HIGH], "1000000") && streq(l->value[CG_MEMORY_LOW], "0") &&
                               streq(l->value[CG_MEMORY_SWAP_MAX], "max") &&
                               streq(l->value[CG_CPU_MAX], "50000 100000") && streq(l->value[CG_CPUSET_CPUS], "0-1") &&
                               streq(l->value[CG_PIDS_MAX], "max") && streq(l->value[CG_IO_WEIGHT], "50"),
                       "service limits as canonical strings");
                tap_ok(w->type == SERVICE_NOTIFY && w->watchdog_ms == 3000 && w->notify_access == NOTIFY_ACCESS_ALL &&
                               w->restart == RESTART_ON_FAILURE &&
                               w->restart_delay_ms == 0 && w->start_limit_burst == 3 &&
                               w->start_limit_interval_ms == 1000 && w->main && w->stop_signal == SIGQUIT,
                       "lifecycle keys");
                tap_ok(w->n_after == 1 && w->after_idx[0] == 0, "after resolved");
                tap_ok(w->ready.kind == PROBE_TCP && streq(w->ready.tcp, "127.0.0.1:80") &&
                               w->ready.interval_ms == 50 && w->ready.timeout_ms == 900 &&
                               w->health.kind == PROBE_EXEC && streq(w->health.exec_argv[0], "/bin/true") &&
                               w->health.failures == 2 && w->health.interval_ms == 10000,
                       "probes");
                tap_ok(w->has_user && w->uid == 0 && streq(w->user_name, "root") && streq(w->user_home, "/root") &&
                               w->has_group && w->gid == 5,
                       "user root, group 5");
                tap_ok(streq(w->workdir, "/srv") && w->n_env == 2 && streq(w->env[1].key, "PORT") &&
                               streq(w->env[1].value, "8080") && w->clean_env && streq(w->env_file, "/etc/web.env"),
                       "environment");
                tap_ok(w->output == OUTPUT_FILE && streq(w->output_file, "/var/log/web.log"), "output file");
                bool rl = w->n_rlimits == 4 && w->rlimits[0].resource == RLIMIT_NOFILE &&
                          w->rlimits[0].soft == 1024 && w->rlimits[0].hard == 1024 &&
                          w->rlimits[2].resource == RLIMIT_STACK && w->rlimits[2].soft == 8388608 &&
                          w->rlimits[2].hard == RLIM_INFINITY && w->rlimits[3].soft == 10 && w->rlimits[3].hard == 20;
                tap_ok(rl, "rlimits");
                tap_ok(!w->no_new_privs && w->has_caps && w->caps == ((1ULL << 10) | (1ULL << 0)), "capabilities");
                tap_ok(w->ns.pid && w->ns.user && w->ns.uts && w->ns.mount && streq(w->ns.uid_map, "0 100000 65536"),
                       "namespaces (root implies mount)");
                tap_ok(w->root.kind == ROOT_OVERLAY && w->root.n_lower == 2 && streq(w->root.lower[1], "/srv/img/base") &&
                               streq(w->root.upper, "/var/u") && streq(w->root.work, "/var/w") && w->root.readonly,
                       "overlay root");
                tap_ok(w->n_binds == 1 && w->binds[0].readonly && streq(w->binds[0].target, "/etc/resolv.conf"), "binds");
                tap_ok(w->command_in_root && streq(w->argv[0], "/usr/sbin/nginx"),
                       "a command inside a root is not checked at load");
        }
        model_free(&m);
        leave_dir();
}

static void directory(void) {
        struct model m = { 0 };
        reset_dir();
        write_file("d/9-b.conf", "services = ( { name = \"b\"; command = [ \"/bin/true\" ]; after = [ \"a\" ]; } );\n");
        write_file("d/10-a.conf", "settings = { log_level = \"warn\"; };\n"
                                  "services = ( { name = \"a\"; command = [ \"/bin/true\" ]; } );\n"
                                  "groups = ( { path = \"pod\"; } );\n");
        write_file("d/.hidden.conf", "this is not read\n");
        write_file("d/notes.txt", "neither is this\n");
        write_file("d/sub.conf/x.conf", "nor this\n");
        if (load_good("d", NULL, &m, "a directory")) {
                tap_ok(m.n_services == 2 && streq(m.services[0].name, "a") && streq(m.services[1].name, "b"),
                       "files merged in byte order (10-a before 9-b)");
                tap_ok(m.n_files == 2 && streq(m.files[0], "d/10-a.conf") && streq(m.files[1], "d/9-b.conf"),
                       "only *.conf files read");
                tap_ok(m.settings.log_level == 1 && m.n_groups == 1 && m.services[1].after_idx[0] == 0,
                       "settings, groups and after across files");
        }
        model_free(&m);
        leave_dir();
}

static void includes(void) {
        struct model m = { 0 };
        reset_dir();
        write_file("top.conf", "# services come from includes\n"
                               "@include \"inc/x.conf\"\n"
                               "/* @include \"nope.conf\" */\n"
                               "settings = { log_level = \"info\"; };\n");
        write_file("inc/x.conf", "services = (\n  { name = \"x\"; command = [ \"/bin/true\" ]; },\n"
                                 "  @include \"y.conf\"\n"
                                 "  { name = \"z\"; command = [ \"/bin/true\" ]; }\n);\n");
        write_file("inc/y.conf", "\n  { name = \"y\"; command = [ \"/bin/true\" ]; },\n");
        if (load_good("top.conf", NULL, &m, "nested @include")) {
                tap_ok(m.n_services == 3, "three services from two included files");
                tap_ok(streq(m.services[0].loc.file, "inc/x.conf") && m.services[0].loc.line == 2,
                       "x at inc/x.conf:2");
                tap_ok(streq(m.services[1].loc.file, "inc/y.conf") && m.services[1].loc.line == 2,
                       "y at inc/y.conf:2: relative to the including file");
                tap_ok(streq(m.services[2].loc.file, "inc/x.conf") && m.services[2].loc.line == 4,
                       "z at inc/x.conf:4, after the include");
                tap_ok(streq(m.settings.loc.file, "top.conf") && m.settings.loc.line == 4,
                       "settings at top.conf:4; @include in a comment ignored");
        }
        model_free(&m);
        write_file("inc/w.conf", "{ name = \"w\"; command = [ \"/bin/true\" ]; }\n");
        char *abs = realpath("inc/w.conf", NULL);
        char *text = xasprintf("services = (\n@include \"%s\"\n);\n", abs);
        write_file("abs.conf", text);
        if (load_good("abs.conf", NULL, &m, "an absolute @include"))
                tap_ok(m.n_services == 1 && streq(m.services[0].loc.file, abs), "absolute path kept");
        model_free(&m);
        free(abs);
        free(text);
        leave_dir();
}

static void entrypoint(void) {
        struct model m = { 0 };
        char *argv[] = { "no-such-command-yet", "-x", NULL };
        reset_dir();
        mkdir("empty", 0755);
        if (load_good("empty", argv, &m, "-- COMMAND without services")) {
                const struct service *s = &m.services[0];
                tap_ok(m.n_services == 1 && streq(s->name, "main") && s->main && s->entrypoint &&
                               s->restart == RESTART_NEVER && s->output == OUTPUT_INHERIT,
                       "main service: main, entrypoint, restart never, output inherit");
                tap_ok(streq(s->argv[0], "no-such-command-yet") && s->argc == 2 && streq(s->cgroup_path, "main"),
                       "its command is resolved at start, not at load");
        }
        model_free(&m);
        write_file("a.conf", "services = ( { name = \"side\"; command = [ \"/bin/true\" ]; } );\n");
        if (load_good("a.conf", argv, &m, "-- COMMAND with a config"))
                tap_ok(m.n_services == 2 && streq(m.services[1].name, "main"), "main added after the config's services");
        model_free(&m);
        load_expect("none.conf", argv, "none.conf: No such file or directory", -ENOENT,
                    "a missing -c path is an error even with -- COMMAND");
        leave_dir();
}

/* No -c: the default places.  Only where this machine has none. */
static void defaults_absent(void) {
        if (access(CONFIG_DEFAULT_FILE, F_OK) == 0 || access(CONFIG_DEFAULT_DIR, F_OK) == 0) {
                tap_ok(true, "# SKIP %s or %s exists here", CONFIG_DEFAULT_FILE, CONFIG_DEFAULT_DIR);
                return;
        }
        char *argv[] = { "/bin/true", NULL };
        struct model m = { 0 };
        load_expect(NULL, NULL, "no configuration: neither /etc/corral/corral.conf nor /etc/corral/conf.d/ exists",
                    -ENOENT, "no config and no -- COMMAND: -ENOENT naming the places looked at");
        if (load_good(NULL, argv, &m, "no config with -- COMMAND"))
                tap_ok(m.n_services == 1 && m.services[0].entrypoint, "only the main service");
        model_free(&m);
}

static void print_plan(void) {
        struct model m = { 0 };
        struct diags d = { 0 };
        size_t *order = NULL;
        char *out = NULL;
        size_t size = 0;
        reset_dir();
        write_file("a.conf", full_conf);
        if (load_good("a.conf", NULL, &m, "the full config again") && plan_start_order(&m, &order, &d) == 0) {
                FILE *f = open_memstream(&out, &size);
                plan_print(&m, order, f);
                fclose(f);
                tap_ok(strstr(out, "  1. db\n") && strstr(out, "  2. web (main)\n"), "services in start order");
                tap_ok(strstr(out, "cgroup: pod/db memory.max=134217728") != NULL, "declared cgroup and limits");
                tap_ok(strstr(out, "root: overlay lower=/srv/img/web:/srv/img/base upper=/var/u work=/var/w") != NULL,
                       "overlay root");
                tap_ok(strstr(out, "command: /usr/sbin/nginx -g 'daemon off;'") != NULL, "command quoted");
                tap_ok(strstr(out, "capabilities: CAP_CHOWN CAP_NET_BIND_SERVICE") != NULL, "capability names");
                tap_ok(strstr(out, "  pod: threaded memory.max=536870912 cpu.weight=200\n") != NULL, "groups");
                if (!strstr(out, "  1. db\n"))
                        printf("# %s", out);
        }
        free(out);
        free(order);
        diags_free(&d);
        model_free(&m);
        leave_dir();
}

/* The shipped examples must stay valid. */
static void examples(void) {
        const char *src = getenv("CORRAL_SOURCE_DIR");
        const char *const names[] = { "demo", "pod.conf", "hello.conf" };
        for (size_t i = 0; src && i < ARRAY_SIZE(names); i++) {
                struct model m = { 0 };
                char *p = xasprintf("%s/conf.d-examples/%s", src, names[i]);
                load_good(p, NULL, &m, names[i]);
                model_free(&m);
                free(p);
        }
}

int main(void) {
        char tmp[] = "/tmp/corral-config-test-XXXXXX";
        setenv("PATH", "/usr/bin:/bin", 1);
        if (!tmpdir_enter(tmp))
                return 0;
        defaults();
        every_key();
        directory();
        includes();
        entrypoint();
        defaults_absent();
        print_plan();
        examples();
        tmpdir_leave(tmp);
        return tap_done();
}
