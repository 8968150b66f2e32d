/* User and group database lookups, kept apart from model.h, whose
 * `struct group_decl` clashes with the one of <grp.h>. */
#pragma once

#include <sys/types.h>

struct user_info {
        uid_t uid;
        gid_t gid;  /* primary group */
        char *name; /* malloc'd */
        char *home; /* malloc'd, NULL when the entry has none */
};

/* 0, -ENOENT (no such entry), -ENOMEM. */
int cfg_user_by_name(const char *name, struct user_info *ret);
int cfg_user_by_uid(uid_t uid, struct user_info *ret);
int cfg_group_by_name(const char *name, gid_t *ret);
