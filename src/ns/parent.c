/* The parent's part of a user namespace: it writes the child's uid and gid
 * maps while the child waits on the spawn sync pipe (user_namespaces(7)). */
#include <fcntl.h>

#include "ns-internal.h"

/* Per thread: starts may run on several threads at once (spawn_start_many). */
static __thread int parent_what = NS_WHAT_NONE;

int ns_parent_failure(void) {
        return parent_what;
}

static int write_map(pid_t child, const char *file, const char *map) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/%s", (int)child, file);
        return write_file_at(AT_FDCWD, path, map);
}

/* "0 1000 1\n1 2000 5\n" as "0 1000 1;1 2000 5" for messages. */
char *ns_map_shown(const char *map) {
        char *s = strdup(map);
        if (!s)
                return NULL;
        size_t n = strlen(s);
        while (n > 0 && s[n - 1] == '\n')
                s[--n] = '\0';
        for (char *c = s; *c; c++)
                if (*c == '\n')
                        *c = ';';
        return s;
}

static int map_error(const struct ns_plan *p, const char *what, const char *map, int r, char **ret_msg) {
        parent_what = streq(what, "uid_map") ? NS_WHAT_UID_MAP : NS_WHAT_GID_MAP;
        if (ret_msg) {
                _cleanup_free_ char *shown = ns_map_shown(map);
                *ret_msg = xasprintf("service \"%s\": %s \"%s\": %s", p->service, what, shown ? shown : "?",
                                     strerror(-r));
        }
        return r;
}

int ns_parent_setup_msg(const struct ns_plan *p, pid_t child, char **ret_msg) {
        parent_what = NS_WHAT_NONE;
        if (!p)
                return 0;
        int r;
        if (p->uid_map && (r = write_map(child, "uid_map", p->uid_map)) < 0)
                return map_error(p, "uid_map", p->uid_map, r, ret_msg);
        if (p->gid_map) {
                r = write_map(child, "gid_map", p->gid_map);
                /* Without CAP_SETGID over the parent namespace the kernel
                 * takes a gid map only once setgroups(2) is denied. */
                if (r == -EPERM && write_map(child, "setgroups", "deny") == 0)
                        r = write_map(child, "gid_map", p->gid_map);
                if (r < 0)
                        return map_error(p, "gid_map", p->gid_map, r, ret_msg);
        }
        return 0;
}

int ns_parent_setup(const struct ns_plan *p, pid_t child) {
        return ns_parent_setup_msg(p, child, NULL);
}
