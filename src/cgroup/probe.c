/* What cgroup v2 gives corral (SPEC 8): the mount, the root corral owns,
 * whether it is writable, its controllers, cgroup.kill and
 * clone3(CLONE_INTO_CGROUP); and the load-time decision built on that. */
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/statfs.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "cgroup-internal.h"
#include "sys.h"

int cgroup_read_at(int dirfd, const char *path, char **ret) {
        return read_file_at(dirfd, path, 64 * 1024, ret, NULL);
}

int cgroup_read_members_at(int dirfd, const char *file, char **ret) {
        /* pid_max is at most 2^22: 8 bytes a line covers every pid. */
        return read_file_at(dirfd, file, (size_t)8 << 22, ret, NULL);
}

void cgroup_probe_done(struct cgroup_probe *p) {
        free(p->mount);
        free(p->root);
        cgroup_strv_free(p->controllers);
        free(p->problem);
        *p = (struct cgroup_probe){0};
}

/* The root corral owns when none is given: its own cgroup under the mount. */
static int own_cgroup_dir(const char *mount, const char *mount_root, char **ret) {
        _cleanup_free_ char *text = NULL, *self = NULL;
        int r = read_file_at(AT_FDCWD, "/proc/self/cgroup", 64 * 1024, &text, NULL);
        if (r < 0)
                return r;
        r = cgroup_parse_proc_cgroup(text, &self);
        if (r < 0)
                return r;
        const char *rel = self;
        size_t ml = strlen(mount_root);
        /* A mount of a sub-tree (field 4 of mountinfo is not "/") shows
         * paths relative to the hierarchy: strip its root. */
        if (!streq(mount_root, "/")) {
                if (strncmp(self, mount_root, ml) != 0 || (self[ml] != '/' && self[ml] != '\0'))
                        return -ENOENT;
                rel = self + ml;
        }
        while (*rel == '/')
                rel++;
        char *p = *rel ? xasprintf("%s/%s", mount, rel) : strdup(mount);
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

static bool kernel_at_least(int major, int minor) {
        struct utsname u;
        int a = 0, b = 0;
        if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &a, &b) != 2)
                return false;
        return a > major || (a == major && b >= minor);
}

/* Ask clone3 for CLONE_INTO_CGROUP with a file that is not a cgroup
 * directory: a kernel that knows the flag refuses the fd (EBADF) before it
 * makes a process; one that does not refuses the flag or the size (EINVAL,
 * E2BIG) or clone3 itself (ENOSYS).  No process is created, so nothing is
 * left for the reaper. */
