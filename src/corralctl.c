/* corralctl: the control client of corral (see corralctl(8)). */
#include <getopt.h>

#include "control.h"
#include "corral-config.h"
#include "rundir.h"
#include "sys.h"
#include "util.h"

static void usage(FILE *out) {
        fprintf(out,
                "usage: corralctl [-s SOCKET] COMMAND\n"
                "commands:\n"
                "  status [NAME] [--json]   state of every service, or of NAME\n"
                "  start NAME | stop NAME | restart NAME\n"
                "  kill NAME SIGNAL         send SIGNAL (SIGUSR1, USR1 or 10)\n"
                "  reload                   re-read the config\n"
                "  logs NAME [-n N]         recent output lines\n"
                "  check NAME               exit 0 only when running and ready\n"
                "  reopen                   reopen output files\n"
                "  exec NAME -- CMD...      run CMD inside the service's namespaces and cgroup\n"
                "  shutdown                 stop every service and exit\n"
                "options:\n"
                "  -s, --socket PATH        control socket (default " RUNDIR_ROOT "/control, or\n"
                "                           $XDG_RUNTIME_DIR/corral/control when not run as root)\n");
}

int main(int argc, char **argv) {
        /* exec passes 0, 1 and 2 on: with one closed, the connection to
         * corral would take its number and reach the command. */
        if (sys_stdio_fill() < 0)
                return CTL_EXIT_FAIL;
        static const struct option opts[] = {
                { "socket", required_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        const char *sock = NULL;
        int c;
        /* '+': stop at the first non-option so "exec NAME -- cmd -x" keeps its words. */
        while ((c = getopt_long(argc, argv, "+s:h", opts, NULL)) >= 0) {
                switch (c) {
                case 's':
                        sock = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case 'V':
                        printf("corralctl %s\n", CORRAL_VERSION);
                        return 0;
                default:
                        usage(stderr);
                        return CTL_EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return CTL_EXIT_USAGE;
        }
        /* Where corral puts it by default for the same user (rundir.h). */
        _cleanup_free_ char *dir = sock ? NULL : rundir_default();
        _cleanup_free_ char *dflt = dir ? xasprintf("%s/control", dir) : NULL;
        if (!sock && !(sock = dflt)) {
                fprintf(stderr, "corralctl: %s\n", strerror(ENOMEM));
                return CTL_EXIT_FAIL;
        }
        return ctl_client_run(sock, argv + optind, (size_t)(argc - optind));
}
