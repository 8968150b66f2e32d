/* A service's leaf while corral runs: its fd, "populated" and OOM events,
 * stats for status, removal.  Killing is in kill.c.
 *
 * A stale leaf (one cgroup.kill was written to, or whose removal met
 * processes still exiting) is removed as soon as it is empty (its
 * cgroup.events says populated 0) and never given to a start as it is:
 * the next start makes a fresh one.  Cgroups a reload dropped while they
 * were still emptying are orphans, removed the same way. */
#include <fcntl.h>
#include <sys/inotify.h>

#include "cgroup-internal.h"

size_t cgroup_leaf(const struct cgroup_tree *t, size_t service) {
        return service < t->plan->n_services ? t->plan->service_node[service] : SIZE_MAX;
}

const char *cgroup_service_path(const struct cgroup_tree *t, size_t service) {
        size_t i = cgroup_leaf(t, service);
        return i == SIZE_MAX ? NULL : t->plan->nodes[i].path;
}

static int read_keyed(int fd, const char *file, const char *key, uint64_t *ret) {
        _cleanup_free_ char *text = NULL;
        int r = cgroup_read_at(fd, file, &text);
        return r < 0 ? r : cgroup_parse_keyed(text, key, ret);
}

void cgroup_node_hold(struct cgroup_tree *t, size_t i) {
        size_t o = t->open_node;
        if (o != SIZE_MAX && o != i && t->fd[o] >= 0) {
                close(t->fd[o]);
                t->fd[o] = CG_FD_PARKED;
        }
        t->open_node = i;
}

