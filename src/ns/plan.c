/* Pure planning: from a service's declaration to clone flags, pod setns
 * targets, id maps and the ordered list of mount steps.  No syscalls here
 * except in ns_validate_root() (validate.c), called at the end. */
#include <sched.h>
#include <sys/mount.h>

#include "ns-internal.h"

const char *const pod_ns_name[_POD_NS_MAX] = { [POD_NET] = "net", [POD_IPC] = "ipc", [POD_UTS] = "uts" };
const int pod_ns_flag[_POD_NS_MAX] = { [POD_NET] = CLONE_NEWNET, [POD_IPC] = CLONE_NEWIPC, [POD_UTS] = CLONE_NEWUTS };

/* Linux limits mount(2) data to one page; overlayfs rejects longer options. */
#define MOUNT_DATA_MAX 4095

char *ns_overlay_escape(const char *path) {
        size_t n = 0;
        for (const char *p = path; *p; p++)
                n += (*p == '\\' || *p == ',' || *p == ':') ? 2 : 1;
        char *out = malloc(n + 1), *o = out;
        if (!out)
                return NULL;
        for (const char *p = path; *p; p++) {
                if (*p == '\\' || *p == ',' || *p == ':')
                        *o++ = '\\';
                *o++ = *p;
        }
        *o = '\0';
        return out;
}

/* Append s to a growing string; false on OOM (then *buf is freed). */
static bool append(char **buf, size_t *len, const char *s) {
        size_t n = strlen(s);
        char *nb = realloc(*buf, *len + n + 1);
        if (!nb) {
                free(*buf);
                *buf = NULL;
                return false;
        }
        memcpy(nb + *len, s, n + 1);
        *buf = nb;
        *len += n;
        return true;
}

static bool append_escaped(char **buf, size_t *len, const char *path) {
        _cleanup_free_ char *e = ns_overlay_escape(path);
        if (!e) {
                free(*buf);
                *buf = NULL;
                return false;
        }
        return append(buf, len, e);
}

char *ns_overlay_options(char *const *lower, size_t n_lower, const char *upper, const char *work) {
        char *buf = NULL;
        size_t len = 0;
        if (!append(&buf, &len, "lowerdir="))
                return NULL;
        for (size_t i = 0; i < n_lower; i++)
                if ((i > 0 && !append(&buf, &len, ":")) || !append_escaped(&buf, &len, lower[i]))
                        return NULL;
        if (!append(&buf, &len, ",upperdir=") || !append_escaped(&buf, &len, upper) ||
            !append(&buf, &len, ",workdir=") || !append_escaped(&buf, &len, work))
                return NULL;
        return buf;
}

int ns_normalize_target(const char *target, char **ret) {
        size_t cap = strlen(target) + 2, len = 0;
        _cleanup_free_ char *out = malloc(cap);
        if (!out)
                return -ENOMEM;
        const char *p = target;
        while (*p) {
                while (*p == '/')
                        p++;
                const char *e = strchrnul(p, '/');
                size_t n = (size_t)(e - p);
                if (n == 0 || (n == 1 && p[0] == '.')) {
                        /* skip "" and "." */
                } else if (n == 2 && p[0] == '.' && p[1] == '.') {
                        if (len == 0)
                                return -EXDEV;
                        while (len > 0 && out[len - 1] != '/')
                                len--;
                        len--; /* the '/' */
                } else {
                        out[len++] = '/';
                        memcpy(out + len, p, n);
                        len += n;
                }
                p = e;
        }
        if (len == 0)
                return -EINVAL;
        out[len] = '\0';
        *ret = TAKE_PTR(out);
        return 0;
}

static bool parse_u32(const char **p, unsigned long *ret) {
        while (**p == ' ' || **p == '\t')
                (*p)++;
        if (**p < '0' || **p > '9')
                return false;
        char *end;
        errno = 0;
        unsigned long v = strtoul(*p, &end, 10);
        if (errno || v > 0xffffffffUL)
                return false;
        *p = end;
        *ret = v;
        return true;
}

