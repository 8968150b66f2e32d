/* The spawn plan as data: environment, ids, path, messages; the env_file
 * rules on files made here (ownership ones as root only).  No fork. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"
#include "util.h"
#include "spawn.h"
#include "tap.h"

static char *cmd_abs[] = { "/usr/bin/env", "-0", NULL };
static char *cmd_rel[] = { "env", NULL };

static void svc(struct service *s, char **argv) {
        service_init_defaults(s);
        s->name = "t";
        s->argv = argv;
        s->argc = 1;
        s->cgroup_path = "t";
}

static const char *getenvp(char **envp, const char *key) {
        size_t n = strlen(key);
        for (; envp && *envp; envp++)
                if (strncmp(*envp, key, n) == 0 && (*envp)[n] == '=')
                        return *envp + n + 1;
        return NULL;
}

static size_t count(char **v) {
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

static char *write_tmp_n(const char *content, size_t len) {
        static char path[64];
        strcpy(path, "/tmp/corral-spawn-envXXXXXX");
        int fd = mkstemp(path);
        if (fd < 0)
                return NULL;
        if (write(fd, content, len) < 0) {
                close(fd);
                return NULL;
        }
        close(fd);
        return path;
}

static char *write_tmp(const char *content) {
        return write_tmp_n(content, strlen(content));
}

static void test_inherit(void) {
        struct service s;
        svc(&s, cmd_abs);
        char *base[] = { "A=1", "PATH=/x:/y", "NOTIFY_SOCKET=/outer", "BOGUS", "B=2", NULL };
        struct spawn_plan p;
        int r = spawn_plan_build(&s, base, NULL, &p, NULL);
        tap_ok(r == 0, "plan builds (%d)", r);
        if (r < 0)
                return;
        tap_ok(streq(getenvp(p.envp, "A") ?: "", "1") && streq(getenvp(p.envp, "PATH") ?: "", "/x:/y"),
               "corral's environment is inherited");
        tap_ok(!getenvp(p.envp, "NOTIFY_SOCKET"), "corral's own NOTIFY_SOCKET is not passed on");
        tap_ok(count(p.envp) == 3, "entries without '=' are dropped (%zu)", count(p.envp));
        tap_ok(p.path == p.argv[0] && streq(p.path, "/usr/bin/env"), "absolute command: path is argv[0]");
        tap_ok(p.argv != s.argv && streq(p.argv[1], "-0") && !p.argv[2], "argv copied");
        tap_ok(p.stdio[0] == -1 && p.stdio[1] == -1 && p.stdio[2] == -1 && p.cgroup_fd == -1 && !p.ns,
               "no fds chosen by the plan");
        tap_ok(p.new_session && !p.foreground && p.no_new_privs && !p.set_ids && !p.has_caps, "defaults: setsid, no_new_privs, ids kept");
        spawn_plan_done(&p);
        tap_ok(!p.argv && !p.envp, "plan released");
}

static void test_override(void) {
        struct service s;
        svc(&s, cmd_abs);
        char *file = write_tmp("# comment\n\n  A=file\nB=\"quoted value\"\nexport C='single'\nD=x=y\r\nE=\n");
        if (!file) {
                tap_skip("env_file", "cannot write /tmp");
                return;
        }
        struct env_var env[] = { { "B", "env", 0 }, { "F", "6", 0 }, { "F", "7", 0 } };
        s.env = env;
        s.n_env = ARRAY_SIZE(env);
        s.env_file = file;
        char *base[] = { "A=base", "B=base", "Z=base", NULL };
        struct spawn_plan p;
        int r = spawn_plan_build(&s, base, "/run/corral/notify", &p, NULL);
        unlink(file);
        tap_ok(r == 0, "plan with env_file builds (%d)", r);
        if (r < 0)
                return;
        tap_ok(streq(getenvp(p.envp, "A") ?: "", "file"), "env_file overrides corral's environment");
        tap_ok(streq(getenvp(p.envp, "B") ?: "", "env"), "env overrides env_file");
        tap_ok(streq(getenvp(p.envp, "C") ?: "", "single"), "export prefix and single quotes");
        tap_ok(streq(getenvp(p.envp, "D") ?: "", "x=y"), "value keeps '=' and loses CR");
        tap_ok(getenvp(p.envp, "E") && !*getenvp(p.envp, "E"), "empty value");
        tap_ok(streq(getenvp(p.envp, "F") ?: "", "7"), "later env entry wins");
        tap_ok(streq(getenvp(p.envp, "Z") ?: "", "base"), "untouched base entry kept");
        tap_ok(streq(getenvp(p.envp, "NOTIFY_SOCKET") ?: "", "/run/corral/notify"), "NOTIFY_SOCKET set");
        tap_ok(streq(p.envp[0], "A=file") && streq(p.envp[1], "B=env"), "overrides keep the original position");
        tap_ok(count(p.envp) == 8, "no duplicate keys (%zu)", count(p.envp));
        spawn_plan_done(&p);
}

static void test_env_file_errors(void) {
        struct service s;
        svc(&s, cmd_abs);
        s.env_file = "/nonexistent/corral.env";
        struct spawn_plan p = { .path = "untouched" };
        const char *what = NULL;
        int r = spawn_plan_build(&s, NULL, NULL, &p, &what);
        tap_ok(r == -ENOENT, "missing env_file is an error (%d)", r);
        tap_ok(what && streq(what, "env_file /nonexistent/corral.env"), "ret_what names the env_file: %s", what ? what : "-");
        tap_ok(p.path && streq(p.path, "untouched"), "plan untouched on failure");

        char *file = write_tmp("GOOD=1\nno equals sign\n");
        s.env_file = file;
        what = NULL;
        r = spawn_plan_build(&s, NULL, NULL, &p, &what);
        unlink(file);
        char want[256];
        snprintf(want, sizeof want, "env_file %s:2: not KEY=value", file);
        tap_ok(r == -EINVAL && what && streq(what, want), "line without '=' is an error naming the line: %s", what ? what : "-");

        /* A NUL byte would end the line early and hide the rest of the file. */
        static const char nul[] = "A=1\nB=2\0hidden\nC=3\n";
        file = write_tmp_n(nul, sizeof nul - 1);
        s.env_file = file;
        what = NULL;
        r = spawn_plan_build(&s, NULL, NULL, &p, &what);
        unlink(file);
        snprintf(want, sizeof want, "env_file %s:2: a NUL byte", file);
        tap_ok(r == -EINVAL && what && streq(what, want), "a NUL byte is an error naming the line: %s", what ? what : "-");
        if (r == 0)
                spawn_plan_done(&p);
}

