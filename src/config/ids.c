#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "idfile.h"
#include "ids.h"
#include "util.h"

static int fill(const struct passwd *pw, struct user_info *ret) {
        if (!pw)
                return -ENOENT;
        struct user_info u = { .uid = pw->pw_uid, .gid = pw->pw_gid };
        u.name = strdup(pw->pw_name);
        u.home = pw->pw_dir && *pw->pw_dir ? strdup(pw->pw_dir) : NULL;
        if (!u.name || (pw->pw_dir && *pw->pw_dir && !u.home)) {
                free(u.name);
                free(u.home);
                return -ENOMEM;
        }
        *ret = u;
        return 0;
}

/* Any failure but memory reads as "no such entry", as a NULL from
 * getpwnam(3) always did: a uid is never guessed from a failed look-up. */
static int user(const char *name, uid_t uid, struct user_info *ret) {
        _cleanup_free_ char *buf = NULL;
        struct passwd pw;
        int r = id_user(name, uid, &pw, &buf);
        if (r < 0)
                return r == -ENOMEM ? r : -ENOENT;
        return fill(&pw, ret);
}

int cfg_user_by_name(const char *name, struct user_info *ret) {
        return user(name, 0, ret);
}

int cfg_user_by_uid(uid_t uid, struct user_info *ret) {
        return user(NULL, uid, ret);
}

int cfg_group_by_name(const char *name, gid_t *ret) {
        return id_group(name, ret);
}