int ns_id_map_format(const char *spec, char **ret) {
        char *buf = NULL;
        size_t len = 0;
        const char *p = spec;
        int entries = 0;
        for (;;) {
                unsigned long in, out, count;
                if (!parse_u32(&p, &in) || !parse_u32(&p, &out) || !parse_u32(&p, &count) || count == 0) {
                        free(buf);
                        return -EINVAL;
                }
                char line[64];
                snprintf(line, sizeof line, "%lu %lu %lu\n", in, out, count);
                if (!append(&buf, &len, line))
                        return -ENOMEM;
                entries++;
                while (*p == ' ' || *p == '\t')
                        p++;
                if (*p == '\0')
                        break;
                if ((*p != ',' && *p != ';' && *p != '\n') || entries >= 340) {
                        free(buf);
                        return -EINVAL;
                }
                p++;
        }
        *ret = buf;
        return 0;
}

bool ns_group_contains(const char *group, const char *path) {
        size_t n = strlen(group);
        return strncmp(group, path, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

void ns_flags_string(unsigned long flags, char *buf, size_t size) {
        static const struct {
                unsigned long flag;
                const char *name;
        } t[] = {
                { MS_RDONLY, "ro" },    { MS_NOSUID, "nosuid" }, { MS_NODEV, "nodev" },
                { MS_NOEXEC, "noexec" }, { MS_REC, "rec" },
        };
        size_t len = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < ARRAY_SIZE(t); i++)
                if ((flags & t[i].flag) && len < size)
                        len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "," : "", t[i].name);
}

/* Building the step list. */

struct builder {
        struct ns_plan *p;
        size_t cap;
        bool oom;
};

/* A new step; `path` is inside the new root when in_root, else a host path. */
static struct ns_step *push(struct builder *b, enum ns_step_op op, const char *path, bool in_root) {
        if (b->oom)
                return NULL;
        struct ns_step *nv = grow_array(b->p->steps, &b->cap, b->p->n_steps + 1, sizeof *nv, 32);
        if (!nv) {
                b->oom = true;
                return NULL;
        }
        b->p->steps = nv;
        struct ns_step *st = &b->p->steps[b->p->n_steps++];
        *st = (struct ns_step){ .op = op };
        st->shown = strdup(path);
        st->in_root = in_root && !streq(path, "/");
        if (in_root)
                st->target = xasprintf("%s%s", b->p->new_root, streq(path, "/") ? "" : path);
        else
                st->target = strdup(path);
        if (!st->shown || !st->target) {
                b->oom = true;
                return NULL;
        }
        return st;
}

/* Duplicate into a step field, flagging OOM. */
static void set_str(struct builder *b, char **field, const char *s) {
        if (!s || b->oom)
                return;
        if (!(*field = strdup(s)))
                b->oom = true;
}

static void add_mount(struct builder *b, const char *fstype, const char *source, const char *path,
                      bool in_root, unsigned long flags, const char *data) {
        struct ns_step *st = push(b, STEP_MOUNT, path, in_root);
        if (!st)
                return;
        st->mkpoint = MKPOINT_DIR;
        st->flags = flags;
        set_str(b, &st->fstype, fstype);
        set_str(b, &st->source, source);
        set_str(b, &st->data, data);
}

static void add_bind(struct builder *b, const char *source, const char *path, bool optional, bool readonly) {
        struct ns_step *st = push(b, STEP_BIND, path, true);
        if (!st)
                return;
        st->mkpoint = MKPOINT_LIKE_SOURCE;
        st->flags = MS_REC;
        st->optional = optional;
        set_str(b, &st->source, source);
        /* The bind is recursive: so is read-only. */
        struct ns_step *ro = readonly ? push(b, STEP_REMOUNT_RO, path, true) : NULL;
        if (ro)
                ro->flags = MS_REC;
}

static void add_symlink(struct builder *b, const char *to, const char *path) {
        struct ns_step *st = push(b, STEP_SYMLINK, path, true);
        if (st)
                set_str(b, &st->source, to);
}

/* The root itself: a tmpfs stage holding the mount point (and a tmpfs
 * upper), then the overlay or the bind of root.path on stage/root. */
