/* Pure parsers of the procfs and cgroupfs text the cgroup module reads. */
#include "cgroup-internal.h"
#include "mountinfo.h"

int cgroup_parse_proc_cgroup(const char *text, char **ret_path) {
        /* cgroup v2's entry is the line with hierarchy id 0 and no
         * controllers: "0::/path" (proc(5), cgroups(7)). */
        for (const char *l = text; l && *l;) {
                const char *nl = strchr(l, '\n');
                size_t len = nl ? (size_t)(nl - l) : strlen(l);
                if (len >= 4 && strncmp(l, "0::", 3) == 0 && l[3] == '/') {
                        char *p = strndup(l + 3, len - 3);
                        if (!p)
                                return -ENOMEM;
                        *ret_path = p;
                        return 0;
                }
                l = nl ? nl + 1 : NULL;
        }
        return -ENOENT;
}

int cgroup_parse_mountinfo(const char *text, char **ret_mount, char **ret_root) {
        /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SRC SUPEROPTS" */
        for (const char *l = text; l && *l;) {
                const char *nl = strchr(l, '\n');
                size_t len = nl ? (size_t)(nl - l) : strlen(l);
                const char *sep = NULL;
                for (const char *q = l; q + 3 <= l + len; q++)
                        if (q[0] == ' ' && q[1] == '-' && q[2] == ' ') {
                                sep = q;
                                break;
                        }
                const char *root, *mnt;
                size_t root_len, mnt_len;
                if (sep && (size_t)(l + len - (sep + 3)) >= 8 && strncmp(sep + 3, "cgroup2 ", 8) == 0 &&
                    mountinfo_field(l, (size_t)(sep - l), 3, &root, &root_len) &&
                    mountinfo_field(l, (size_t)(sep - l), 4, &mnt, &mnt_len)) {
                        char *m = mountinfo_unescape(mnt, mnt_len), *r = mountinfo_unescape(root, root_len);
                        if (!m || !r) {
                                free(m);
                                free(r);
                                return -ENOMEM;
                        }
                        *ret_mount = m;
                        if (ret_root)
                                *ret_root = r;
                        else
                                free(r);
                        return 0;
                }
                l = nl ? nl + 1 : NULL;
        }
        return -ENOENT;
}

void cgroup_strv_free(char **v) {
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

int cgroup_parse_list(const char *text, char ***ret) {
        size_t n = 0, cap = 8;
        char **v = calloc(cap, sizeof *v);
        if (!v)
                return -ENOMEM;
        for (const char *p = text; p && *p;) {
                p += strspn(p, " \t\n");
                size_t len = strcspn(p, " \t\n");
                if (len == 0)
                        break;
                char **nv = grow_array(v, &cap, n + 2, sizeof *nv, 8);
                if (!nv)
                        goto oom;
                v = nv;
                if (!(v[n] = strndup(p, len)))
                        goto oom;
                v[++n] = NULL;
                p += len;
        }
        *ret = v;
        return 0;
oom:
        cgroup_strv_free(v);
        return -ENOMEM;
}

int cgroup_parse_keyed(const char *text, const char *key, uint64_t *ret) {
        size_t klen = strlen(key);
        for (const char *l = text; l && *l;) {
                if (strncmp(l, key, klen) == 0 && l[klen] == ' ') {
                        char *end;
                        errno = 0;
                        unsigned long long v = strtoull(l + klen + 1, &end, 10);
                        if (errno || end == l + klen + 1 || (*end && *end != '\n'))
                                return -EINVAL;
                        *ret = v;
                        return 0;
                }
                const char *nl = strchr(l, '\n');
                l = nl ? nl + 1 : NULL;
        }
        return -ENOENT;
}