/* env_file is never reached through a path the service's user could
 * redirect: no symlink anywhere on the way, a regular file owned by root
 * (corral's user) or by the service's user, and one not also linked from
 * somewhere else unless it is the service's own. */
static int plan_with(struct service *s, const char *file, const char **what) {
        struct spawn_plan p;
        s->env_file = (char *)file;
        *what = NULL;
        int r = spawn_plan_build(s, NULL, NULL, &p, what);
        if (r == 0)
                spawn_plan_done(&p);
        return r;
}

static void test_env_file_paths(void) {
        char dir[] = "/tmp/corral-spawn-envdXXXXXX";
        if (!mkdtemp(dir)) {
                tap_skip("env_file paths", "cannot make a directory in /tmp");
                return;
        }
        char good[128], lnk[128], sub[128], via[128], fifo[128], hard[128];
        snprintf(good, sizeof good, "%s/good.env", dir);
        snprintf(lnk, sizeof lnk, "%s/link.env", dir);
        snprintf(sub, sizeof sub, "%s/sub", dir);
        snprintf(via, sizeof via, "%s/sub/good.env", dir);
        snprintf(fifo, sizeof fifo, "%s/fifo.env", dir);
        snprintf(hard, sizeof hard, "%s/hard.env", dir);
        int fd = open(good, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        bool made = fd >= 0 && write(fd, "K=v\n", 4) == 4;
        safe_close(fd);
        made = made && symlink(good, lnk) == 0 && symlink(".", sub) == 0 && mkfifo(fifo, 0600) == 0;
        tap_ok(made, "files for the env_file paths");
        struct service s;
        svc(&s, cmd_abs);
        const char *what;

        tap_ok(plan_with(&s, good, &what) == 0, "a regular file of corral's user is read");
        int r = plan_with(&s, lnk, &what);
        tap_ok(r == -ELOOP && what && strstr(what, "a symlink on the way is not followed"),
               "a symlink to it is refused (%d: %s)", r, what ? what : "-");
        r = plan_with(&s, via, &what);
        tap_ok(r == -ELOOP && what && strstr(what, via), "a symlink among the directories is refused (%d: %s)", r,
               what ? what : "-");
        r = plan_with(&s, fifo, &what);
        tap_ok(r == -EINVAL && what && strstr(what, "not a regular file"), "a FIFO is refused, without blocking (%d: %s)",
               r, what ? what : "-");
        if (geteuid() == 0) {
                tap_ok(link(good, hard) == 0, "a second link");
                r = plan_with(&s, good, &what);
                tap_ok(r == 0, "root's file with two links, for a service that runs as root: read (%d)", r);
                s.has_user = true;
                s.uid = 4243;
                s.gid = 4243;
                r = plan_with(&s, hard, &what);
                tap_ok(r == -EPERM && what && strstr(what, "2 links"),
                       "root's file with two links, for another user's service: refused (%d: %s)", r, what ? what : "-");
                unlink(hard);
                tap_ok(plan_with(&s, good, &what) == 0, "root's file with one link: read for any service");
                tap_ok(chown(good, 4242, 4242) == 0, "the file given to uid 4242");
                r = plan_with(&s, good, &what);
                tap_ok(r == -EPERM && what && strstr(what, "owned by uid 4242"),
                       "a file of another user is refused (%d: %s)", r, what ? what : "-");
                s.uid = 4242;
                tap_ok(plan_with(&s, good, &what) == 0, "the service's own user's file is read");
                s.has_user = false;
                r = plan_with(&s, good, &what);
                tap_ok(r == -EPERM, "and refused for a service of root's (%d)", r);
        } else {
                tap_skip("ownership and links", "not root");
        }
        unlink(good);
        unlink(lnk);
        unlink(sub);
        unlink(fifo);
        rmdir(dir);
}

static void test_clean_env(void) {
        struct service s;
        svc(&s, cmd_rel);
        s.clean_env = true;
        char *base[] = { "A=1", "PATH=/x", "HOME=/root", NULL };
        struct spawn_plan p;
        int r = spawn_plan_build(&s, base, NULL, &p, NULL);
        tap_ok(r == 0 && count(p.envp) == 1 &&
               streq(getenvp(p.envp, "PATH") ?: "", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
               "clean_env: only the default PATH");
        tap_ok(r == 0 && p.path == NULL, "relative command: path NULL (looked up by the child)");
        if (r == 0)
                spawn_plan_done(&p);

        s.has_user = true;
        s.uid = 65534;
        s.gid = 65534;
        s.user_name = "nobody";
        s.user_home = "/nonexistent";
        struct env_var env[] = { { "A", "env", 0 } };
        s.env = env;
        s.n_env = 1;
        r = spawn_plan_build(&s, base, NULL, &p, NULL);
        tap_ok(r == 0 && count(p.envp) == 5 && streq(getenvp(p.envp, "HOME") ?: "", "/nonexistent") &&
               streq(getenvp(p.envp, "USER") ?: "", "nobody") && streq(getenvp(p.envp, "LOGNAME") ?: "", "nobody") &&
               streq(getenvp(p.envp, "A") ?: "", "env"),
               "clean_env with user: PATH, HOME, USER, LOGNAME and env");
        if (r == 0)
                spawn_plan_done(&p);

        s.clean_env = false;
        r = spawn_plan_build(&s, base, NULL, &p, NULL);
        tap_ok(r == 0 && streq(getenvp(p.envp, "HOME") ?: "", "/nonexistent") && streq(getenvp(p.envp, "PATH") ?: "", "/x"),
               "inherited HOME replaced by the user's");
        if (r == 0)
                spawn_plan_done(&p);
}

static void test_ids(void) {
        struct service s;
        svc(&s, cmd_abs);
        s.has_user = true;
        s.uid = 65534;
        s.gid = 65534;
        s.user_name = "nobody";
        struct spawn_plan p;
        int r = spawn_plan_build(&s, NULL, NULL, &p, NULL);
        bool has_gid = false;
        for (size_t i = 0; r == 0 && i < p.n_groups; i++)
                has_gid |= p.groups[i] == 65534;
        tap_ok(r == 0 && p.set_ids && p.uid == 65534 && p.gid == 65534 && p.n_groups >= 1 && has_gid,
               "user by name: ids and groups from the database (%zu groups)", r == 0 ? p.n_groups : 0);
        if (r == 0)
                spawn_plan_done(&p);

        s.user_name = NULL;
        s.uid = 12345;
        s.gid = 23456;
        r = spawn_plan_build(&s, NULL, NULL, &p, NULL);
        tap_ok(r == 0 && p.set_ids && p.uid == 12345 && p.gid == 23456 && p.n_groups == 0 && !p.groups,
               "user by number: supplementary groups cleared");
        if (r == 0)
                spawn_plan_done(&p);

        s.has_user = false;
        s.has_group = true;
        s.gid = 100;
        r = spawn_plan_build(&s, NULL, NULL, &p, NULL);
        tap_ok(r == 0 && p.set_ids && p.uid == (uid_t)-1 && p.gid == 100 && p.n_groups == 0,
               "group alone: uid kept, groups cleared");
        if (r == 0)
                spawn_plan_done(&p);

        s.has_group = false;
        s.entrypoint = true;
        r = spawn_plan_build(&s, NULL, NULL, &p, NULL);
        tap_ok(r == 0 && !p.set_ids && !p.path && !p.new_session && p.foreground,
               "entrypoint: resolved by the child, keeps the session, in the foreground");
        if (r == 0)
                spawn_plan_done(&p);
        s.entrypoint = false;
        s.command_in_root = true;
        r = spawn_plan_build(&s, NULL, NULL, &p, NULL);
        tap_ok(r == 0 && !p.path, "command inside a root: resolved by the child");
        if (r == 0)
                spawn_plan_done(&p);
}

static void test_messages(void) {
        static const char *const names[] = { "none", "clone", "cgroup", "namespace", "setns", "setsid", "setpgid", "fds", "signals",
                                             "setrlimit", "chdir", "setgroups", "setgid", "setuid", "capabilities",
                                             "no_new_privs", "exec" };
        bool all = true;
        for (int i = 0; i < _STAGE_MAX; i++)
                all &= spawn_stage_to_string(i) && streq(spawn_stage_to_string(i), names[i]);
        tap_ok(all && !spawn_stage_to_string(_STAGE_MAX) && !spawn_stage_to_string(-1), "stage names");

        struct service s;
        svc(&s, cmd_abs);
        s.name = "x";
        s.workdir = "/nonexistent";
        struct rlimit_decl rl[] = { { RLIMIT_NOFILE, 1, 1, 0 } };
        s.rlimits = rl;
        s.n_rlimits = 1;
        struct spawn_plan p;
        if (spawn_plan_build(&s, NULL, NULL, &p, NULL) < 0) {
                tap_ok(false, "plan for messages");
                return;
        }
        char buf[256];
        struct spawn_error e = { STAGE_EXEC, ENOENT, -1 };
        spawn_error_format(&s, &p, &e, buf, sizeof buf);
        tap_ok(streq(buf, "service \"x\": exec /usr/bin/env: No such file or directory"), "exec message: %s", buf);
        e = (struct spawn_error){ STAGE_WORKDIR, ENOENT, -1 };
        spawn_error_format(&s, &p, &e, buf, sizeof buf);
        tap_ok(streq(buf, "service \"x\": chdir /nonexistent: No such file or directory"), "chdir message: %s", buf);
        e = (struct spawn_error){ STAGE_RLIMIT, EPERM, RLIMIT_NOFILE };
        spawn_error_format(&s, &p, &e, buf, sizeof buf);
        tap_ok(streq(buf, "service \"x\": setrlimit nofile: Operation not permitted"), "setrlimit message: %s", buf);
        e = (struct spawn_error){ STAGE_CGROUP, EBUSY, -1 };
        spawn_error_format(&s, &p, &e, buf, sizeof buf);
        tap_ok(streq(buf, "service \"x\": cgroup t: Device or resource busy"), "cgroup message: %s", buf);
        e = (struct spawn_error){ STAGE_ENTER, EPERM, 4 };
        spawn_error_format(&s, &p, &e, buf, sizeof buf);
        tap_ok(streq(buf, "service \"x\": setns mnt: Operation not permitted"), "setns message: %s", buf);
        e = (struct spawn_error){ STAGE_SETSID, EPERM, -1 };
        int n = spawn_error_format(NULL, NULL, &e, buf, 8);
        tap_ok(n == (int)strlen("setsid: Operation not permitted") && strlen(buf) == 7, "truncated, length returned");
        spawn_plan_done(&p);

        svc(&s, cmd_rel);
        s.entrypoint = true;
        spawn_plan_build(&s, NULL, NULL, &p, NULL);
        e = (struct spawn_error){ STAGE_EXEC, EACCES, -1 };
        spawn_error_format(&s, &p, &e, buf, sizeof buf);
        tap_ok(streq(buf, "service \"t\": exec env: Permission denied"), "looked-up command named as written: %s", buf);
        spawn_plan_done(&p);

        tap_ok(spawn_exit_code_for_exec_error(ENOENT) == 127 && spawn_exit_code_for_exec_error(ENOTDIR) == 127 &&
               spawn_exit_code_for_exec_error(EACCES) == 126 && spawn_exit_code_for_exec_error(ENOEXEC) == 126,
               "entrypoint exit codes 127 / 126");
}

/* exec into a service: the plan carries the service plan's identity (one
 * builder for both), its own argv and stdio, a session of its own, the
 * command looked up by the child; nothing to join in corral's own
 * namespaces. */
static void test_exec_plan(void) {
        char *cmd[] = { "/usr/bin/env", NULL };
        char *run[] = { "sh", "-c", "id", NULL };
        struct service s;
        svc(&s, cmd);
        s.has_user = s.has_group = true;
        s.uid = 1000;
        s.gid = 1000;
        s.has_caps = true;
        s.caps = 1u << 10;
        s.workdir = "/srv";
        s.no_new_privs = true;
        s.ns.user = true;
        struct rlimit_decl rl[] = { { RLIMIT_NOFILE, 10, 20, 0 } };
        s.rlimits = rl;
        s.n_rlimits = 1;
        char *base[] = { "PATH=/bin", "A=1", NULL };
        struct spawn_plan sp, xp;
        int fds[3] = { 7, 8, 9 };
        if (spawn_plan_build(&s, base, "/run/n", &sp, NULL) < 0 ||
            spawn_exec_plan_build(&s, base, "/run/n", run, fds, getpid(), 5, &xp, NULL) < 0) {
                tap_ok(false, "plans for the service and for exec");
                return;
        }
        bool same_env = true;
        for (size_t i = 0; sp.envp[i] || xp.envp[i]; i++)
                same_env &= sp.envp[i] && xp.envp[i] && streq(sp.envp[i], xp.envp[i]);
        tap_ok(xp.uid == sp.uid && xp.gid == sp.gid && xp.set_ids && xp.userns && xp.n_groups == sp.n_groups &&
                       xp.has_caps && xp.caps == sp.caps && xp.no_new_privs && xp.rlimits == sp.rlimits &&
                       xp.n_rlimits == 1 && streq(xp.workdir, "/srv") && same_env,
               "exec plan: the service's ids, groups, capabilities, rlimits, workdir, no_new_privs, environment");
        tap_ok(!xp.path && streq(xp.argv[0], "sh") && streq(xp.argv[2], "id") && !xp.argv[3] && xp.new_session &&
                       !xp.foreground && xp.stdio[0] == 7 && xp.stdio[2] == 9 && xp.cgroup_fd == 5 && !xp.ns,
               "exec plan: its argv (looked up by the child), stdio, session and cgroup");
        tap_ok(xp.enter != NULL, "exec plan: an enter step (nothing to join for a process in corral's namespaces)");
        spawn_plan_done(&sp);
        spawn_plan_done(&xp);
        tap_ok(!xp.enter && !xp.argv, "spawn_plan_done() frees the enter step");
        char *empty[] = { NULL };
        tap_ok(spawn_exec_plan_build(&s, base, NULL, empty, fds, getpid(), -1, &xp, NULL) == -EINVAL,
               "exec plan without a command: -EINVAL");
}

int main(void) {
        test_inherit();
        test_override();
        test_env_file_errors();
        test_env_file_paths();
        test_clean_env();
        test_ids();
        test_messages();
        test_exec_plan();
        return tap_done();
}
