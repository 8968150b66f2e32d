#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"

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

int cfg_user_by_name(const char *name, struct user_info *ret) {
        return fill(getpwnam(name), ret);
}

int cfg_user_by_uid(uid_t uid, struct user_info *ret) {
        return fill(getpwuid(uid), ret);
}

int cfg_group_by_name(const char *name, gid_t *ret) {
        const struct group *gr = getgrnam(name);
        if (!gr)
                return -ENOENT;
        *ret = gr->gr_gid;
        return 0;
}