static bool probe_clone_into_cgroup(int cgroup_dirfd) {
        _cleanup_close_ int fd = openat(cgroup_dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        struct clone_args args = {
                .flags = CLONE_INTO_CGROUP,
                .exit_signal = SIGCHLD,
                .cgroup = (uint64_t)fd,
        };
        long pid = sys_clone3(&args, sizeof args);
        if (pid == 0)
                _exit(0);
        if (pid > 0) {
                /* Not expected; it ran, so the flag works. */
                while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                return true;
        }
        return pid == -EBADF;
}

/* A scratch cgroup killed while empty, and a child cloned into it that
 * exits at once: on a kernel that taints killed cgroups it dies of SIGKILL
 * instead.  Asked at most once per process (the kernel does not change),
 * and only when it matters: a start waiting on a killed leaf. */
bool cgroup_kill_taints_clones(int root_fd) {
        static int known = -1;
        if (known >= 0)
                return known;
        char name[64];
        snprintf(name, sizeof name, ".corral-kill-probe-%d", (int)getpid());
        if (mkdirat(root_fd, name, 0700) < 0)
                return true; /* cannot tell: assume the worst, this time */
        bool taints = true, told = false;
        int fd = openat(root_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0 && write_file_at(fd, "cgroup.kill", "1") >= 0) {
                /* No exit signal: only a __WALL wait sees it. */
                struct clone_args args = { .flags = CLONE_INTO_CGROUP, .cgroup = (uint64_t)fd };
                long pid = sys_clone3(&args, sizeof args);
                if (pid == 0)
                        _exit(0);
                int st = 0;
                if (pid > 0) {
                        while (waitpid((pid_t)pid, &st, __WALL) < 0 && errno == EINTR)
                                ;
                        taints = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
                        told = true;
                }
        }
        safe_close(fd);
        (void)unlinkat(root_fd, name, AT_REMOVEDIR);
        if (told)
                known = taints;
        return taints;
}

static int set_problem(struct cgroup_probe *p, const char *fmt, const char *a, int err) {
        p->problem = err ? xasprintf("%s%s: %s", fmt, a, strerror(err)) : xasprintf("%s%s", fmt, a);
        return p->problem ? 0 : -ENOMEM;
}

/* PID 1 of the initial PID namespace: the machine's init (its inode is
 * PROC_PID_INIT_INO, include/linux/proc_ns.h). */
static bool machine_pid1(void) {
        struct stat st;
        return getpid() == 1 && stat("/proc/self/ns/pid", &st) == 0 && st.st_ino == 0xEFFFFFFCu;
}

static int probe_root(struct cgroup_probe *p, int fd) {
        struct statvfs sv;
        p->hierarchy_root = faccessat(fd, "cgroup.type", F_OK, 0) < 0 && errno == ENOENT;
        bool ro = fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_RDONLY);
        p->writable = !ro && faccessat(fd, "cgroup.procs", W_OK, 0) == 0 &&
                      faccessat(fd, "cgroup.subtree_control", W_OK, 0) == 0 && faccessat(fd, ".", W_OK, 0) == 0;
        _cleanup_free_ char *ctl = NULL;
        int r = cgroup_read_at(fd, "cgroup.controllers", &ctl);
        if (r < 0)
                return set_problem(p, "cannot read cgroup.controllers of ", p->root, -r);
        if ((r = cgroup_parse_list(ctl, &p->controllers)) < 0)
                return r;
        /* The hierarchy's top cgroup has no cgroup.kill of its own; it came
         * with Linux 5.14 for every other cgroup. */
        p->has_kill = p->hierarchy_root ? kernel_at_least(5, 14) : faccessat(fd, "cgroup.kill", F_OK, 0) == 0;
        /* A read-only mount (what a container runtime gives by default),
         * or a cgroup not delegated to corral's user. */
        if (!p->writable)
                return set_problem(p, ro ? "mounted read-only: " : "not writable (not delegated to corral): ",
                                   p->root, 0);
        return 0;
}

