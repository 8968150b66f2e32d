/* Output files are opened with the service's rights: asuser_open() in a
 * child of the service's user, or with corral's own rights refusing
 * symlinks, hard links, files of another owner and anything but a regular
 * file; at the first open and at reopen. */
#include <sys/stat.h>
#include <sys/wait.h>

#include "../../tap.h"
#include "asuser.h"
#include "fixture.h"

static char dir[] = "/tmp/corral-outfile-XXXXXX";

static char *at(const char *name) {
        return xasprintf("%s/%s", dir, name);
}

/* Start a file-mode output on path; the result of output_prepare(). */
static int start_file(struct fix *f, struct svc *s, const char *path, uid_t uid) {
        int stdio[3];
        if (output_new(&s->o, "f", OUTPUT_FILE, path, f->c) < 0)
                abort();
        gid_t g = (gid_t)uid;
        output_set_owner(s->o, uid, uid == (uid_t)-1 ? (gid_t)-1 : g, NULL, 0);
        int r = output_prepare(s->o, stdio);
        s->w = r >= 0 ? fcntl(stdio[1], F_DUPFD_CLOEXEC, 3) : -1;
        output_spawned(s->o);
        return r;
}

/* The fd of this process open on path, -1 if none. */
static int fd_of(const char *path) {
        for (int fd = 0; fd < 1024; fd++) {
                char l[64], t[4096];
                snprintf(l, sizeof l, "/proc/self/fd/%d", fd);
                ssize_t n = readlink(l, t, sizeof t - 1);
                if (n <= 0)
                        continue;
                t[n] = '\0';
                if (streq(t, path))
                        return fd;
        }
        return -1;
}

static bool no_children(void) {
        return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

static void test_own_rights(void) {
        struct fix f;
        struct svc s = { 0 };
        fix_init(&f);
        _cleanup_free_ char *target = at("target"), *lnk = at("link.log"), *hard = at("hard.log"),
                            *fifo = at("fifo.log"), *good = at("good.log");
        int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        close(fd);
        if (symlink(target, lnk) < 0 || link(target, hard) < 0 || mkfifo(fifo, 0600) < 0)
                abort();

        ok(start_file(&f, &s, lnk, (uid_t)-1) == -ELOOP, "a symlink at the end of the path: refused");
        svc_done(&s);
        ok(start_file(&f, &s, hard, (uid_t)-1) == -EPERM, "a hard link: refused");
        svc_done(&s);
        uint64_t t0 = now_ms();
        int r = start_file(&f, &s, fifo, (uid_t)-1);
        ok(r < 0 && now_ms() - t0 < 1000, "a FIFO without reader: refused at once (%d)", r);
        svc_done(&s);
        int holder = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        ok(start_file(&f, &s, fifo, (uid_t)-1) == -EPERM, "a FIFO with a reader: refused too (not a regular file)");
        svc_done(&s);
        close(holder);

        ok(start_file(&f, &s, good, (uid_t)-1) == 0, "a new regular file is fine");
        struct stat st;
        ok(stat(good, &st) == 0 && st.st_uid == geteuid(), "... created by corral's user");
        int ffd = fd_of(good);
        ok(ffd >= 3 && !(fcntl(ffd, F_GETFL) & O_NONBLOCK) && (fcntl(ffd, F_GETFL) & O_APPEND) &&
                   (fcntl(ffd, F_GETFD) & FD_CLOEXEC),
           "its fd: append-only, blocking, CLOEXEC, above 2");

        /* Reopen onto a symlink: refused, the old file stays. */
        _cleanup_free_ char *rotated = at("good.log.1");
        rename(good, rotated);
        if (symlink(target, good) < 0)
                abort();
        ok(output_reopen(s.o) == -ELOOP && fd_of(rotated) == ffd, "reopen onto a symlink: refused, old fd kept");
        svc_write(&s, "still\n");
        settle(&f, &s, 1, 1000);
        char buf[64] = "";
        int rfd = open(rotated, O_RDONLY | O_CLOEXEC);
        ssize_t n = read(rfd, buf, sizeof buf - 1);
        close(rfd);
        struct stat tst;
        ok(n == 6 && streq(buf, "still\n") && stat(target, &tst) == 0 && tst.st_size == 0,
           "the line went to the old file, none to the symlink's target");
        unlink(good);
        ok(output_reopen(s.o) == 0 && fd_of(good) >= 3 && fd_of(rotated) < 0, "reopen once the path is free: a new file");
        svc_done(&s);
        unlink(good);

        if (geteuid() == 0) {
                _cleanup_free_ char *theirs = at("theirs.log");
                fd = open(theirs, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
                if (fd < 0 || fchown(fd, 65534, 65534) < 0)
                        abort();
                close(fd);
                ok(start_file(&f, &s, theirs, (uid_t)-1) == -EPERM, "root: a file of another user: refused");
                svc_done(&s);
                unlink(theirs);
        } else
                ok(true, "# SKIP needs root to make a file of another user");
        unlink(rotated);
        unlink(target);
        unlink(lnk);
        unlink(hard);
        unlink(fifo);
        fix_done(&f);
}

static void test_as_user(void) {
        if (geteuid() != 0) {
                for (int i = 0; i < 7; i++)
                        ok(true, "# SKIP opening as another user needs root");
                return;
        }
        _cleanup_free_ char *secret = at("secret"), *sub = at("nobody"), *mine = NULL, *link = NULL;
        int fd = open(secret, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        close(fd);
        if (mkdir(sub, 0755) < 0 || chown(sub, 65534, 65534) < 0 || chmod(dir, 0755) < 0)
                abort();
        mine = xasprintf("%s/mine.log", sub);
        link = xasprintf("%s/link.log", sub);
        if (symlink(secret, link) < 0)
                abort();

        const struct asuser_ids nobody = { .uid = 65534, .gid = 65534 };
        fd = -1;
        ok(asuser_open(secret, O_WRONLY | O_APPEND, 0, &nobody, 5000, &fd) == -EACCES && fd == -1,
           "as nobody, a root-only file cannot be opened");
        ok(asuser_open(link, O_WRONLY | O_APPEND, 0, &nobody, 5000, &fd) == -EACCES,
           "... nor through nobody's symlink to it");
        ok(asuser_open(mine, O_WRONLY | O_APPEND | O_CREAT, 0644, &nobody, 5000, &fd) == 0 && fd >= 3 &&
                   (fcntl(fd, F_GETFD) & FD_CLOEXEC),
           "as nobody, a file in nobody's directory: an fd above 2, CLOEXEC");
        struct stat st;
        ok(fstat(fd, &st) == 0 && st.st_uid == 65534 && st.st_gid == 65534, "... created as nobody:nogroup");
        close(fd);
        ok(no_children(), "the child was reaped");

        struct fix f;
        struct svc s = { 0 };
        fix_init(&f);
        ok(start_file(&f, &s, link, 65534) == -EACCES, "output of a nobody service onto the symlink: refused");
        svc_done(&s);
        ok(start_file(&f, &s, mine, 65534) == 0, "onto its own file: fine");
        svc_done(&s);
        fix_done(&f);
        unlink(link);
        unlink(mine);
        rmdir(sub);
        unlink(secret);
}

int main(void) {
        if (!mkdtemp(dir))
                abort();
        signal(SIGPIPE, SIG_IGN);
        test_own_rights();
        test_as_user();
        rmdir(dir);
        return done_testing();
}