static void add_root(struct builder *b, const struct root_decl *r) {
        struct ns_plan *p = b->p;
        add_mount(b, "tmpfs", "corral-root", p->stage, false, MS_NOSUID | MS_NODEV, "mode=0700");
        push(b, STEP_MKDIR_P, p->new_root, false);
        if (r->kind == ROOT_PATH) {
                struct ns_step *st = push(b, STEP_BIND, "/", true);
                if (st) {
                        st->flags = MS_REC;
                        set_str(b, &st->source, r->path);
                }
                /* The mounts root.path brings along are read-only at once;
                 * the root itself only at the end, once every mount point
                 * corral needs in it was made. */
                struct ns_step *ro = r->readonly ? push(b, STEP_REMOUNT_RO, "/", true) : NULL;
                if (ro) {
                        ro->flags = MS_REC;
                        ro->below = true;
                }
                return;
        }
        _cleanup_free_ char *upper = NULL, *work = NULL, *opts = NULL;
        if (r->upper) {
                upper = strdup(r->upper);
                work = strdup(r->work);
        } else {
                upper = xasprintf("%s/upper", p->stage);
                work = xasprintf("%s/work", p->stage);
        }
        if (!upper || !work) {
                b->oom = true;
                return;
        }
        push(b, STEP_MKDIR_P, upper, false);
        push(b, STEP_MKDIR_P, work, false);
        opts = ns_overlay_options(r->lower, r->n_lower, upper, work);
        if (!opts) {
                b->oom = true;
                return;
        }
        struct ns_step *st = push(b, STEP_MOUNT, "/", true);
        if (st) {
                st->flags = 0;
                set_str(b, &st->fstype, "overlay");
                set_str(b, &st->source, "overlay");
                set_str(b, &st->data, opts);
        }
}

/* A minimal /dev as bubblewrap and crun build it: a tmpfs with the host's
 * harmless character devices bound in, a private devpts instance and shm. */
static void add_dev(struct builder *b) {
        static const char *const devs[] = { "null", "zero", "full", "random", "urandom", "tty" };
        add_mount(b, "tmpfs", "tmpfs", "/dev", true, MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k");
        for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
                char host[32];
                snprintf(host, sizeof host, "/dev/%s", devs[i]);
                add_bind(b, host, host, true, false);
        }
        /* No gid= option: group 5 may not be mapped in a user namespace. */
        add_mount(b, "devpts", "devpts", "/dev/pts", true, MS_NOSUID | MS_NOEXEC,
                  "newinstance,ptmxmode=0666,mode=0620");
        add_symlink(b, "pts/ptmx", "/dev/ptmx");
        add_mount(b, "tmpfs", "tmpfs", "/dev/shm", true, MS_NOSUID | MS_NODEV, "mode=1777");
        add_symlink(b, "/proc/self/fd", "/dev/fd");
        add_symlink(b, "/proc/self/fd/0", "/dev/stdin");
        add_symlink(b, "/proc/self/fd/1", "/dev/stdout");
        add_symlink(b, "/proc/self/fd/2", "/dev/stderr");
}

static void add_binds(struct builder *b, const struct service *s, struct diags *d) {
        for (size_t i = 0; i < s->n_binds; i++) {
                const struct bind *bd = &s->binds[i];
                _cleanup_free_ char *t = NULL;
                int r = ns_normalize_target(bd->target, &t);
                if (r == -ENOMEM) {
                        b->oom = true;
                        return;
                }
                if (r < 0) {
                        diag_add(d, s->loc.file, bd->line ? bd->line : s->loc.line,
                                 "service \"%s\": binds: target \"%s\" %s", s->name, bd->target,
                                 r == -EXDEV ? "is outside the root" : "is not a path below the root");
                        continue;
                }
                add_bind(b, bd->source, t, false, bd->readonly);
        }
}

/* The host's notify socket, bound on itself at a fixed path inside the
 * root (as systemd-nspawn binds /run/host/notify): NOTIFY_SOCKET names a
 * host path the new root does not have.  Skipped when corral runs without
 * a notify socket. */
static void add_notify(struct builder *b, const char *run_dir) {
        _cleanup_free_ char *host = xasprintf("%s/%s", run_dir, NS_NOTIFY_SOCKET_NAME);
        if (!host) {
                b->oom = true;
                return;
        }
        add_bind(b, host, NS_NOTIFY_IN_ROOT, true, false);
}

