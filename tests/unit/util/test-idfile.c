/* The passwd and group file readers of the static build, on files made here. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "corral-config.h"
#include "idfile.h"
#include "tap.h"

static char dir[] = "/tmp/corral-idfile-XXXXXX";
static char passwd[128], group[128];

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "w");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
                perror(path);
                exit(1);
        }
}

static void test_passwd(void) {
        struct passwd pw;
        char *line = NULL;
        int r = idfile_passwd(passwd, "web", 0, &pw, &line);
        ok(r == 0 && pw.pw_uid == 1000 && pw.pw_gid == 1001, "web by name: 1000:1001 (%d)", r);
        ok(r == 0 && strcmp(pw.pw_dir, "/srv/web") == 0 && strcmp(pw.pw_name, "web") == 0,
           "web's home and name");
        free(line);
        line = NULL;
        r = idfile_passwd(passwd, NULL, 65534, &pw, &line);
        ok(r == 0 && strcmp(pw.pw_name, "nobody") == 0, "uid 65534 is nobody (%d)", r);
        ok(r == 0 && strcmp(pw.pw_dir, "") == 0, "an empty home stays empty");
        free(line);
        line = NULL;
        ok(idfile_passwd(passwd, "ghost", 0, &pw, &line) == -ENOENT && !line, "no such user: -ENOENT");
        ok(idfile_passwd(passwd, "bad", 0, &pw, &line) == -ENOENT, "a line with a bad uid is skipped");
        ok(idfile_passwd(passwd, "short", 0, &pw, &line) == -ENOENT, "a line of six fields is skipped");
        ok(idfile_passwd(passwd, "+nis", 0, &pw, &line) == -ENOENT, "a NIS line is skipped");
        ok(idfile_passwd(passwd, "#web", 0, &pw, &line) == -ENOENT, "a comment is skipped");
        ok(idfile_passwd(passwd, "big", 0, &pw, &line) == -ENOENT, "uid 4294967295 is refused");
        r = idfile_passwd(passwd, NULL, 7, &pw, &line);
        ok(r == 0 && strcmp(pw.pw_name, "last") == 0, "the last line without a newline (%d)", r);
        free(line);
        line = NULL;
        ok(idfile_passwd("/nonexistent/passwd", "web", 0, &pw, &line) == -ENOENT,
           "a missing file: -ENOENT");
}

static bool has(const gid_t *g, int n, gid_t want) {
        for (int i = 0; i < n; i++)
                if (g[i] == want)
                        return true;
        return false;
}

static void test_group(void) {
        gid_t g = 0;
        ok(idfile_group(group, "www", &g) == 0 && g == 1001, "group www is 1001");
        ok(idfile_group(group, "nope", &g) == -ENOENT, "no such group: -ENOENT");
        gid_t list[8];
        int n = 8;
        int r = idfile_grouplist(group, "web", 1001, list, &n);
        ok(r == 3 && n == 3 && list[0] == 1001 && has(list, n, 27) && has(list, n, 44),
           "web: primary first, then sudo and video (%d, n=%d)", r, n);
        n = 1;
        r = idfile_grouplist(group, "web", 1001, list, &n);
        ok(r == -1 && n == 3, "too small an array: -1 and the count needed (n=%d)", n);
        n = 8;
        r = idfile_grouplist(group, "webby", 5, list, &n);
        ok(r == 1 && list[0] == 5, "a prefix of a member's name is not membership (%d)", r);
        n = 8;
        r = idfile_grouplist("/nonexistent/group", "web", 9, list, &n);
        ok(r == 1 && list[0] == 9, "no group file: the primary group alone (%d)", r);
}

static void test_build_lookup(void) {
        /* Whichever source the build uses, root is uid 0 on every host. */
        struct passwd pw;
        char *buf = NULL;
        int r = id_user("root", 0, &pw, &buf);
        ok(r == 0 && pw.pw_uid == 0, "id_user(root) (%s build): %d", CORRAL_STATIC ? "static" : "NSS", r);
        free(buf);
        buf = NULL;
        ok(id_user("corral-no-such-user", 0, &pw, &buf) == -ENOENT, "id_user of an unknown name: -ENOENT");
        gid_t g;
        ok(id_group("root", &g) == 0 && g == 0, "id_group(root)");
}

int main(void) {
        if (!mkdtemp(dir))
                return perror("mkdtemp"), 1;
        snprintf(passwd, sizeof(passwd), "%s/passwd", dir);
        snprintf(group, sizeof(group), "%s/group", dir);
        write_file(passwd, "# web:x:1:1::/:/bin/sh\n"
                           "root:x:0:0:root:/root:/bin/sh\n"
                           "+nis:x:9:9::/:/bin/sh\n"
                           "bad:x:12a:1::/:/bin/sh\n"
                           "short:x:5:5::/\n"
                           "big:x:4294967295:1::/:/bin/sh\n"
                           "web:x:1000:1001:Web:/srv/web:/bin/sh\n"
                           "\n"
                           "nobody:x:65534:65534:::/usr/sbin/nologin\n"
                           "last:x:7:7::/l:/bin/sh");
        write_file(group, "root:x:0:\n"
                          "sudo:x:27:admin,web\n"
                          "www:x:1001:\n"
                          "video:x:44:web\n"
                          "staff:x:50:webby2,admin\n"
                          "broken:x:zz:web\n");
        test_passwd();
        test_group();
        test_build_lookup();
        unlink(passwd);
        unlink(group);
        rmdir(dir);
        return done_testing();
}
