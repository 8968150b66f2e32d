/* The environment a service starts with (SPEC 2: env, env_file, clean_env).
 * Built in the parent as a plain string vector; later sources override
 * earlier ones key by key. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "spawn-internal.h"
#include "sys.h"
#include "util.h"

/* What was wrong with the env_file, for the caller's message ("env_file
 * /etc/web.env:3: a NUL byte").  Plans are built on corral's main thread
 * only. */
static char env_what[CORRAL_MAX_STRING + 128];

struct envv {
        char **v;
        size_t n, cap;
};

static void envv_done(struct envv *e) {
        for (size_t i = 0; i < e->n; i++)
                free(e->v[i]);
        free(e->v);
        *e = (struct envv){ 0 };
}

static ssize_t envv_find(const struct envv *e, const char *key, size_t keylen) {
        for (size_t i = 0; i < e->n; i++)
                if (strncmp(e->v[i], key, keylen) == 0 && e->v[i][keylen] == '=')
                        return (ssize_t)i;
        return -1;
}

/* Set key (keylen bytes) to value, replacing an earlier entry in place so
 * that the order of first appearance is kept. */
static int envv_set(struct envv *e, const char *key, size_t keylen, const char *value, size_t valuelen) {
        char *entry = malloc(keylen + valuelen + 2);
        if (!entry)
                return -ENOMEM;
        memcpy(entry, key, keylen);
        entry[keylen] = '=';
        memcpy(entry + keylen + 1, value, valuelen);
        entry[keylen + valuelen + 1] = '\0';

        ssize_t i = envv_find(e, key, keylen);
        if (i >= 0) {
                free(e->v[i]);
                e->v[i] = entry;
                return 0;
        }
        char **nv = grow_array(e->v, &e->cap, e->n + 2, sizeof(char *), 32);
        if (!nv) {
                free(entry);
                return -ENOMEM;
        }
        e->v = nv;
        e->v[e->n++] = entry;
        e->v[e->n] = NULL;
        return 0;
}

static int envv_set_str(struct envv *e, const char *key, const char *value) {
        return envv_set(e, key, strlen(key), value, strlen(value));
}

