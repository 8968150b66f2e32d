/* Pods: namespaces a group declares, made once and shared by every service
 * below it.  A short-lived child unshares them (corral itself stays where
 * it is), sets the hostname and brings lo up, then bind-mounts its
 * /proc/self/ns/X files on RUN_DIR/ns/GROUP/X as `ip netns add` does: it
 * shares corral's mount namespace, and the mounts keep the namespaces alive
 * with no process in them, across restarts of services.  A child made by
 * fork(), not a thread: glibc makes threads with clone3 and does not fall
 * back where a seccomp policy refuses clone3 with EPERM, as older container
 * runtimes' default profiles do; fork() uses clone. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "ns-internal.h"
#include "rundir.h"

static bool group_has(const struct group_decl *g, enum pod_ns k) {
        return k == POD_NET ? g->ns.net : k == POD_IPC ? g->ns.ipc : (g->ns.uts || g->ns.hostname);
}

static bool group_any(const struct group_decl *g) {
        return g->ns.net || g->ns.ipc || g->ns.uts || g->ns.hostname;
}

/* The pins let whoever opens them hold a pod's namespaces (and enter them
 * with setns where privileged), and a bind-mounted nsfs file shows mode
 * 0444 whatever the file under it says: only the directories keep other
 * users out.  dir must be corral's own directory (a symlink or another
 * owner is refused); it is made 0700, also when an older run left it. */
static int own_private_dir(const char *dir) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_uid != geteuid())
                return -EPERM;
        if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0)
                return -errno;
        return 0;
}

/* mkdir -p of RUN_DIR/ns/GROUP below the existing run dir: every part from
 * ns down is corral's own and 0700. */
static int make_pod_dir(const char *run_dir, const char *dir) {
        _cleanup_free_ char *p = strdup(dir);
        if (!p)
                return -ENOMEM;
        for (char *s = p + strlen(run_dir) + 1;; s++) {
                if (*s != '/' && *s != '\0')
                        continue;
                char c = *s;
                *s = '\0';
                if (mkdir(p, 0700) < 0 && errno != EEXIST)
                        return -errno;
                int r = own_private_dir(p);
                if (r < 0)
                        return r;
                if (c == '\0')
                        return 0;
                *s = c;
        }
}

struct pod_job {
        const struct group_decl *g;
        char *file[_POD_NS_MAX]; /* pin targets, NULL where not declared */
        const char *what;
};

/* What the child reports: the step that failed (an index into steps, or
 * STEP_PIN + k for the pin of namespace k) and its errno. */
enum { STEP_UNSHARE, STEP_HOSTNAME, STEP_LO, STEP_PIN };
static const char *const steps[] = { "unshare", "sethostname", "bring lo up" };
struct pod_report {
        int step, err;
};

static int pod_child_steps(const struct pod_job *j, int *ret_step) {
        int flags = 0;
        for (int k = 0; k < _POD_NS_MAX; k++)
                if (j->file[k])
                        flags |= pod_ns_flag[k];
        *ret_step = STEP_UNSHARE;
        if (unshare(flags) < 0)
                return -errno;
        *ret_step = STEP_HOSTNAME;
        if (j->g->ns.hostname && sethostname(j->g->ns.hostname, strlen(j->g->ns.hostname)) < 0)
                return -errno;
        if (j->file[POD_NET]) {
                *ret_step = STEP_LO;
                int r = ns_lo_up();
                if (r < 0)
                        return r;
        }
        for (int k = 0; k < _POD_NS_MAX; k++) {
                char src[64];
                if (!j->file[k])
                        continue;
                snprintf(src, sizeof src, "/proc/self/ns/%s", pod_ns_name[k]);
                *ret_step = STEP_PIN + k;
                if (mount(src, j->file[k], NULL, MS_BIND, NULL) < 0)
                        return -errno;
        }
        return 0;
}

/* Create the pin files, then fork the child with every signal blocked so
 * that corral's handlers never run in it; it is waited for here, before
 * the supervisor's reaper can see it. */
