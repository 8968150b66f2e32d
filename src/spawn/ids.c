/* See ids.h. */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>

#include "ids.h"

int spawn_user_groups(const char *user, gid_t gid, gid_t **ret, size_t *ret_n) {
        int n = 32;
        for (int tries = 0; tries < 8; tries++) {
                gid_t *g = calloc((size_t)n, sizeof(gid_t));
                if (!g)
                        return -ENOMEM;
                int want = n;
                if (getgrouplist(user, gid, g, &want) >= 0) {
                        *ret = g;
                        *ret_n = (size_t)want;
                        return 0;
                }
                free(g);
                /* glibc stores the number needed in want. */
                n = want > n ? want : n * 2;
        }
        return -E2BIG;
}

int spawn_setgroups(size_t n, const gid_t *groups) {
        return setgroups(n, groups) < 0 ? -errno : 0;
}
