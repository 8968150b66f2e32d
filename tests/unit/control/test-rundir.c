/* The run directory: its default for root and for other users, and the
 * rules by which an existing one is used or refused. */
#include <fcntl.h>
#include <sys/stat.h>

#include "rundir.h"
#include "tap.h"
#include "util.h"

static char top[] = "/tmp/corral-rundir-XXXXXX";

static int prep(const char *name, char *why) {
        _cleanup_free_ char *p = xasprintf("%s/%s", top, name);
        return rundir_prepare(p, why, 256);
}

static void test_default(void) {
        char *a = rundir_default_for(0, "/run/user/0");
        char *b = rundir_default_for(1000, "/run/user/1000");
        char *c = rundir_default_for(1000, NULL);
        char *d = rundir_default_for(1000, "relative/dir");
        is_str(a, "/run/corral", "root: /run/corral, whatever XDG_RUNTIME_DIR says");
        is_str(b, "/run/user/1000/corral", "a user: $XDG_RUNTIME_DIR/corral");
        is_str(c, "/tmp/corral-1000", "a user without XDG_RUNTIME_DIR: /tmp/corral-UID");
        is_str(d, "/tmp/corral-1000", "a relative XDG_RUNTIME_DIR is not used");
        free(a);
        free(b);
        free(c);
        free(d);
}

static void test_prepare(void) {
        char why[256] = "";
        struct stat st;
        _cleanup_free_ char *fresh = xasprintf("%s/a/b/run", top);
        is_int(rundir_prepare(fresh, why, sizeof why), 0, "a fresh run dir, parents and all, is made");
        ok(stat(fresh, &st) == 0 && (st.st_mode & 07777) == 0755 && st.st_uid == geteuid(),
           "... mode 0755, corral's");
        is_int(rundir_prepare(fresh, why, sizeof why), 0, "... and taken as it is the next time");
        _cleanup_free_ char *slash = xasprintf("%s/", fresh);
        is_int(rundir_prepare(slash, why, sizeof why), 0, "a trailing slash changes nothing");

        _cleanup_free_ char *target = xasprintf("%s/target", top), *lnk = xasprintf("%s/link", top),
                            *file = xasprintf("%s/file", top), *opn = xasprintf("%s/open", top),
                            *pub = xasprintf("%s/pub", top), *sticky = xasprintf("%s/sticky", top);
        if (mkdir(target, 0755) < 0 || symlink(target, lnk) < 0 || close(open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
                abort();
        is_int(prep("link", why), -EPERM, "a symlink to a directory: refused");
        like(why, "a symbolic link: refused", "... saying so (%s)", why);
        is_int(prep("file", why), -EPERM, "a file: refused");
        like(why, "not a directory", "... saying so");
        if (mkdir(opn, 0755) < 0 || chmod(opn, 0777) < 0)
                abort();
        is_int(prep("open", why), -EPERM, "a directory writable by others: refused");
        like(why, "writable by other users (mode 0777)", "... naming its mode");
        if (mkdir(pub, 0755) < 0 || chmod(pub, 0777) < 0)
                abort();
        is_int(prep("pub/run", why), -EPERM, "below a parent others may change: refused");
        _cleanup_free_ char *pubrun = xasprintf("%s/run", pub);
        ok(stat(pubrun, &st) < 0 && errno == ENOENT, "... and not made");
        if (mkdir(sticky, 0755) < 0 || chmod(sticky, 01777) < 0)
                abort();
        is_int(prep("sticky/run", why), 0, "below a sticky parent (/tmp): made");
        if (geteuid() == 0) {
                _cleanup_free_ char *theirs = xasprintf("%s/theirs", top);
                if (mkdir(theirs, 0755) < 0 || chown(theirs, 65534, 65534) < 0)
                        abort();
                is_int(prep("theirs", why), -EPERM, "a directory of another user: refused");
                like(why, "owned by uid 65534", "... naming its owner");
        } else {
                ok(true, "# SKIP a directory of another user needs root");
                ok(true, "# SKIP a directory of another user needs root");
        }
        is_int(rundir_prepare("", why, sizeof why), -EINVAL, "an empty path: -EINVAL");
        is_int(prep("..", why), -EINVAL, "\"..\": -EINVAL");
}

int main(void) {
        if (!mkdtemp(top))
                abort();
        test_default();
        test_prepare();
        char cmd[256];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
        if (system(cmd) != 0)
                return 1;
        return done_testing();
}
