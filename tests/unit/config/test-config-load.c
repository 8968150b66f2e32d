/* The loader on real files: a table of malformed configs, each with the
 * exact FILE:LINE and key expected, and valid configs loaded as meant. */
#include "loadlib.h"

#define OK_SVC "services = ( { name = \"ok\"; command = [ \"/bin/true\" ]; } );\n"

struct file {
        const char *path, *text;
};

struct bad_case {
        const char *what;
        const char *target; /* -c argument */
        struct file files[4];
        const char *want; /* the start of one of the messages */
};

static const struct bad_case bad_cases[] = {
        { "syntax error", "a.conf",
          { { "a.conf", "services = (\n  { name = \"a\"; command = [ \"/bin/true\" ; };\n);\n" } },
          "a.conf:2: syntax error" },
        { "unterminated string", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n env = { A = \"x; };\n } );\n" } },
          "a.conf:2: unterminated string" },
        { "unterminated string in an included file", "a.conf",
          { { "a.conf", "# top\n@include \"inc/x.conf\"\n" OK_SVC }, { "inc/x.conf", "\n\ngroups = ( { path = \"x ) );\n" } },
          "inc/x.conf:3: unterminated string" },
        { "unknown service key", "a.conf",
          { { "a.conf", "services = (\n { name = \"a\"; command = [ \"/bin/true\" ];\n   colour = \"red\"; }\n);\n" } },
          "a.conf:3: service \"a\": colour: unknown key" },
        { "wrong type", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n restart_delay_ms = \"100\"; } );\n" } },
          "a.conf:2: service \"a\": restart_delay_ms: expected an integer, got a string" },
        { "bad size suffix", "a.conf",
          { { "a.conf", "services = ( { name = \"db\"; command = [ \"/bin/true\" ];\n"
                        "  cgroup = {\n    memory_max = \"12Q\"; }; } );\n" } },
          "a.conf:3: service \"db\": memory_max: \"12Q\" is not a size" },
        { "zero pids_max", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n  cgroup = { pids_max = 0; }; } );\n" } },
          "a.conf:2: service \"a\": pids_max: 0 must be a positive integer or \"max\"" },
        { "negative memory_max", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n cgroup = { memory_max = -5; }; } );\n" } },
          "a.conf:2: service \"a\": memory_max: -5 is not a size" },
        { "zero memory_high as a string", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n cgroup = { memory_high = \"0\"; }; } );\n" } },
          "a.conf:2: service \"a\": memory_high: \"0\" is not a size" },
        { "cpu_weight out of range", "a.conf",
          { { "a.conf", "groups = ( { path = \"pod\";\n cpu_weight = 20000; } );\n" OK_SVC } },
          "a.conf:2: group \"pod\": cpu_weight: 20000 must be an integer between 1 and 10000" },
        { "bad cpu_max", "a.conf",
          { { "a.conf", "groups = ( { path = \"pod\"; cpu_max = \"50000 10\"; } );\n" OK_SVC } },
          "a.conf:1: group \"pod\": cpu_max: \"50000 10\" is not \"QUOTA PERIOD\"" },
        { "duplicate names across two files", "d",
          { { "d/10-a.conf", OK_SVC }, { "d/20-b.conf", "# second\n" OK_SVC } },
          "d/20-b.conf:2: service \"ok\": duplicate name, first declared at d/10-a.conf:1" },
        { "duplicate group paths across two files", "d",
          { { "d/a.conf", "groups = ( { path = \"pod\"; } );\n" OK_SVC },
            { "d/b.conf", "groups = (\n { path = \"pod\"; } );\n" } },
          "d/b.conf:2: group \"pod\": duplicate path, first declared at d/a.conf:1" },
        { "settings twice across files", "d",
          { { "d/a.conf", "settings = { log_level = \"debug\"; };\n" OK_SVC },
            { "d/b.conf", "\n\nsettings = { };\n" } },
          "d/b.conf:3: settings: declared twice, first at d/a.conf:1" },
        { "unknown after target", "a.conf",
          { { "a.conf", "services = ( { name = \"web\"; command = [ \"/bin/true\" ]; after = [ \"db\" ]; } );\n" } },
          "a.conf:1: service \"web\": after: no service called \"db\"" },
        { "unknown after target, named at the after key", "a.conf",
          { { "a.conf", "services = ( { name = \"web\"; command = [ \"/bin/true\" ];\n\n  after = [ \"db\" ]; } );\n" } },
          "a.conf:3: service \"web\": after: no service called \"db\"" },
        { "after cycle at the after key", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n  after = [ \"a\" ]; } );\n" } },
          "a.conf:2: service \"a\": after: cycle a -> a" },
        { "after cycle", "a.conf",
          { { "a.conf", "services = (\n"
                        " { name = \"a\"; command = [ \"/bin/true\" ]; after = [ \"b\" ]; },\n"
                        " { name = \"b\"; command = [ \"/bin/true\" ]; after = [ \"c\" ]; },\n"
                        " { name = \"c\"; command = [ \"/bin/true\" ]; after = [ \"a\" ]; }\n);\n" } },
          "a.conf:2: service \"a\": after: cycle a -> b -> c -> a" },
        { "relative command not in PATH", "a.conf",
          { { "a.conf", "services = ( { name = \"a\";\n command = [ \"no-such-command-corral\" ]; } );\n" } },
          "a.conf:2: service \"a\": command: \"no-such-command-corral\" not found in PATH" },
        { "relative path command", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"./run\" ]; } );\n" } },
          "a.conf:1: service \"a\": command: \"./run\" is neither an absolute path" },
        { "absolute command missing", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/nope-corral\" ]; } );\n" } },
          "a.conf:1: service \"a\": command: \"/bin/nope-corral\": No such file or directory" },
        { "reserved name init", "a.conf",
          { { "a.conf", "services = ( { name = \"init\"; command = [ \"/bin/true\" ]; } );\n" } },
          "a.conf:1: service \"init\": name: \"init\" is reserved" },
        { "invalid name", "a.conf",
          { { "a.conf", "services = ( { command = [ \"/bin/true\" ]; },\n { name = \"a b\"; command = [ \"/bin/true\" ]; } );\n" } },
          "a.conf:2: service #2: name: \"a b\" is not a valid name" },
        { "missing name", "a.conf",
          { { "a.conf", "services = (\n { command = [ \"/bin/true\" ]; } );\n" } },
          "a.conf:2: service #1: name: missing" },
        { "missing command", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; } );\n" } },
          "a.conf:1: service \"a\": command: missing" },
        { "empty command", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ ]; } );\n" } },
          "a.conf:1: service \"a\": command: must not be empty" },
        { "unknown top-level key", "a.conf",
          { { "a.conf", OK_SVC "servces = ( );\n" } },
          "a.conf:2: servces: unknown key" },
        { "bad type", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ]; type = \"forking\"; } );\n" } },
          "a.conf:1: service \"a\": type: \"forking\": expected \"simple\", \"notify\" or \"oneshot\"" },
        { "bad restart", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n\n restart = \"sometimes\"; } );\n" } },
          "a.conf:3: service \"a\": restart: \"sometimes\": expected" },
        { "relative output file", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ]; output = \"file:x.log\"; } );\n" } },
          "a.conf:1: service \"a\": output: \"file:x.log\": expected" },
        { "bad stop_signal", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ]; stop_signal = \"SIGFOO\"; } );\n" } },
          "a.conf:1: service \"a\": stop_signal: \"SIGFOO\" is not a signal name or number" },
        { "stop_signal offset that once wrapped to 0", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n stop_signal = \"RTMIN+9223372036854775774\"; } );\n" } },
          "a.conf:2: service \"a\": stop_signal: \"RTMIN+9223372036854775774\" is not a signal name or number" },
        { "stop_signal glibc keeps for itself", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ]; stop_signal = 32; } );\n" } },
          "a.conf:1: service \"a\": stop_signal: 32 is not a signal number" },
        { "zero stop_timeout_ms", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ]; stop_timeout_ms = 0; } );\n" } },
          "a.conf:1: service \"a\": stop_timeout_ms: 0: must be positive" },
        { "negative start_limit.burst", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n start_limit = { burst = -1; }; } );\n" } },
          "a.conf:2: service \"a\": start_limit.burst: -1: must be positive" },
        { "unknown rlimit", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n rlimits = { files = 10; }; } );\n" } },
          "a.conf:2: service \"a\": rlimits.files: unknown resource" },
        { "rlimit soft above hard", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n rlimits = { nofile = ( \"max\", 10 ); }; } );\n" } },
          "a.conf:2: service \"a\": rlimits.nofile: soft limit above the hard limit" },
        { "unknown capability", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n capabilities = [ \"CAP_CHOWN\", \"CAP_FLY\" ]; } );\n" } },
          "a.conf:2: service \"a\": capabilities: element 2: \"CAP_FLY\" is not a capability name" },
        { "unknown user", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ]; user = \"no-such-user-corral\"; } );\n" } },
          "a.conf:1: service \"a\": user: no such user \"no-such-user-corral\"" },
        { "bad env key", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n env = { A-B = \"x\"; }; } );\n" } },
          "a.conf:2: service \"a\": env.A-B: not a valid variable name" },
        { "relative workdir", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ]; workdir = \"srv\"; } );\n" } },
          "a.conf:1: service \"a\": workdir: \"srv\" is not an absolute path" },
        { "probe with two kinds", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n"
                        " ready = { tcp = \"127.0.0.1:80\"; file = \"/run/a\"; }; } );\n" } },
          "a.conf:2: service \"a\": ready: needs exactly one of tcp, exec, file" },
        { "bad tcp probe", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n health = {\n tcp = \"localhost\"; }; } );\n" } },
          "a.conf:3: service \"a\": health.tcp: \"localhost\" is not HOST:PORT" },
        { "uid_map without user", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n"
                        " namespaces = { uid_map = \"0 1000 1\"; }; } );\n" } },
          "a.conf:2: service \"a\": namespaces.uid_map: needs user = true" },
        { "pid namespace in a group", "a.conf",
          { { "a.conf", "groups = ( { path = \"pod\";\n namespaces = { net = true;\n pid = true; }; } );\n" OK_SVC } },
          "a.conf:3: group \"pod\": namespaces.pid: not allowed in a group" },
        { "root with path and overlay", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n"
                        " root = { path = \"/srv\"; overlay = { lower = [ \"/srv\" ]; }; }; } );\n" } },
          "a.conf:2: service \"a\": root: needs exactly one of path, overlay" },
        { "overlay upper without work", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n"
                        " root = { overlay = { lower = [ \"/srv\" ]; upper = \"/u\"; }; }; } );\n" } },
          "a.conf:2: service \"a\": root.overlay.work: upper and work go together" },
        { "binds without root", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n"
                        " binds = ( { source = \"/a\"; target = \"/b\"; } ); } );\n" } },
          "a.conf:2: service \"a\": binds: needs a root" },
        { "group path with ..", "a.conf",
          { { "a.conf", "groups = ( { path = \"pod/../x\"; } );\n" OK_SVC } },
          "a.conf:1: group #1: path: \"pod/../x\": expected a/b/c" },
        { "absolute cgroup.path", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n cgroup = { path = \"/a\"; }; } );\n" } },
          "a.conf:2: service \"a\": cgroup.path: \"/a\": expected a/b/c" },
        { "watchdog without notify", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ]; watchdog_ms = 100; } );\n" } },
          "a.conf:1: service \"a\": watchdog_ms: needs type = \"notify\"" },
        { "notify_access without notify", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ];\n notify_access = \"all\"; } );\n" } },
          "a.conf:2: service \"a\": notify_access: needs type = \"notify\"" },
        { "bad notify_access", "a.conf",
          { { "a.conf", "services = ( { name = \"a\"; command = [ \"/bin/true\" ]; type = \"notify\";\n notify_access = \"any\"; } );\n" } },
          "a.conf:2: service \"a\": notify_access: \"any\": expected \"main\", \"all\" or \"none\"" },
        { "bad settings value", "a.conf",
          { { "a.conf", "settings = {\n log_level = \"loud\"; };\n" OK_SVC } },
          "a.conf:2: settings: log_level: \"loud\": expected" },
        { "unknown settings key", "a.conf",
          { { "a.conf", "settings = { cgroups = \"optional\";\n colour = 1; };\n" OK_SVC } },
          "a.conf:2: settings: colour: unknown key" },
        { "missing @include", "a.conf",
          { { "a.conf", OK_SVC "@include \"inc/none.conf\"\n" } },
          "a.conf:2: @include \"inc/none.conf\": No such file or directory" },
        { "syntax error in an included file", "a.conf",
          { { "a.conf", "# top\n@include \"inc/x.conf\"\n" OK_SVC },
            { "inc/x.conf", "groups = (\n { path = \"x\" ) );\n" } },
          "inc/x.conf:2: syntax error" },
        { "missing -c path", "none.conf", { { NULL, NULL } }, "none.conf: No such file or directory" },
        { "empty directory", "empty", { { "empty/README", "not a conf\n" } }, "empty: no service declared" },
};

static void run_bad_cases(void) {
        for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
                const struct bad_case *c = &bad_cases[i];
                reset_dir();
                for (size_t k = 0; k < ARRAY_SIZE(c->files) && c->files[k].path; k++)
                        write_file(c->files[k].path, c->files[k].text);
                int want_r = streq(c->what, "missing -c path") ? -ENOENT : -EINVAL;
                load_expect(c->target, NULL, c->want, want_r, c->what);
                leave_dir();
        }
}

int main(void) {
        char tmp[] = "/tmp/corral-config-test-XXXXXX";
        if (!tmpdir_enter(tmp))
                return 0;
        run_bad_cases();
        tmpdir_leave(tmp);
        return tap_done();
}
