#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "corral-config.h"
#include "idfile.h"
#include "util.h"

/* Splits LINE (its newline removed) at ':' into exactly N fields. */
static bool split(char *line, char **f, size_t n) {
        line[strcspn(line, "\n")] = '\0';
        for (size_t i = 0; i < n; i++) {
                f[i] = strsep(&line, ":");
                if (!f[i])
                        return false;
        }
        return line == NULL;
}

/* A decimal id as the files hold it: digits only, below (id_t)-1. */
static bool parse_id(const char *s, unsigned *ret) {
        if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
                return false;
        unsigned long long v = strtoull(s, NULL, 10);
        if (v >= 0xffffffffULL)
                return false;
        *ret = (unsigned)v;
        return true;
}

static bool skipped(const char *line) {
        return line[0] == '#' || line[0] == '+' || line[0] == '-' || line[0] == '\n' || !line[0];
}

int idfile_passwd(const char *path, const char *name, uid_t uid, struct passwd *ret,
                  char **ret_line) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) >= 0) {
                char *fl[7];
                unsigned u, g;
                if (skipped(line) || !split(line, fl, 7) || !*fl[0] || !parse_id(fl[2], &u) ||
                    !parse_id(fl[3], &g))
                        continue;
                if (name ? strcmp(fl[0], name) != 0 : u != uid)
                        continue;
                *ret = (struct passwd){ .pw_name = fl[0], .pw_passwd = fl[1], .pw_uid = u,
                                        .pw_gid = g, .pw_gecos = fl[4], .pw_dir = fl[5],
                                        .pw_shell = fl[6] };
                *ret_line = TAKE_PTR(line);
                return 0;
        }
        return ferror(f) ? -EIO : -ENOENT;
}

/* Calls FN for each well-formed line of the group file PATH until it
 * returns non-zero; that value, 0 at the end, or -errno. */
static int each_group(const char *path, int (*fn)(char **fl, unsigned gid, void *data),
                      void *data) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) >= 0) {
                char *fl[4];
                unsigned g;
                if (skipped(line) || !split(line, fl, 4) || !*fl[0] || !parse_id(fl[2], &g))
                        continue;
                int r = fn(fl, g, data);
                if (r)
                        return r;
        }
        return ferror(f) ? -EIO : 0;
}

struct group_find {
        const char *name;
        gid_t gid;
};

static int group_match(char **fl, unsigned gid, void *data) {
        struct group_find *q = data;
        if (strcmp(fl[0], q->name) != 0)
                return 0;
        q->gid = gid;
        return 1;
}

int idfile_group(const char *path, const char *name, gid_t *ret) {
        struct group_find q = { .name = name };
        int r = each_group(path, group_match, &q);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        *ret = q.gid;
        return 0;
}

struct group_list {
        const char *user;
        gid_t *groups;
        int max, n;
};

static void list_add(struct group_list *q, gid_t g) {
        for (int i = 0; i < q->n && i < q->max; i++)
                if (q->groups[i] == g)
                        return;
        if (q->n < q->max)
                q->groups[q->n] = g;
        q->n++;
}

static int member_match(char **fl, unsigned gid, void *data) {
        struct group_list *q = data;
        char *members = fl[3];
        for (char *m; (m = strsep(&members, ","));)
                if (strcmp(m, q->user) == 0) {
                        list_add(q, gid);
                        break;
                }
        return 0;
}

int idfile_grouplist(const char *path, const char *user, gid_t group, gid_t *groups,
                     int *ngroups) {
        struct group_list q = { .user = user, .groups = groups, .max = *ngroups };
        list_add(&q, group);
        /* No group file: the primary group alone, as for a user in none. */
        int r = each_group(path, member_match, &q);
        if (r < 0 && r != -ENOENT)
                return r;
        bool fits = q.n <= q.max;
        *ngroups = q.n;
        return fits ? q.n : -1;
}

#if CORRAL_STATIC
int id_user(const char *name, uid_t uid, struct passwd *ret, char **ret_buf) {
        return idfile_passwd(IDFILE_PASSWD, name, uid, ret, ret_buf);
}

int id_group(const char *name, gid_t *ret) {
        return idfile_group(IDFILE_GROUP, name, ret);
}

int id_grouplist(const char *user, gid_t group, gid_t *groups, int *ngroups) {
        return idfile_grouplist(IDFILE_GROUP, user, group, groups, ngroups);
}
#else
int id_user(const char *name, uid_t uid, struct passwd *ret, char **ret_buf) {
        size_t len = 1024;
        for (int tries = 0; tries < 8; tries++, len *= 4) {
                _cleanup_free_ char *buf = malloc(len);
                if (!buf)
                        return -ENOMEM;
                struct passwd pw, *found = NULL;
                int r = name ? getpwnam_r(name, &pw, buf, len, &found)
                             : getpwuid_r(uid, &pw, buf, len, &found);
                if (r == ERANGE)
                        continue;
                if (r)
                        return -r;
                if (!found)
                        return -ENOENT;
                *ret = pw;
                *ret_buf = TAKE_PTR(buf);
                return 0;
        }
        return -E2BIG;
}

int id_group(const char *name, gid_t *ret) {
        size_t len = 1024;
        for (int tries = 0; tries < 8; tries++, len *= 4) {
                _cleanup_free_ char *buf = malloc(len);
                if (!buf)
                        return -ENOMEM;
                struct group gr, *found = NULL;
                int r = getgrnam_r(name, &gr, buf, len, &found);
                if (r == ERANGE)
                        continue;
                if (r)
                        return -r;
                if (!found)
                        return -ENOENT;
                *ret = gr.gr_gid;
                return 0;
        }
        return -E2BIG;
}

int id_grouplist(const char *user, gid_t group, gid_t *groups, int *ngroups) {
        return getgrouplist(user, group, groups, ngroups);
}
#endif
