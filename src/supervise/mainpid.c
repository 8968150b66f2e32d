/* What /proc says about a process that sent a notify datagram or was named
 * by MAINPID=, and the tracking of a MAINPID= process as a service's main
 * one.  Such a process may not be corral's child: no SIGCHLD tells of its
 * end and its pid may be reused once it is gone, so it is held by a pidfd
 * (or, without pidfds, checked by its start time before each signal) and
 * the pidfd is watched on the loop.  Everything here reads into buffers on
 * the stack: a flood of datagrams costs no allocation. */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "cgroup.h"
#include "log.h"
#include "sup.h"
#include "sys.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* How far up the parents of a process are followed to find a service's
 * main process (without cgroups). */
#define ANCESTRY_MAX 32

/* /proc/PID/FILE into buf, NUL-terminated; its length, or -errno. */
static ssize_t proc_read(pid_t pid, const char *file, char *buf, size_t size) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        size_t n = 0;
        while (n < size - 1) {
                ssize_t r = read(fd, buf + n, size - 1 - n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                n += (size_t)r;
        }
        close(fd);
        buf[n] = '\0';
        return (ssize_t)n;
}

/* The "0::" line of /proc/PID/cgroup, in place in buf; NULL when absent. */
static char *unified_line(pid_t pid, char *buf, size_t size) {
        if (proc_read(pid, "cgroup", buf, size) <= 0)
                return NULL;
        char *l = buf;
        while (strncmp(l, "0::", 3) != 0) {
                l = strchr(l, '\n');
                if (!l++)
                        return NULL;
        }
        l += 3;
        char *end = strchr(l, '\n');
        if (!end)
                return NULL; /* cut short: a path longer than buf */
        *end = '\0';
        return l;
}

/* Learn once where corral's cgroup root is: corral itself lives in its
 * `init` leaf once the tree is built. */
bool mainpid_cgroups(struct sup *s) {
        if (s->cg_known)
                return s->cg_known > 0;
        s->cg_known = -1;
        const struct sup_hooks *h = &s->opts->hooks;
        struct cgroup_stats st;
        if (!s->n || !h->stats || h->stats(h->ud, s->svcs[0].def, &st) == -ENODATA)
                return false;
        char buf[2048];
        char *self = unified_line(getpid(), buf, sizeof buf);
        size_t n = self ? strlen(self) : 0;
        if (n < 5 || !streq(self + n - 5, "/init") || n - 5 >= sizeof s->cg_base) {
                log_warn("notify: corral's own cgroup is not its root's init leaf: notify messages are "
                         "attributed by pid only");
                return false;
        }
        memcpy(s->cg_base, self, n - 5);
        s->cg_base[n - 5] = '\0';
        s->cg_known = 1;
        return true;
}

const char *mainpid_cgroup_of(struct sup *s, pid_t pid, char *buf, size_t size) {
        if (!mainpid_cgroups(s))
                return NULL;
        char *l = unified_line(pid, buf, size);
        if (!l)
                return NULL;
        size_t b = strlen(s->cg_base);
        if (strncmp(l, s->cg_base, b) != 0 || l[b] != '/')
                return "";
        return l + b + 1;
}

pid_t mainpid_parent_of(pid_t pid, uint64_t *ret_start) {
        char buf[1024];
        if (proc_read(pid, "stat", buf, sizeof buf) <= 0)
                return 0;
        const char *p = strrchr(buf, ')'); /* the command may hold spaces and ')' */
        int ppid = 0;
        unsigned long long start = 0;
        /* state ppid pgrp session tty tpgid flags minflt cminflt majflt
         * cmajflt utime stime cutime cstime priority nice threads itrealvalue
         * starttime */
        if (!p || sscanf(p + 1, " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                         &ppid, &start) != 2)
                return 0;
        if (ret_start)
                *ret_start = start;
        return ppid;
}

/* pid belongs to service idx: it is in its leaf, or, without cgroups, its
 * main process is among its ancestors. */
static bool belongs(struct sup *s, size_t idx, pid_t pid) {
        const struct svc *v = &s->svcs[idx];
        char buf[2048];
        const char *cg = mainpid_cgroup_of(s, pid, buf, sizeof buf);
        if (cg)
                return streq(cg, v->def->cgroup_path);
        if (mainpid_cgroups(s))
                return false; /* gone, or /proc would not tell */
        pid_t p = pid;
        for (int depth = 0; depth < ANCESTRY_MAX && p > 1; depth++)
                if ((p = mainpid_parent_of(p, NULL)) == v->pid)
                        return true;
        return false;
}

bool mainpid_verified(const struct svc *v) {
        uint64_t start = 0;
        return v->pid > 0 && mainpid_parent_of(v->pid, &start) > 0 && start == v->start_time;
}

/* An adopted main process ended (its pidfd became readable). */
static void on_main_exit(void *ud) {
        struct svc_watch *w = ud;
        struct sup *s = w->s;
        struct svc *v = &s->svcs[w->idx];
        siginfo_t si = { 0 };
        int status;
        /* Reparented to corral (PID 1 or subreaper): reap it for its status. */
        if (waitid((idtype_t)P_PIDFD, (id_t)v->pidfd, &si, WEXITED | WNOHANG) == 0 && si.si_pid > 0) {
                status = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0)
                                                  : si.si_status | (si.si_code == CLD_DUMPED ? 0x80 : 0);
        } else {
                log_warn("service \"%s\": main process %d ended; it is not corral's child, so its exit "
                         "status is unknown (taken as 255)",
                         v->def->name, (int)v->pid);
                status = W_EXITCODE(255, 0);
        }
        proc_main_ended(s, w->idx, status);
}

static void refuse(const struct svc *v, pid_t pid, const char *why) {
        log_warn("service \"%s\": MAINPID=%d refused: %s", v->def->name, (int)pid, why);
}

void mainpid_accept(struct sup *s, size_t idx, pid_t pid) {
        struct svc *v = &s->svcs[idx];
        if (v->pid <= 0 || pid == v->pid)
                return;
        if (v->def->ns.pid) {
                refuse(v, pid, "the service has a PID namespace of its own, whose pids are not corral's");
                return;
        }
        if (pid == getpid() || !belongs(s, idx, pid)) {
                refuse(v, pid, "not a process of the service");
                return;
        }
        int fd = sys_pidfd_open(pid);
        if (fd < 0 && fd != -ENOSYS) {
                refuse(v, pid, strerror(-fd));
                return;
        }
        /* The pidfd holds whatever had pid when it was opened: check again
         * that this is the service's process, and that it still runs (so
         * that pid was not reused in between). */
        uint64_t start = 0;
        if (!belongs(s, idx, pid) || mainpid_parent_of(pid, &start) <= 0 ||
            (fd >= 0 && sys_pidfd_send_signal(fd, 0) < 0)) {
                safe_close(fd);
                refuse(v, pid, "it ended");
                return;
        }
        struct loop_io *io = fd >= 0 ? loop_io_new(s->loop, fd, on_main_exit, v->watch) : NULL;
        if ((fd >= 0 && !io) || registry_put(&s->pids, pid, (uint32_t)idx) < 0) {
                loop_io_free(io);
                safe_close(fd);
                refuse(v, pid, strerror(ENOMEM));
                return;
        }
        (void)registry_del(&s->pids, v->pid);
        loop_io_free(v->main_io);
        safe_close(v->pidfd);
        log_info("service \"%s\": main process is now %d", v->def->name, (int)pid);
        v->pid = pid;
        v->pidfd = fd;
        v->adopted = true;
        v->start_time = start;
        v->main_io = io;
}
