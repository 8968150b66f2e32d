/* corral: options, config loading, and the hand-over to the supervisor. */
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>

#include "appliance.h"
#include "config.h"
#include "corral-config.h"
#include "diag.h"
#include "host.h"
#include "log.h"
#include "model.h"
#include "notify.h"
#include "pid1.h"
#include "plan.h"
#include "rundir.h"
#include "supervisor.h"
#include "sys.h"

extern char **environ;

struct options {
        const char *config;
        const char *cgroup_root;
        const char *run_dir;
        int log_level; /* -1: from the config, else info */
        bool check;
        char **entrypoint; /* NULL-terminated, or NULL */
};

static void usage(FILE *out) {
        fprintf(out,
                "Usage: corral [OPTIONS] [-- COMMAND [ARG...]]\n"
                "\n"
                "A declarative init and supervisor for containerized services.\n"
                "\n"
                "  -c, --config PATH       config file, or directory of *.conf files\n"
                "                          (default " CONFIG_DEFAULT_FILE " and " CONFIG_DEFAULT_DIR "/*.conf)\n"
                "      --check             validate the config, print the plan, exit\n"
                "      --cgroup-root PATH  where corral's cgroup hierarchy starts\n"
                "      --run-dir DIR       runtime state directory (default " RUNDIR_ROOT ",\n"
                "                          or $XDG_RUNTIME_DIR/corral when not run as root)\n"
                "      --log-level LEVEL   error, warn, info (default) or debug\n"
                "      --version           print the version\n"
                "  -h, --help              this help\n"
                "\n"
                "With -- COMMAND, the command runs as the service \"main\"; without a\n"
                "config corral then acts like tini: it reaps, forwards signals and\n"
                "exits with the command's status.\n");
}

enum { OPT_CHECK = 256, OPT_CGROUP_ROOT, OPT_RUN_DIR, OPT_LOG_LEVEL, OPT_VERSION };

/* Returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct options *o) {
        static const struct option longopts[] = {
                { "config", required_argument, NULL, 'c' },
                { "check", no_argument, NULL, OPT_CHECK },
                { "cgroup-root", required_argument, NULL, OPT_CGROUP_ROOT },
                { "run-dir", required_argument, NULL, OPT_RUN_DIR },
                { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
                { "version", no_argument, NULL, OPT_VERSION },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;
        /* '+': options end at the command, so its own options stay its own. */
        while ((c = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
                switch (c) {
                case 'c': o->config = optarg; break;
                case OPT_CHECK: o->check = true; break;
                case OPT_CGROUP_ROOT: o->cgroup_root = optarg; break;
                case OPT_RUN_DIR: o->run_dir = optarg; break;
                case OPT_LOG_LEVEL:
                        o->log_level = log_level_parse(optarg);
                        if (o->log_level < 0) {
                                fprintf(stderr, "corral: --log-level: \"%s\" is not error, warn, info or debug\n",
                                        optarg);
                                return 2;
                        }
                        break;
                case OPT_VERSION: printf("corral %s\n", CORRAL_VERSION); return 0;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 2;
                }
        }
        if (optind < argc)
                o->entrypoint = argv + optind;
        return -1;
}

static int check(struct model *m, const struct host *h) {
        _cleanup_free_ size_t *order = NULL;
        struct diags d = {0};
        if (plan_start_order(m, &order, &d) < 0) {
                diags_print(&d, stderr);
                diags_free(&d);
                return 2;
        }
        plan_print(m, order, stdout);
        host_print(h, stdout);
        fflush(stdout);
        return 0;
}

/* The config, then what it asks of the system (cgroups, namespaces), so
 * that every error of either kind is reported at once.  Nothing is
 * created yet. */
static int load(const struct options *o, struct model *m, struct host *h) {
        const struct config_request req = { .path = o->config, .entrypoint_argv = o->entrypoint };
        struct diags d = {0}, warn = {0};
        int r = config_load(&req, m, &d);
        if (r >= 0) {
                r = host_load(h, m, o->cgroup_root, o->run_dir, &d, &warn);
                for (size_t i = 0; i < warn.n; i++)
                        log_warn("%s", warn.v[i].msg);
        }
        if (r < 0) {
                diags_print(&d, stderr);
                if (diags_empty(&d))
                        fprintf(stderr, "corral: loading the config: %s\n", strerror(-r));
        }
        diags_free(&d);
        diags_free(&warn);
        return r;
}

/* Create the cgroups and pods, run the services, remove what was made. */
static int run(const struct options *o, struct model *m, struct host *h, bool tini_mode, bool machine,
               int *ret_signal) {
        /* What a reload reads again: the same places and the same command. */
        const struct config_request req = { .path = o->config, .entrypoint_argv = o->entrypoint };
        struct model *reloaded = NULL; /* the hooks read it until host_done() */
        struct diags d = {0};
        if (host_apply(h, &d) < 0) {
                for (size_t i = 0; i < d.n; i++)
                        log_error("%s", d.v[i].msg);
                diags_free(&d);
                host_done(h, 2000);
                return 1;
        }
        /* A plain entrypoint forwards signals and stops nothing itself. */
        if (!h->cg.tree && m->n_services && !tini_mode)
                log_warn("services run without cgroups: a stop reaches only each service's process group, so "
                         "processes it moved to another session survive its SIGKILL%s",
                         getpid() == 1 ? "" : " and outlive corral");
        struct supervisor_options so = {
                .run_dir = o->run_dir,
                .base_env = environ,
                .tini_mode = tini_mode,
                .config = tini_mode ? NULL : &req,
                .machine = machine,
                .ret_signal = ret_signal,
                .ret_model = &reloaded,
                .hooks = host_hooks(h),
        };
        int r = supervisor_run(m, &so);
        host_done(h, 2000);
        if (reloaded) {
                model_free(reloaded);
                free(reloaded);
        }
        return r;
}