static void add_root_steps(struct builder *b, const struct service *s, const char *run_dir, struct diags *d) {
        struct ns_plan *p = b->p;
        add_root(b, &s->root);
        if (s->ns.pid)
                add_mount(b, "proc", "proc", "/proc", true, MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        else {
                struct ns_step *st = push(b, STEP_BIND, "/proc", true);
                if (st) {
                        st->mkpoint = MKPOINT_DIR;
                        st->flags = MS_REC;
                        set_str(b, &st->source, "/proc");
                }
        }
        add_dev(b);
        add_mount(b, "tmpfs", "tmpfs", "/tmp", true, MS_NOSUID | MS_NODEV, "mode=1777");
        add_binds(b, s, d);
        /* After the service's own binds, which must not hide it. */
        if (s->type == SERVICE_NOTIFY)
                add_notify(b, run_dir);
        if (s->root.readonly)
                push(b, STEP_REMOUNT_RO, "/", true);
        p->pivot = true;
}

/* The nearest group above the service's cgroup declaring namespace k. */
static const struct group_decl *pod_for(const struct model *m, const struct service *s, enum pod_ns k) {
        const struct group_decl *best = NULL;
        if (!s->cgroup_path)
                return NULL;
        for (size_t i = 0; i < m->n_groups; i++) {
                const struct group_decl *g = &m->groups[i];
                bool has = k == POD_NET ? g->ns.net : k == POD_IPC ? g->ns.ipc : (g->ns.uts || g->ns.hostname);
                if (has && ns_group_contains(g->path, s->cgroup_path) &&
                    (!best || strlen(g->path) > strlen(best->path)))
                        best = g;
        }
        return best;
}

static bool own_ns(const struct service *s, enum pod_ns k) {
        return k == POD_NET ? s->ns.net : k == POD_IPC ? s->ns.ipc : (s->ns.uts || s->ns.hostname);
}

static int plan_flags(struct ns_plan *p, const struct model *m, const struct service *s, const char *run_dir,
                      struct diags *d) {
        (void)m, (void)run_dir, (void)d;
        const struct ns_decl *n = &s->ns;
        bool root = s->root.kind != ROOT_NONE;
        p->clone_flags = (n->pid ? CLONE_NEWPID : 0) | (n->mount || root ? CLONE_NEWNS : 0) |
                         (n->net ? CLONE_NEWNET : 0) | (n->uts || n->hostname ? CLONE_NEWUTS : 0) |
                         (n->ipc ? CLONE_NEWIPC : 0) | (n->user ? CLONE_NEWUSER : 0);
        p->unshare_cgroup = n->cgroup;
        p->lo_up = n->net;
        p->pid_init = n->pid;
        p->make_private = n->mount || root;
        if (n->hostname && !(p->hostname = strdup(n->hostname)))
                return -ENOMEM;
        return 0;
}

static int plan_maps(struct ns_plan *p, const struct model *m, const struct service *s, const char *run_dir,
                     struct diags *d) {
        (void)m, (void)run_dir;
        int line = s->ns.line ? s->ns.line : s->loc.line, r = 0;
        const char *spec[2] = { s->ns.uid_map, s->ns.gid_map };
        char **out[2] = { &p->uid_map, &p->gid_map };
        for (int i = 0; i < 2; i++) {
                if (!spec[i])
                        continue;
                if (!s->ns.user) {
                        diag_add(d, s->loc.file, line, "service \"%s\": %s needs user = true", s->name,
                                 i ? "gid_map" : "uid_map");
                        r = -EINVAL;
                        continue;
                }
                int k = ns_id_map_format(spec[i], out[i]);
                if (k == -ENOMEM)
                        return k;
                if (k < 0) {
                        diag_add(d, s->loc.file, line, "service \"%s\": %s: \"%s\" is not \"INSIDE OUTSIDE COUNT\"",
                                 s->name, i ? "gid_map" : "uid_map", spec[i]);
                        r = -EINVAL;
                }
        }
        return r;
}

static int plan_pods(struct ns_plan *p, const struct model *m, const struct service *s, const char *run_dir,
                     struct diags *d) {
        int r = 0;
        for (int k = 0; k < _POD_NS_MAX; k++) {
                const struct group_decl *g = own_ns(s, k) ? NULL : pod_for(m, s, k);
                if (!g)
                        continue;
                if (s->ns.user) {
                        diag_add(d, s->loc.file, s->ns.line ? s->ns.line : s->loc.line,
                                 "service \"%s\": user namespace: cannot join the %s namespace of group \"%s\" "
                                 "(it is owned by corral's user namespace)", s->name, pod_ns_name[k], g->path);
                        r = -EINVAL;
                        continue;
                }
                p->pod_path[k] = xasprintf("%s/ns/%s/%s", run_dir, g->path, pod_ns_name[k]);
                p->pod_group[k] = strdup(g->path);
                if (!p->pod_path[k] || !p->pod_group[k])
                        return -ENOMEM;
        }
        return r;
}

static int plan_mounts(struct ns_plan *p, const struct model *m, const struct service *s, const char *run_dir,
                       struct diags *d) {
        (void)m;
        struct builder b = { .p = p };
        if (s->root.kind != ROOT_NONE) {
                p->stage = xasprintf("%s/root", run_dir);
                p->new_root = p->stage ? xasprintf("%s/root", p->stage) : NULL;
                if (!p->new_root)
                        return -ENOMEM;
                add_root_steps(&b, s, run_dir, d);
        } else if (s->n_binds > 0) {
                diag_add(d, s->loc.file, s->binds[0].line ? s->binds[0].line : s->loc.line,
                         "service \"%s\": binds: needs a root (root.path or root.overlay)", s->name);
                return -EINVAL;
        } else if (s->ns.pid && s->ns.mount) {
                /* Same mounts as the host but a /proc showing the new pid namespace. */
                struct ns_step *st = push(&b, STEP_MOUNT, "/proc", false);
                if (st) {
                        st->flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
                        set_str(&b, &st->fstype, "proc");
                        set_str(&b, &st->source, "proc");
                }
        }
        if (b.oom)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_steps; i++)
                if (p->steps[i].data && strlen(p->steps[i].data) > MOUNT_DATA_MAX) {
                        diag_add(d, s->loc.file, s->root.line ? s->root.line : s->loc.line,
                                 "service \"%s\": root.overlay: the mount options are %zu bytes, "
                                 "the kernel takes at most %d", s->name, strlen(p->steps[i].data), MOUNT_DATA_MAX);
                        return -EINVAL;
                }
        return 0;
}