int cgroup_node_fd(struct cgroup_tree *t, size_t i) {
        if (t->fd[i] != CG_FD_PARKED)
                return t->fd[i] >= 0 ? t->fd[i] : -ENOENT;
        int fd = openat(t->root_fd, t->plan->nodes[i].path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        cgroup_node_hold(t, i);
        t->fd[i] = fd;
        return fd;
}

void cgroup_park_nodes(struct cgroup_tree *t, size_t init) {
        for (size_t i = 1; i < t->plan->n_nodes; i++) {
                if (i == init || t->fd[i] < 0)
                        continue;
                close(t->fd[i]);
                t->fd[i] = CG_FD_PARKED;
        }
        t->open_node = SIZE_MAX;
}

/* inotify takes a path: reach the file through the leaf's fd, so the watch
 * is on the cgroup we hold whatever happened to the path meanwhile. */
static int add_watch(struct cgroup_tree *t, int fd, const char *file) {
        char path[64];
        if (faccessat(fd, file, F_OK, 0) < 0)
                return -errno;
        snprintf(path, sizeof path, "/proc/self/fd/%d/%s", fd, file);
        int wd = inotify_add_watch(t->inotify_fd, path, IN_MODIFY);
        return wd < 0 ? -errno : wd;
}

/* Only memory.events is watched from the start (OOM kills are reported
 * whenever they happen).  cgroup.events is watched from the first kill by
 * cgroup on (see cgroup_service_kill()): a watch costs its removal, and
 * closing an inotify instance that held watches waits for the kernel to
 * free them (an SRCU grace period, several ms), which would delay corral's
 * exit after every service stopped by itself. */
int cgroup_watch_service(struct cgroup_tree *t, size_t s) {
        size_t i = cgroup_leaf(t, s);
        int fd = i == SIZE_MAX ? -ENOENT : cgroup_node_fd(t, i);
        if (fd < 0 || t->inotify_fd < 0)
                return -ENOENT;
        /* memory.events exists only where the parent enables memory. */
        int r = add_watch(t, fd, "memory.events");
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        t->wd_memory[s] = r;
        uint64_t base = 0;
        (void)read_keyed(fd, "memory.events", "oom_kill", &base);
        t->oom_base[s] = base;
        return 0;
}

int cgroup_watch_populated(struct cgroup_tree *t, size_t s) {
        size_t i = cgroup_leaf(t, s);
        if (t->wd_events[s] >= 0)
                return 0;
        int fd = i == SIZE_MAX ? -ENOENT : cgroup_node_fd(t, i);
        if (fd < 0 || t->inotify_fd < 0)
                return -ENOENT;
        int r = add_watch(t, fd, "cgroup.events");
        if (r < 0)
                return r;
        t->wd_events[s] = r;
        return 0;
}

int cgroup_leaf_retire(struct cgroup_tree *t, size_t i) {
        if (unlinkat(t->root_fd, t->plan->nodes[i].path, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return errno == EBUSY ? 0 : -errno;
        cgroup_node_gone(t, i);
        return 1;
}

int cgroup_leaf_prepare(struct cgroup_tree *t, size_t i) {
        if (!t->stale[i])
                return 0;
        int r = cgroup_leaf_retire(t, i);
        if (r != 0)
                return r < 0 ? r : 0;
        if (cgroup_kill_taints_clones(t->root_fd))
                return -EBUSY;
        t->stale[i] = false;
        return 0;
}

int cgroup_service_remove(struct cgroup_tree *t, size_t service) {
        size_t i = cgroup_leaf(t, service);
        if (i == SIZE_MAX)
                return -EINVAL;
        int r = cgroup_leaf_retire(t, i);
        if (r != 0)
                return r < 0 ? r : 0;
        /* Its last processes are still exiting: removed on the event that
         * says it is empty, unless that came before the watch. */
        t->stale[i] = true;
        if (cgroup_watch_populated(t, service) < 0 || cgroup_service_populated(t, service) == 0)
                return cgroup_leaf_retire(t, i) > 0 ? 0 : -EBUSY;
        return -EBUSY;
}

int cgroup_service_populated(struct cgroup_tree *t, size_t service) {
        size_t i = cgroup_leaf(t, service);
        if (i == SIZE_MAX)
                return -EINVAL;
        int fd = cgroup_node_fd(t, i);
        if (fd < 0)
                return fd == -ENOENT ? 0 : fd;
        uint64_t v;
        int r = read_keyed(fd, "cgroup.events", "populated", &v);
        return r < 0 ? r : v != 0;
}

void cgroup_node_gone(struct cgroup_tree *t, size_t i) {
        /* rmdir dropped the inotify watches (IN_IGNORED follows). */
        t->fd[i] = safe_close(t->fd[i]);
        if (t->open_node == i)
                t->open_node = SIZE_MAX;
        ssize_t s = t->plan->nodes[i].service;
        if (s >= 0)
                t->wd_events[s] = t->wd_memory[s] = -1;
        t->created[i] = false;
        t->stale[i] = false;
}

static int read_u64_or_max(int fd, const char *file, uint64_t *ret, bool *ret_limited) {
        _cleanup_free_ char *text = NULL;
        int r = cgroup_read_at(fd, file, &text);
        if (r < 0)
                return r;
        if (strncmp(text, "max", 3) == 0) {
                *ret_limited = false;
                *ret = UINT64_MAX;
                return 0;
        }
        char *end;
        errno = 0;
        unsigned long long v = strtoull(text, &end, 10);
        if (errno || end == text)
                return -EINVAL;
        *ret_limited = true;
        *ret = v;
        return 0;
}

int cgroup_service_stats(struct cgroup_tree *t, size_t service, struct cgroup_stats *ret) {
        size_t i = cgroup_leaf(t, service);
        if (i == SIZE_MAX)
                return -EINVAL;
        struct cgroup_stats st = { .oom_kills = t->oom_total[service] };
        bool limited;
        int fd = cgroup_node_fd(t, i);
        if (fd >= 0 && read_u64_or_max(fd, "memory.current", &st.memory_current, &limited) >= 0) {
                st.has_memory = true;
                if (read_u64_or_max(fd, "memory.max", &st.memory_max, &st.memory_limited) < 0)
                        st.memory_limited = false;
        }
        *ret = st;
        return 0;
}

int cgroup_tree_event_fd(const struct cgroup_tree *t) { return t->inotify_fd; }

static void service_changed(struct cgroup_tree *t, size_t s, bool memory, cgroup_event_cb cb, void *userdata) {
        int fd = cgroup_node_fd(t, cgroup_leaf(t, s));
        uint64_t v;
        if (fd < 0)
                return;
        if (memory) {
                if (read_keyed(fd, "memory.events", "oom_kill", &v) < 0 || v <= t->oom_base[s])
                        return;
                uint64_t delta = v - t->oom_base[s];
                t->oom_base[s] = v;
                t->oom_total[s] += delta;
                cb(userdata, &(struct cgroup_event){ CGROUP_EVENT_OOM, s, t->oom_total[s], delta });
        } else if (read_keyed(fd, "cgroup.events", "populated", &v) >= 0 && v == 0) {
                size_t i = cgroup_leaf(t, s);
                if (t->stale[i])
                        (void)cgroup_leaf_retire(t, i);
                cb(userdata, &(struct cgroup_event){ CGROUP_EVENT_EMPTIED, s, 0, 0 });
        }
}

int cgroup_orphan_add(struct cgroup_tree *t, const char *path) {
        char **np = realloc(t->orphans, (t->n_orphans + 1) * sizeof *np);
        if (np)
                t->orphans = np;
        int *nw = np ? realloc(t->wd_orphan, (t->n_orphans + 1) * sizeof *nw) : NULL;
        if (nw)
                t->wd_orphan = nw;
        char *copy = nw ? strdup(path) : NULL;
        if (!copy)
                return -ENOMEM;
        _cleanup_close_ int fd = openat(t->root_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        int wd = fd >= 0 && t->inotify_fd >= 0 ? add_watch(t, fd, "cgroup.events") : -1;
        t->orphans[t->n_orphans] = copy;
        t->wd_orphan[t->n_orphans++] = wd < 0 ? -1 : wd;
        return 0;
}

void cgroup_orphans_retry(struct cgroup_tree *t) {
        size_t k = 0;
        for (size_t i = 0; i < t->n_orphans; i++) {
                if (unlinkat(t->root_fd, t->orphans[i], AT_REMOVEDIR) == 0 || errno == ENOENT) {
                        free(t->orphans[i]); /* its watch went with it */
                        continue;
                }
                t->orphans[k] = t->orphans[i];
                t->wd_orphan[k++] = t->wd_orphan[i];
        }
        t->n_orphans = k;
}

int cgroup_tree_dispatch(struct cgroup_tree *t, cgroup_event_cb cb, void *userdata) {
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        for (;;) {
                ssize_t n = read(t->inotify_fd, buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return errno == EAGAIN ? 0 : -errno;
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *)p;
                        p += sizeof *ev + ev->len;
                        for (size_t s = 0; s < t->plan->n_services; s++) {
                                if (ev->wd == t->wd_events[s])
                                        service_changed(t, s, false, cb, userdata);
                                else if (ev->wd == t->wd_memory[s])
                                        service_changed(t, s, true, cb, userdata);
                        }
                        for (size_t i = 0; i < t->n_orphans; i++)
                                if (ev->wd == t->wd_orphan[i]) {
                                        cgroup_orphans_retry(t);
                                        break;
                                }
                }
        }
}