/* The run directory is checked before the config is loaded, so that no
 * plan names a directory that will not be used.  One that is unsafe is
 * refused: corral stops there, but a machine's init goes on with a fresh
 * directory beside it.  One that cannot be made (a read-only root without
 * a tmpfs on /run) stops a container's corral with what it needs; a
 * machine's init goes on without its sockets. */
static bool prepare_run_dir(struct options *o, bool machine) {
        static char fallback[4096];
        char why[256];
        int r = rundir_prepare(o->run_dir, why, sizeof why);
        if (r >= 0)
                return true;
        if (r != -EPERM) {
                log_error("run directory \"%s\": %s: corral needs a writable run directory "
                          "(a tmpfs on /run, or --run-dir DIR)", o->run_dir, why);
                return machine;
        }
        log_error("run directory \"%s\": %s", o->run_dir, why);
        if (!machine)
                return false;
        if ((size_t)snprintf(fallback, sizeof fallback, "%s.XXXXXX", o->run_dir) >= sizeof fallback ||
            !mkdtemp(fallback) || rundir_prepare(fallback, why, sizeof why) < 0 || chmod(fallback, 0755) < 0)
                return true; /* the supervisor says it again and runs without sockets */
        log_warn("run directory: using \"%s\" instead", fallback);
        o->run_dir = fallback;
        return true;
}

/* A machine's init with a broken config stays up (`corralctl reload` tries
 * again) and runs only COMMAND if one was given, as an emergency shell.
 * The model of the command alone is what the loader makes of a directory
 * without *.conf files: the run directory, which holds sockets and
 * namespace pins only. */
static void rescue_model(const struct options *o, struct model *m, struct host *h) {
        if (!o->entrypoint) {
                fprintf(stderr, "corral: config error: running no service until a reload succeeds\n");
                return;
        }
        fprintf(stderr, "corral: config error: running only \"%s\" until a reload succeeds\n", o->entrypoint[0]);
        struct options only = *o;
        only.config = o->run_dir;
        /* Read as a config directory: only when it is corral's own. */
        char why[256];
        if (rundir_prepare(o->run_dir, why, sizeof why) < 0) {
                fprintf(stderr, "corral: run directory \"%s\": %s\n", o->run_dir, why);
                return;
        }
        if (load(&only, m, h) < 0) {
                host_done(h, 0);
                model_free(m);
        }
}

int main(int argc, char **argv) {
        /* Before anything opens an fd: started with 0, 1 or 2 closed, corral
         * would find its own fds there and hand them to services. */
        if (sys_stdio_fill() < 0)
                return 1;
        struct options o = { .log_level = -1 };
        int r = parse_options(argc, argv, &o);
        if (r >= 0)
                return r;
        _cleanup_free_ char *default_run_dir = NULL;
        if (!o.run_dir && !(o.run_dir = default_run_dir = rundir_default())) {
                fprintf(stderr, "corral: %s\n", strerror(ENOMEM));
                return 1;
        }
        if (o.log_level >= 0)
                log_max_level = o.log_level;

        enum pid1_role role = pid1_detect();
        /* A machine's init mounts what everything else expects first. */
        bool machine = !o.check && role == PID1_MACHINE;
        if (machine)
                appliance_mount_early();
        if (!o.check && !prepare_run_dir(&o, machine))
                pid1_exit(role, 1);
        struct model m = {0};
        struct host h = {0};
        bool rescue = false;
        if (load(&o, &m, &h) < 0) {
                host_done(&h, 0);
                model_free(&m);
                if (!machine)
                        pid1_exit(role, 2);
                rescue = true;
                rescue_model(&o, &m, &h);
        }
        if (o.check) {
                r = check(&m, &h);
                host_done(&h, 0);
                model_free(&m);
                return r;
        }
        bool tini_mode = o.entrypoint && m.n_files == 0 && !rescue;
        if (o.log_level < 0 && m.settings.log_level >= 0)
                log_max_level = m.settings.log_level;
        else if (o.log_level < 0 && tini_mode)
                log_max_level = LOG_LVL_WARN; /* a plain entrypoint stays quiet, as tini does */

        (void)pid1_setup(role);
        /* Services must not see the socket of corral's own manager. */
        notify_outer_init();
        int end_signal = 0;
        r = run(&o, &m, &h, tini_mode, machine, &end_signal);
        model_free(&m);
        if (machine) {
                enum appliance_action a = appliance_action_for_signal(end_signal);
                appliance_finish(a == ACTION_NONE ? ACTION_POWEROFF : a);
        }
        pid1_exit(role, r);
}
