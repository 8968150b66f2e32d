/* Text corral reads from files others write: /proc/PID/cgroup and
 * /proc/PID/mountinfo (a service can make mount points of any name in its
 * own mount namespace) and env_file lines (written by whoever owns the
 * file).  The first byte picks the reader; the rest, up to its first NUL,
 * is the text. */
#include <string.h>

#include "appliance.h"
#include "cgroup.h"
#include "fuzz.h"
#include "mountinfo.h"
#include "spawn-internal.h"

static void proc_cgroup(const char *s) {
        char *path = NULL;
        int r = cgroup_parse_proc_cgroup(s, &path);
        FUZZ_ASSERT(r == 0 || r == -ENOENT);
        if (r == 0)
                FUZZ_ASSERT(path[0] == '/' && !strchr(path, '\n'));
        free(path);
}

static void cgroup_mount(const char *s) {
        char *mount = NULL, *root = NULL;
        int r = cgroup_parse_mountinfo(s, &mount, &root);
        FUZZ_ASSERT(r == 0 || r == -ENOENT);
        FUZZ_ASSERT(r == 0 ? mount && root : !mount && !root);
        free(mount);
        free(root);
}

/* The unmount order holds each line's mount point but "/", each inside the
 * text it was cut from.  A mount point may hold a newline: the kernel
 * writes it as \012. */
static void unmount_order(char *s, size_t len) {
        char **order = NULL;
        size_t n = 0;
        FUZZ_ASSERT(appliance_unmount_order(s, &order, &n) == 0);
        for (size_t i = 0; i < n; i++) {
                FUZZ_ASSERT(order[i] >= s && order[i] < s + len + 1);
                FUZZ_ASSERT(strcmp(order[i], "/") != 0);
        }
        free(order);
}

/* Unescaping never lengthens a field, and text without a backslash is
 * its own unescaping. */
static void unescape(const char *s, size_t len) {
        char *u = mountinfo_unescape(s, len);
        FUZZ_ASSERT(u && strlen(u) <= len);
        if (!memchr(s, '\\', len))
                FUZZ_ASSERT(strcmp(u, s) == 0);
        free(u);
}

static void env_line(char *s) {
        struct env_line l;
        int r = spawn_env_file_line(s, &l);
        FUZZ_ASSERT(r == 0 || r == -EINVAL);
        if (r == 0 && l.key) {
                FUZZ_ASSERT(l.keylen > 0 && !memchr(l.key, '=', l.keylen) && !memchr(l.key, ' ', l.keylen));
                FUZZ_ASSERT(l.value + l.valuelen <= s + strlen(s) + 1);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size == 0)
                return 0;
        char *s = strndup((const char *)data + 1, size - 1);
        FUZZ_ASSERT(s);
        size_t len = strlen(s);
        switch (data[0] % 5) {
        case 0: proc_cgroup(s); break;
        case 1: cgroup_mount(s); break;
        case 2: unmount_order(s, len); break;
        case 3: unescape(s, len); break;
        default: env_line(s); break;
        }
        free(s);
        return 0;
}
