/* Group database and setgroups() for the spawn module.  Kept apart because
 * <grp.h> defines a struct group that model.h's struct group collides with. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Supplementary groups of user (getgrouplist(3)), gid included; heap array. */
int spawn_user_groups(const char *user, gid_t gid, gid_t **ret, size_t *ret_n);
/* setgroups(2), safe in the child; -errno. */
int spawn_setgroups(size_t n, const gid_t *groups);