static int env_add_base(struct envv *e, char **base_env) {
        for (char **p = base_env; p && *p; p++) {
                const char *eq = strchr(*p, '=');
                if (!eq || eq == *p)
                        continue;
                size_t keylen = (size_t)(eq - *p);
                /* corral's own manager's socket is not the service's. */
                if (keylen == strlen("NOTIFY_SOCKET") && strncmp(*p, "NOTIFY_SOCKET", keylen) == 0)
                        continue;
                int r = envv_set(e, *p, keylen, eq + 1, strlen(eq + 1));
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool env_key_valid(const char *key, size_t len) {
        if (len == 0)
                return false;
        for (size_t i = 0; i < len; i++)
                if (key[i] == '=' || key[i] == ' ' || key[i] == '\t' || key[i] == '\0')
                        return false;
        return true;
}

int spawn_env_file_line(char *line, struct env_line *ret) {
        *ret = (struct env_line){ 0 };
        size_t len = strlen(line);
        while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
                line[--len] = '\0';
        while (*line == ' ' || *line == '\t')
                line++;
        if (*line == '\0' || *line == '#')
                return 0;
        if (strncmp(line, "export ", 7) == 0)
                line += 7;
        char *eq = strchr(line, '=');
        if (!eq || !env_key_valid(line, (size_t)(eq - line)))
                return -EINVAL;
        const char *value = eq + 1;
        size_t vlen = strlen(value);
        if (vlen >= 2 && (value[0] == '"' || value[0] == '\'') && value[vlen - 1] == value[0]) {
                value++;
                vlen -= 2;
        }
        *ret = (struct env_line){ .key = line, .keylen = (size_t)(eq - line), .value = value, .valuelen = vlen };
        return 0;
}

static int env_file_line(struct envv *e, char *line) {
        struct env_line l;
        int r = spawn_env_file_line(line, &l);
        if (r < 0 || !l.key)
                return r;
        return envv_set(e, l.key, l.keylen, l.value, l.valuelen);
}

/* Describe the failure in env_what (line 0: the file as a whole; why
 * NULL: the errno says it all) and return r. */
static int env_fail(const struct service *s, unsigned line, const char *why, int r) {
        if (line)
                snprintf(env_what, sizeof env_what, "env_file %s:%u: %s", s->env_file, line, why);
        else
                snprintf(env_what, sizeof env_what, "env_file %s%s%s", s->env_file, why ? ": " : "", why ? why : "");
        return r;
}

/* Whose files besides root's (corral's) may hold the service's
 * environment: its user's, unless that is a uid of its own user namespace. */
static uid_t env_owner(const struct service *s) {
        return s->has_user && !s->ns.user ? s->uid : geteuid();
}

/* SPEC 10: corral reads the file as root, so nothing on its path may be
 * something the service's user could have redirected: no symlink anywhere
 * on the way, a regular file (a FIFO would block corral), owned by root or
 * the service's user, and when it is not the user's own, linked from
 * nowhere else (a hard link the user made to a file of root's). */
static int env_file_open(const struct service *s, int *ret_fd) {
        _cleanup_close_ int fd = sys_open_nofollow(s->env_file, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        if (fd == -ELOOP)
                return env_fail(s, 0, "a symlink on the way is not followed", fd);
        if (fd < 0)
                return env_fail(s, 0, NULL, fd);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return env_fail(s, 0, NULL, -errno);
        if (!S_ISREG(st.st_mode))
                return env_fail(s, 0, "not a regular file", -EINVAL);
        uid_t own = env_owner(s);
        char why[128];
        if (st.st_uid != 0 && st.st_uid != geteuid() && st.st_uid != own) {
                snprintf(why, sizeof why, "owned by uid %u, neither root nor the service's user", (unsigned)st.st_uid);
                return env_fail(s, 0, why, -EPERM);
        }
        if (st.st_nlink > 1 && st.st_uid != own) {
                snprintf(why, sizeof why, "a file of uid %u with %lu links, not the service's user's",
                         (unsigned)st.st_uid, (unsigned long)st.st_nlink);
                return env_fail(s, 0, why, -EPERM);
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int env_add_file(struct envv *e, const struct service *s) {
        int fd = -1;
        int r = env_file_open(s, &fd);
        if (r < 0)
                return r;
        _cleanup_close_ int file = fd;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        r = read_fd(file, CORRAL_MAX_FILE_SIZE, &buf, &len);
        if (r < 0)
                return r == -ENOMEM ? r : env_fail(s, 0, NULL, r);
        unsigned line = 0;
        for (size_t off = 0; off < len;) {
                char *l = buf + off;
                char *nl = memchr(l, '\n', len - off);
                size_t n = nl ? (size_t)(nl - l) : len - off;
                off += n + (nl ? 1 : 0);
                if (++line > CORRAL_MAX_ENV * 4)
                        return env_fail(s, 0, "too many lines", -E2BIG);
                /* Taken as the end of the line, it would hide the rest. */
                if (memchr(l, '\0', n))
                        return env_fail(s, line, "a NUL byte", -EINVAL);
                l[n] = '\0';
                r = env_file_line(e, l);
                if (r == -EINVAL)
                        return env_fail(s, line, "not KEY=value", r);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int env_add_user(struct envv *e, const struct service *s) {
        int r = 0;
        if (s->user_home)
                r = envv_set_str(e, "HOME", s->user_home);
        if (r >= 0 && s->user_name)
                r = envv_set_str(e, "USER", s->user_name);
        if (r >= 0 && s->user_name)
                r = envv_set_str(e, "LOGNAME", s->user_name);
        return r;
}

int spawn_env_build(const struct service *s, char **base_env, const char *notify_socket, char ***ret,
                    const char **ret_what) {
        struct envv e = { 0 };
        int r = 0;

        if (s->clean_env)
                r = envv_set_str(&e, "PATH", SPAWN_DEFAULT_PATH);
        else
                r = env_add_base(&e, base_env);
        if (r >= 0 && s->has_user)
                r = env_add_user(&e, s);
        if (r >= 0 && s->env_file) {
                r = env_add_file(&e, s);
                if (r < 0 && r != -ENOMEM && ret_what)
                        *ret_what = env_what;
        }
        for (size_t i = 0; r >= 0 && i < s->n_env; i++)
                r = envv_set_str(&e, s->env[i].key, s->env[i].value);
        if (r >= 0 && notify_socket)
                r = envv_set_str(&e, "NOTIFY_SOCKET", notify_socket);
        if (r >= 0 && !e.v) {
                e.v = calloc(1, sizeof(char *));
                if (!e.v)
                        r = -ENOMEM;
        }
        if (r < 0) {
                envv_done(&e);
                return r;
        }
        *ret = e.v;
        return 0;
}

void spawn_strv_free(char **v) {
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}