static bool joins_pod(const struct model *m, const struct service *s) {
        for (int k = 0; k < _POD_NS_MAX; k++)
                if (!own_ns(s, k) && pod_for(m, s, k))
                        return true;
        return false;
}

int ns_plan_build(const struct model *m, const struct service *s, const char *run_dir,
                  struct ns_plan **ret, struct diags *d) {
        if (!ns_decl_any(&s->ns) && !s->ns.uid_map && !s->ns.gid_map && s->root.kind == ROOT_NONE &&
            s->n_binds == 0 && !joins_pod(m, s)) {
                *ret = NULL;
                return 0;
        }
        struct ns_plan *p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        p->file = s->loc.file;
        p->line = s->loc.line;
        size_t errs = d->n;
        int r = (p->service = strdup(s->name)) ? 0 : -ENOMEM;
        int (*const parts[])(struct ns_plan *, const struct model *, const struct service *, const char *,
                             struct diags *) = { plan_flags, plan_maps, plan_pods, plan_mounts };
        for (size_t i = 0; i < ARRAY_SIZE(parts) && r != -ENOMEM; i++) {
                int k = parts[i](p, m, s, run_dir, d);
                if (k < 0)
                        r = k;
        }
        if (r != -ENOMEM && s->root.kind != ROOT_NONE)
                ns_validate_root(s, NULL, d);
        if (r == 0 && d->n > errs)
                r = -EINVAL;
        if (r < 0) {
                ns_plan_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

void ns_plan_free(struct ns_plan *p) {
        if (!p)
                return;
        for (size_t i = 0; i < p->n_steps; i++) {
                struct ns_step *st = &p->steps[i];
                free(st->source);
                free(st->target);
                free(st->shown);
                free(st->fstype);
                free(st->data);
        }
        free(p->steps);
        for (int k = 0; k < _POD_NS_MAX; k++) {
                free(p->pod_path[k]);
                free(p->pod_group[k]);
        }
        free(p->service);
        free(p->hostname);
        free(p->uid_map);
        free(p->gid_map);
        free(p->stage);
        free(p->new_root);
        free(p);
}

int ns_plan_clone_flags(const struct ns_plan *p) {
        return p ? p->clone_flags : 0;
}

const char *ns_notify_socket(const struct service *s, const char *host_path) {
        return host_path && s->root.kind != ROOT_NONE ? NS_NOTIFY_IN_ROOT : host_path;
}