int cgroup_probe(const char *root_override, struct cgroup_probe *ret) {
        struct cgroup_probe p = {0};
        _cleanup_free_ char *info = NULL, *mroot = NULL;
        /* Whole, however many mounts there are (about 150 bytes each). */
        int r = read_file_at(AT_FDCWD, "/proc/self/mountinfo", (size_t)1 << 30, &info, NULL);
        if (r >= 0)
                r = cgroup_parse_mountinfo(info, &p.mount, &mroot);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && !root_override)
                r = set_problem(&p, "no cgroup2 filesystem is mounted", "", 0);
        else if (root_override)
                r = (p.root = strdup(root_override)) ? 0 : -ENOMEM;
        else if ((r = own_cgroup_dir(p.mount, mroot, &p.root)) < 0 && r != -ENOMEM)
                r = set_problem(&p, "cannot find corral's own cgroup2 cgroup in /proc/self/cgroup", "", 0);
        _cleanup_close_ int fd = -1;
        if (r >= 0 && !p.problem) {
                struct statfs sf;
                fd = open(p.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        r = set_problem(&p, "cannot open ", p.root, errno);
                else if (fstatfs(fd, &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC)
                        r = set_problem(&p, "not a cgroup2 directory: ", p.root, 0);
                else
                        r = probe_root(&p, fd);
        }
        /* The top of the hierarchy holds the whole machine: only its init
         * takes it over by default, never a corral that merely started
         * there (a shell on the host, a test in a PID namespace). */
        if (r >= 0 && !p.problem && p.hierarchy_root && !root_override && !machine_pid1())
                r = set_problem(&p, p.root, " is the top of the cgroup2 hierarchy, which only the machine's PID 1 "
                                "takes over (give --cgroup-root, or run corral in a delegated cgroup)", 0);
        if (r >= 0 && !p.problem)
                p.clone_into_cgroup = probe_clone_into_cgroup(fd);
        if (r < 0) {
                cgroup_probe_done(&p);
                return r;
        }
        *ret = p;
        return 0;
}

void cgroup_probe_print(const struct cgroup_probe *p, FILE *out) {
        if (p->problem) {
                fprintf(out, "cgroup2: not usable: %s\n", p->problem);
                return;
        }
        fprintf(out, "cgroup2: mounted at %s; root %s%s, writable\n", p->mount ? p->mount : "?", p->root,
                p->hierarchy_root ? " (the hierarchy's top)" : "");
        fputs("cgroup controllers offered:", out);
        for (char **c = p->controllers; c && *c; c++)
                fprintf(out, " %s", *c);
        fprintf(out, "%s\ncgroup.kill: %s; clone3 CLONE_INTO_CGROUP: %s\n",
                p->controllers && p->controllers[0] ? "" : " none", p->has_kill ? "yes" : "no",
                p->clone_into_cgroup ? "yes" : "no");
}

static bool model_needs_cgroups(const struct model *m) {
        for (size_t i = 0; i < m->n_groups; i++)
                if (cg_limits_any(&m->groups[i].limits) || m->groups[i].threaded)
                        return true;
        for (size_t i = 0; i < m->n_services; i++)
                if (cg_limits_any(&m->services[i].limits))
                        return true;
        return false;
}

static const char *first_key(const struct cg_limits *l) {
        for (int k = 0; k < _CG_KEY_MAX; k++)
                if (l->value[k])
                        return cg_keys[k].key;
        return "type";
}

/* "required", limits declared, no usable cgroup2: one error per declarer. */
static void report_unusable(const struct model *m, const char *problem, struct diags *d) {
        for (size_t i = 0; i < m->n_groups; i++) {
                const struct group_decl *g = &m->groups[i];
                if (cg_limits_any(&g->limits) || g->threaded)
                        diag_add(d, g->loc.file, g->loc.line,
                                 "group \"%s\": %s: cgroup2 is not usable: %s (settings.cgroups = \"optional\" "
                                 "runs without limits)",
                                 g->path, first_key(&g->limits), problem);
        }
        for (size_t i = 0; i < m->n_services; i++) {
                const struct service *s = &m->services[i];
                int k = cg_key_from_name(first_key(&s->limits));
                if (k >= 0)
                        diag_add(d, s->loc.file, s->limits.line[k] > 0 ? s->limits.line[k] : s->loc.line,
                                 "service \"%s\": %s: cgroup2 is not usable: %s (settings.cgroups = \"optional\" "
                                 "runs without limits)",
                                 s->name, cg_keys[k].key, problem);
        }
}

int cgroup_plan_load(const struct model *m, const struct cgroup_probe *probe,
                     struct cgroup_plan **ret, struct diags *d, struct diags *warn) {
        bool optional = m->settings.cgroups == CGROUPS_OPTIONAL;
        if (probe->problem) {
                bool needs = model_needs_cgroups(m);
                if (needs && !optional) {
                        report_unusable(m, probe->problem, d);
                        return -EINVAL;
                }
                if (needs)
                        diag_add(warn, NULL, 0, "cgroup2 is not usable (%s): running without cgroups and without "
                                 "the declared limits", probe->problem);
                *ret = NULL;
                return 0;
        }
        return cgroup_plan_build_ex(m, probe->root, (const char *const *)probe->controllers, ret, d,
                                    optional ? warn : NULL);
}
