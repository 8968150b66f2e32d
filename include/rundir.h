/* corral's run directory (SPEC 1 --run-dir, SPEC 10): where it is by default,
 * for corral and corralctl alike, and making sure it is corral's own before
 * anything (control and notify sockets, pinned namespaces) is created in it.
 *
 * The rules: the directory is created (mode 0755, its missing parents too)
 * when absent; when it exists it must be a directory (not a symlink to one)
 * owned by corral's own uid and writable by nobody else; its parent must not
 * let other users rename or replace entries (owned by root or corral's uid,
 * and writable by others only with the sticky bit, as /tmp).  Anything else
 * is refused: corral does not take over a directory that another user could
 * have prepared, or could change under it. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#define RUNDIR_ROOT "/run/corral"

/* The default run directory of a process with effective uid euid:
 * RUNDIR_ROOT for root; else $XDG_RUNTIME_DIR/corral when xdg_runtime_dir is
 * an absolute path (as systemd --user and rootless podman place theirs),
 * else /tmp/corral-UID.  A new string, NULL without memory. */
char *rundir_default_for(uid_t euid, const char *xdg_runtime_dir);
/* rundir_default_for(geteuid(), getenv("XDG_RUNTIME_DIR")). */
char *rundir_default(void);

/* mkdir -p: every missing directory of path, path included, made with
 * mode; existing ones are left as they are.  0 or -errno. */
int rundir_mkdir_parents(const char *path, mode_t mode);

/* Create dir or check the one there by the rules above.  0 when it is
 * corral's; -EPERM when it is refused (unsafe to use); another -errno when
 * it cannot be created or looked at (a read-only file system, no right to
 * the parent).  On failure why (size bytes) says what is wrong, without the
 * path ("a symbolic link: refused (remove it, or use --run-dir)"). */
int rundir_prepare(const char *dir, char *why, size_t size);
