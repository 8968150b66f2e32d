/* Emptying a service's leaf.  cgroup.kill (Linux 5.14) kills every member
 * in one write, forks racing with it included.  Threaded cgroups refuse it
 * (it is process directed) and older kernels lack it: there the leaf is
 * frozen, so that its members can neither fork nor exit on their own while
 * the list is read, and each member is killed through a pidfd once it is
 * known to be still in the leaf, so a pid that was reused meanwhile is
 * never hit.
 *
 * A leaf cgroup.kill was written to becomes stale (see service.c): Linux
 * 6.18 SIGKILLs every later clone3(CLONE_INTO_CGROUP) child of it before
 * the child execs (cgroup_post_fork() compares the cgroup's kill_seq with
 * the one read from the parent's cgroup, which was never killed). */
#include <fcntl.h>
#include <signal.h>

#include "cgroup-internal.h"
#include "sys.h"

/* Is pid in the cgroup /proc/PID/cgroup calls want? */
static bool member_of(pid_t pid, const char *want) {
        char path[64];
        _cleanup_free_ char *text = NULL, *cg = NULL;
        snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
        if (read_file_at(AT_FDCWD, path, 64 * 1024, &text, NULL) < 0 || cgroup_parse_proc_cgroup(text, &cg) < 0)
                return false;
        return streq(cg, want);
}

/* SIGKILL one member.  A pidfd pins the process the pid names now; the
 * membership check after it rules out a pid reused since the list was
 * read.  Without pidfds (Linux < 5.3), or for a thread's id (pidfd_open
 * takes thread-group leaders only), kill(2) after the same check: the
 * frozen leaf keeps its members from exiting meanwhile. */
static void kill_member(pid_t pid, const char *want) {
        int pidfd = sys_pidfd_open(pid);
        if (pidfd < 0 && pidfd != -ENOSYS && pidfd != -EINVAL)
                return; /* ESRCH: gone already */
        if (!want || member_of(pid, want)) {
                /* pidfd_open (5.3) and pidfd_send_signal (5.1) are asked
                 * for separately: a seccomp policy may refuse only one. */
                if (pidfd < 0 || sys_pidfd_send_signal(pidfd, SIGKILL) == -ENOSYS)
                        (void)kill(pid, SIGKILL);
        }
        safe_close(pidfd);
}

static bool pid_seen(const pid_t *v, size_t n, pid_t pid) {
        for (size_t i = 0; i < n; i++)
                if (v[i] == pid)
                        return true;
        return false;
}

/* Kill every member of file (cgroup.procs; cgroup.threads in a threaded
 * cgroup, where cgroup.procs cannot be read and a thread's id names its
 * whole process for kill(2)).  Children forked before their parent was
 * killed show up in the next pass; a killed parent forks no more.  Ends
 * when a pass finds no new member. */
static int kill_passes(int fd, const char *file, const char *want) {
        _cleanup_free_ pid_t *seen = NULL;
        size_t n = 0, cap = 0;
        for (int pass = 0; pass < 100; pass++) {
                _cleanup_free_ char *procs = NULL;
                int r = cgroup_read_members_at(fd, file, &procs);
                if (r < 0)
                        return r;
                size_t fresh = 0;
                for (char *l = procs, *save = NULL; (l = strtok_r(l, "\n", &save)); l = NULL) {
                        /* 0: a process outside corral's PID namespace. */
                        pid_t pid = (pid_t)strtol(l, NULL, 10);
                        if (pid <= 0 || pid_seen(seen, n, pid))
                                continue;
                        pid_t *nv = grow_array(seen, &cap, n + 1, sizeof *nv, 64);
                        if (!nv)
                                return -ENOMEM;
                        seen = nv;
                        seen[n++] = pid;
                        fresh++;
                        kill_member(pid, want);
                }
                if (fresh == 0)
                        return 0;
        }
        return -EBUSY;
}

/* The leaf as /proc/PID/cgroup names it, NULL when unknown (then members
 * are killed unchecked). */
static char *leaf_cgroup_path(const struct cgroup_tree *t, size_t i) {
        return t->cg_root ? xasprintf("%s/%s", t->cg_root, t->plan->nodes[i].path) : NULL;
}

/* Without cgroup.kill.  Freezing (cgroup.freeze, Linux 5.2) is asked for,
 * not waited for: a member not frozen yet is killed all the same, and one
 * it forks first is found by the next pass.  Thawed at the end, or the next
 * run would start frozen; SIGKILL reaches frozen processes. */
static int kill_members(struct cgroup_tree *t, size_t i, int fd) {
        bool threaded = t->plan->nodes[i].threaded;
        _cleanup_free_ char *want = leaf_cgroup_path(t, i);
        bool frozen = write_file_at(fd, "cgroup.freeze", "1") >= 0;
        int r = kill_passes(fd, threaded ? "cgroup.threads" : "cgroup.procs", want);
        if (frozen)
                (void)write_file_at(fd, "cgroup.freeze", "0");
        return r;
}

int cgroup_leaf_kill(struct cgroup_tree *t, size_t i) {
        int fd = cgroup_node_fd(t, i);
        if (fd < 0)
                return fd;
        /* cgroup.kill refuses threaded cgroups (EOPNOTSUPP). */
        if (t->has_kill && !t->plan->nodes[i].threaded && write_file_at(fd, "cgroup.kill", "1") >= 0) {
                t->stale[i] = true;
                return 0;
        }
        return kill_members(t, i, fd);
}

int cgroup_service_kill(struct cgroup_tree *t, size_t service) {
        int r = cgroup_service_populated(t, service);
        if (r <= 0)
                return r < 0 ? r : 1;
        /* Armed before the kill, checked again after: the caller waits for
         * CGROUP_EVENT_EMPTIED only when 0 is returned. */
        if (cgroup_watch_populated(t, service) >= 0 && cgroup_service_populated(t, service) == 0)
                return 1;
        r = cgroup_leaf_kill(t, cgroup_leaf(t, service));
        return r < 0 ? r : 0;
}

