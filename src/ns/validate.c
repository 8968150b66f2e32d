/* Load-time checks of a root declaration against the filesystem: they only
 * stat and read, so --check can run them and change nothing. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "ns-internal.h"

/* stat() path, or its nearest existing ancestor when it is yet to be
 * created (upper and work are made at start). */
static int stat_nearest(const char *path, struct stat *st) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (;;) {
                if (stat(p, st) == 0)
                        return 0;
                if (errno != ENOENT)
                        return -errno;
                char *slash = strrchr(p, '/');
                if (!slash)
                        return -ENOENT;
                if (slash == p)
                        slash[1] = '\0';
                else
                        *slash = '\0';
        }
}

static bool overlay_available(const char *filesystems);

static bool has_line(const char *text, const char *word) {
        for (const char *p = text; p && *p;) {
                const char *e = strchrnul(p, '\n');
                const char *tab = memrchr(p, '\t', (size_t)(e - p));
                const char *name = tab ? tab + 1 : p;
                if ((size_t)(e - name) == strlen(word) && strncmp(name, word, (size_t)(e - name)) == 0)
                        return true;
                p = *e ? e + 1 : e;
        }
        return false;
}

/* overlay is listed once loaded; a module the kernel loads on the first
 * mount counts too. */
bool ns_overlay_available(void) {
        return overlay_available(NULL);
}

static bool overlay_available(const char *filesystems) {
        if (filesystems)
                return has_line(filesystems, "overlay");
        _cleanup_free_ char *text = NULL;
        if (read_file_at(AT_FDCWD, "/proc/filesystems", 65536, &text, NULL) == 0 && has_line(text, "overlay"))
                return true;
        struct utsname u;
        if (uname(&u) < 0)
                return false;
        _cleanup_free_ char *mod = xasprintf("/lib/modules/%s/kernel/fs/overlayfs", u.release);
        struct stat st;
        return mod && stat(mod, &st) == 0;
}

static void need_dir(const struct service *s, int line, const char *key, const char *path, struct diags *d) {
        struct stat st;
        if (stat(path, &st) < 0)
                diag_add(d, s->loc.file, line, "service \"%s\": %s: \"%s\": %s", s->name, key, path, strerror(errno));
        else if (!S_ISDIR(st.st_mode))
                diag_add(d, s->loc.file, line, "service \"%s\": %s: \"%s\": Not a directory", s->name, key, path);
}

static void check_upper_work(const struct service *s, int line, struct diags *d) {
        const struct root_decl *r = &s->root;
        if (!r->work) {
                diag_add(d, s->loc.file, line, "service \"%s\": root.overlay: upper \"%s\" needs work too", s->name,
                         r->upper);
                return;
        }
        if (ns_group_contains(r->upper, r->work) || ns_group_contains(r->work, r->upper)) {
                diag_add(d, s->loc.file, line, "service \"%s\": root.overlay: work \"%s\" and upper \"%s\" must not "
                         "contain each other", s->name, r->work, r->upper);
                return;
        }
        struct stat su, sw;
        int a = stat_nearest(r->upper, &su), b = stat_nearest(r->work, &sw);
        if (a < 0 || b < 0) {
                diag_add(d, s->loc.file, line, "service \"%s\": root.overlay: \"%s\": %s", s->name,
                         a < 0 ? r->upper : r->work, strerror(-(a < 0 ? a : b)));
                return;
        }
        if (su.st_dev != sw.st_dev)
                diag_add(d, s->loc.file, line, "service \"%s\": root.overlay: work \"%s\" is on another filesystem "
                         "than upper \"%s\"", s->name, r->work, r->upper);
}

void ns_validate_root(const struct service *s, const char *filesystems, struct diags *d) {
        const struct root_decl *r = &s->root;
        int line = r->line ? r->line : s->loc.line;
        if (r->kind == ROOT_PATH)
                need_dir(s, line, "root.path", r->path, d);
        if (r->kind == ROOT_OVERLAY) {
                if (!overlay_available(filesystems))
                        diag_add(d, s->loc.file, line, "service \"%s\": root.overlay: overlayfs is not available "
                                 "(not in /proc/filesystems)", s->name);
                if (r->n_lower == 0)
                        diag_add(d, s->loc.file, line, "service \"%s\": root.overlay: lower is empty", s->name);
                for (size_t i = 0; i < r->n_lower; i++)
                        need_dir(s, line, "root.overlay.lower", r->lower[i], d);
                if (r->upper)
                        check_upper_work(s, line, d);
                else if (r->work)
                        diag_add(d, s->loc.file, line, "service \"%s\": root.overlay: work \"%s\" needs upper too",
                                 s->name, r->work);
        }
        for (size_t i = 0; i < s->n_binds; i++) {
                struct stat st;
                const struct bind *b = &s->binds[i];
                if (stat(b->source, &st) < 0)
                        diag_add(d, s->loc.file, b->line ? b->line : line, "service \"%s\": binds: source \"%s\": %s",
                                 s->name, b->source, strerror(errno));
        }
}
