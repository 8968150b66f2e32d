/* User and group look-ups.  The dynamic build asks the C library, and so
 * every NSS source the host configures; the static build reads /etc/passwd
 * and /etc/group itself, because a statically linked glibc can only answer
 * through NSS modules loaded at run time (libnss_files.so), which a scratch
 * container image does not hold. */
#pragma once

#include <grp.h>
#include <pwd.h>
#include <sys/types.h>

#define IDFILE_PASSWD "/etc/passwd"
#define IDFILE_GROUP "/etc/group"

/* The entry of user NAME, or of UID when NAME is NULL, from the file PATH in
 * passwd(5) format.  The strings of *ret point into *ret_line, which the
 * caller frees.  -ENOENT when no well-formed line matches; other -errno when
 * the file cannot be read.  Comment lines, NIS "+"/"-" lines and malformed
 * lines are skipped. */
int idfile_passwd(const char *path, const char *name, uid_t uid, struct passwd *ret,
                  char **ret_line);

/* The id of group NAME from the file PATH in group(5) format; -ENOENT when
 * no well-formed line names it. */
int idfile_group(const char *path, const char *name, gid_t *ret);

/* getgrouplist(3) on the file PATH: GROUP first, then every group whose
 * member list names USER.  Returns the count, or -1 with *ngroups set to the
 * count needed when the array is too small; -errno when PATH cannot be read. */
int idfile_grouplist(const char *path, const char *user, gid_t group, gid_t *groups,
                     int *ngroups);

/* The look-ups the rest of corral uses: NSS in the dynamic build, the two
 * files above in the static one.  id_user() follows idfile_passwd()'s
 * contract (NAME, or UID when NAME is NULL); id_grouplist() getgrouplist's. */
int id_user(const char *name, uid_t uid, struct passwd *ret, char **ret_buf);
int id_group(const char *name, gid_t *ret);
int id_grouplist(const char *user, gid_t group, gid_t *groups, int *ngroups);