static int pod_create(struct pod_job *j) {
        for (int k = 0; k < _POD_NS_MAX; k++) {
                if (!j->file[k])
                        continue;
                umount2(j->file[k], MNT_DETACH); /* left by a corral that crashed */
                int fd = open(j->file[k], O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0400);
                if (fd < 0) {
                        j->what = j->file[k];
                        return -errno;
                }
                close(fd);
        }
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
                j->what = "pipe";
                return -errno;
        }
        sigset_t all, old;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, &old);
        pid_t pid = fork();
        if (pid == 0) {
                struct pod_report rep = { 0 };
                close(p[0]);
                rep.err = -pod_child_steps(j, &rep.step);
                (void)!write(p[1], &rep, sizeof rep);
                _exit(rep.err ? 1 : 0);
        }
        int fork_err = errno;
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(p[1]);
        if (pid < 0) {
                close(p[0]);
                j->what = "fork";
                return -fork_err;
        }
        struct pod_report rep = { .step = STEP_UNSHARE, .err = EIO };
        ssize_t n;
        while ((n = read(p[0], &rep, sizeof rep)) < 0 && errno == EINTR)
                ;
        close(p[0]);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        if (n != (ssize_t)sizeof rep)
                rep = (struct pod_report){ .step = STEP_UNSHARE, .err = EIO };
        if (rep.err)
                j->what = rep.step >= STEP_PIN ? j->file[rep.step - STEP_PIN] : steps[rep.step];
        return -rep.err;
}

static void pod_job_done(struct pod_job *j) {
        for (int k = 0; k < _POD_NS_MAX; k++)
                free(j->file[k]);
}

static int pod_setup(const struct group_decl *g, const char *run_dir, struct diags *d) {
        _cleanup_free_ char *dir = xasprintf("%s/ns/%s", run_dir, g->path);
        if (!dir)
                return -ENOMEM;
        int r = make_pod_dir(run_dir, dir);
        struct pod_job j = { .g = g, .what = dir };
        for (int k = 0; r >= 0 && k < _POD_NS_MAX; k++)
                if (group_has(g, k) && !(j.file[k] = xasprintf("%s/%s", dir, pod_ns_name[k])))
                        r = -ENOMEM;
        if (r >= 0)
                r = pod_create(&j);
        if (r < 0)
                diag_add(d, g->loc.file, g->loc.line, "group \"%s\": namespaces: %s: %s", g->path, j.what,
                         strerror(-r));
        pod_job_done(&j);
        return r;
}

int ns_pods_setup(const struct model *m, const char *run_dir, struct diags *d) {
        /* RUN_DIR holds the pins and the stage where roots are assembled. */
        int r = rundir_mkdir_parents(run_dir, 0755);
        if (r < 0) {
                diag_add(d, NULL, 0, "%s: %s", run_dir, strerror(-r));
                return r;
        }
        for (size_t i = 0; i < m->n_groups; i++) {
                if (!group_any(&m->groups[i]))
                        continue;
                int r = pod_setup(&m->groups[i], run_dir, d);
                if (r < 0) {
                        ns_pods_teardown(m, run_dir);
                        return r;
                }
        }
        return 0;
}

/* Remove dir and its parents up to (and including) stop, while empty. */
static void rmdir_up(char *dir, size_t stop_len) {
        while (strlen(dir) >= stop_len) {
                if (rmdir(dir) < 0)
                        return;
                char *slash = strrchr(dir, '/');
                if (!slash)
                        return;
                *slash = '\0';
        }
}

void ns_pods_teardown(const struct model *m, const char *run_dir) {
        for (size_t i = 0; i < m->n_groups; i++) {
                const struct group_decl *g = &m->groups[i];
                if (!group_any(g))
                        continue;
                for (int k = 0; k < _POD_NS_MAX; k++) {
                        _cleanup_free_ char *f = xasprintf("%s/ns/%s/%s", run_dir, g->path, pod_ns_name[k]);
                        if (!f)
                                continue;
                        umount2(f, MNT_DETACH);
                        unlink(f);
                }
        }
        /* Directories last, in one pass: the climb from the last group below
         * a directory removes it once it is empty. */
        _cleanup_free_ char *top = xasprintf("%s/ns", run_dir);
        for (size_t i = 0; top && i < m->n_groups; i++) {
                _cleanup_free_ char *dir = xasprintf("%s/ns/%s", run_dir, m->groups[i].path);
                if (dir && group_any(&m->groups[i]))
                        rmdir_up(dir, strlen(top));
        }
        _cleanup_free_ char *stage = xasprintf("%s/root", run_dir);
        if (stage)
                rmdir(stage);
}
