/* See rundir.h. */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "rundir.h"
#include "util.h"

char *rundir_default_for(uid_t euid, const char *xdg_runtime_dir) {
        if (euid == 0)
                return strdup(RUNDIR_ROOT);
        if (xdg_runtime_dir && xdg_runtime_dir[0] == '/')
                return xasprintf("%s/corral", xdg_runtime_dir);
        return xasprintf("/tmp/corral-%u", (unsigned)euid);
}

char *rundir_default(void) {
        return rundir_default_for(geteuid(), getenv("XDG_RUNTIME_DIR"));
}

int rundir_mkdir_parents(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *c = p + 1;; c++) {
                if (*c != '/' && *c != '\0')
                        continue;
                char end = *c;
                *c = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                if (end == '\0')
                        return 0;
                *c = '/';
        }
}

static int refuse(char *why, size_t size, const char *fmt, ...) _printf_(3, 4);
static int refuse(char *why, size_t size, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, size, fmt, ap);
        va_end(ap);
        return -EPERM;
}

static int failed(char *why, size_t size, const char *what, int err) {
        snprintf(why, size, "%s%s%s", what ? what : "", what ? ": " : "", strerror(err));
        return err == EPERM ? -EACCES : -err;
}

/* Whether users other than root and corral's may rename or replace entries
 * of the directory st describes. */
static bool others_may_replace(const struct stat *st) {
        if (st->st_uid != 0 && st->st_uid != geteuid())
                return true;
        return (st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX);
}

/* dir's parent and last component; trailing slashes do not count. */
static int split_path(const char *dir, char **ret_parent, char **ret_base) {
        size_t len = strlen(dir);
        while (len > 1 && dir[len - 1] == '/')
                len--;
        size_t i = len;
        while (i > 0 && dir[i - 1] != '/')
                i--;
        size_t plen = i;
        while (plen > 1 && dir[plen - 1] == '/')
                plen--;
        _cleanup_free_ char *parent = i == 0 ? strdup(".") : strndup(dir, plen);
        _cleanup_free_ char *base = strndup(dir + i, len - i);
        if (!parent || !base)
                return -ENOMEM;
        if (!*base || streq(base, ".") || streq(base, ".."))
                return -EINVAL;
        *ret_parent = TAKE_PTR(parent);
        *ret_base = TAKE_PTR(base);
        return 0;
}

int rundir_prepare(const char *dir, char *why, size_t size) {
        _cleanup_free_ char *parent = NULL, *base = NULL;
        int r = strempty(dir) ? -EINVAL : split_path(dir, &parent, &base);
        if (r < 0)
                return failed(why, size, NULL, -r);

        r = rundir_mkdir_parents(parent, 0755);
        if (r < 0)
                return failed(why, size, parent, -r);
        _cleanup_close_ int pfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct stat st;
        if (pfd < 0 || fstat(pfd, &st) < 0)
                return failed(why, size, parent, errno);
        if (others_may_replace(&st))
                return refuse(why, size, "its parent %s may be changed by other users (owner uid %u, mode %04o): refused",
                              parent, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));

        /* Made private first, then opened up: no moment where another user
         * could put something in it. */
        bool created = mkdirat(pfd, base, 0700) == 0;
        if (!created && errno != EEXIST)
                return failed(why, size, NULL, errno);
        _cleanup_close_ int fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
                bool link = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
                return refuse(why, size, "%s: refused (remove it, or use --run-dir)",
                              link ? "a symbolic link" : "not a directory");
        }
        if (fd < 0 || fstat(fd, &st) < 0)
                return failed(why, size, NULL, errno);
        if (st.st_uid != geteuid())
                return refuse(why, size, "owned by uid %u, not by corral's uid %u: refused (remove it, or use --run-dir)",
                              (unsigned)st.st_uid, (unsigned)geteuid());
        if (st.st_mode & (S_IWGRP | S_IWOTH))
                return refuse(why, size, "writable by other users (mode %04o): refused (remove it, or use --run-dir)",
                              (unsigned)(st.st_mode & 07777));
        if (created && fchmod(fd, 0755) < 0)
                return failed(why, size, NULL, errno);
        return 0;
}
