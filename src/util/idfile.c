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

/* Calls FN with the N fields of each well-formed line of the file PATH (a
 * comment, a NIS line or one with another number of fields is skipped)
 * until it returns non-zero: that value, the line then in *ret_line when
 * asked (the fields point into it); 0 at the end, or -errno. */
static int each_entry(const char *path, size_t n, int (*fn)(char **fl, void *data), void *data,
                      char **ret_line) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) >= 0) {
                char *fl[7];
                if (skipped(line) || !split(line, fl, n) || !*fl[0])
                        continue;
                int r = fn(fl, data);
                if (r) {
                        if (ret_line)
                                *ret_line = TAKE_PTR(line);
                        return r;
                }
        }
        return ferror(f) ? -EIO : 0;
}

struct passwd_find {
        const char *name; /* or NULL: by uid */
        uid_t uid;
        struct passwd *ret;
};

static int passwd_match(char **fl, void *data) {
        struct passwd_find *q = data;
        unsigned u, g;
        if (!parse_id(fl[2], &u) || !parse_id(fl[3], &g))
                return 0;
        if (q->name ? strcmp(fl[0], q->name) != 0 : u != q->uid)
                return 0;
        *q->ret = (struct passwd){ .pw_name = fl[0], .pw_passwd = fl[1], .pw_uid = u, .pw_gid = g,
                                   .pw_gecos = fl[4], .pw_dir = fl[5], .pw_shell = fl[6] };
        return 1;
}

int idfile_passwd(const char *path, const char *name, uid_t uid, struct passwd *ret,
                  char **ret_line) {
        struct passwd_find q = { .name = name, .uid = uid, .ret = ret };
        int r = each_entry(path, 7, passwd_match, &q, ret_line);
        return r == 0 ? -ENOENT : r < 0 ? r : 0;
}

struct group_call {
        int (*fn)(char **fl, unsigned gid, void *data);
        void *data;
};

static int group_entry(char **fl, void *data) {
        const struct group_call *c = data;
        unsigned g;
        return parse_id(fl[2], &g) ? c->fn(fl, g, c->data) : 0;
}

/* Calls FN with the fields and gid of each group line until it returns
 * non-zero: as each_entry(). */
static int each_group(const char *path, int (*fn)(char **fl, unsigned gid, void *data), void *data) {
        struct group_call c = { fn, data };
        return each_entry(path, 4, group_entry, &c, NULL);
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
/* One NSS lookup (getpwnam_r and its kind): 0 with *found set or not, or
 * an error number, ERANGE when buf is too small. */
typedef int (*nss_lookup_fn)(char *buf, size_t len, void *entry, bool *found, const void *key);

/* Runs f with a buffer grown until the entry fits: 0 with the buffer in
 * *ret_buf (the entry points into it), -ENOENT, -E2BIG or -errno. */
static int nss_lookup(nss_lookup_fn f, void *entry, const void *key, char **ret_buf) {
        size_t len = 1024;
        for (int tries = 0; tries < 8; tries++, len *= 4) {
                _cleanup_free_ char *buf = malloc(len);
                if (!buf)
                        return -ENOMEM;
                bool found = false;
                int r = f(buf, len, entry, &found, key);
                if (r == ERANGE)
                        continue;
                if (r)
                        return -r;
                if (!found)
                        return -ENOENT;
                *ret_buf = TAKE_PTR(buf);
                return 0;
        }
        return -E2BIG;
}

struct user_key {
        const char *name; /* or NULL: by uid */
        uid_t uid;
};

static int user_lookup(char *buf, size_t len, void *entry, bool *found, const void *key) {
        const struct user_key *k = key;
        struct passwd *res = NULL;
        int r = k->name ? getpwnam_r(k->name, entry, buf, len, &res) : getpwuid_r(k->uid, entry, buf, len, &res);
        *found = res != NULL;
        return r;
}

static int group_lookup(char *buf, size_t len, void *entry, bool *found, const void *key) {
        struct group *res = NULL;
        int r = getgrnam_r(key, entry, buf, len, &res);
        *found = res != NULL;
        return r;
}

int id_user(const char *name, uid_t uid, struct passwd *ret, char **ret_buf) {
        struct user_key k = { .name = name, .uid = uid };
        struct passwd pw;
        int r = nss_lookup(user_lookup, &pw, &k, ret_buf);
        if (r == 0)
                *ret = pw;
        return r;
}

int id_group(const char *name, gid_t *ret) {
        struct group gr;
        _cleanup_free_ char *buf = NULL;
        int r = nss_lookup(group_lookup, &gr, name, &buf);
        if (r == 0)
                *ret = gr.gr_gid;
        return r;
}

int id_grouplist(const char *user, gid_t group, gid_t *groups, int *ngroups) {
        return getgrouplist(user, group, groups, ngroups);
}
#endif
