/* Capabilities of a service (SPEC 2 `capabilities`: keep only these, in the
 * bounding and ambient sets).  Runs in the child: syscalls only.
 * See capabilities(7), "Transformation of capabilities during execve()". */
#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>

#include "spawn-internal.h"
#include "sys.h"

/* Needs CAP_SETPCAP, so it runs before the uid changes.  Capabilities the
 * set no longer holds are skipped, so an unprivileged corral may still
 * start a service whose list covers what it has. */
int spawn_caps_drop_bounding(uint64_t keep, int *ret_cap) {
        for (int cap = 0; cap < 64; cap++) {
                int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
                if (r < 0) {
                        if (errno == EINVAL) /* past CAP_LAST_CAP of this kernel */
                                break;
                        *ret_cap = cap;
                        return -errno;
                }
                if (r == 0 || (keep & (UINT64_C(1) << cap)))
                        continue;
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
                        *ret_cap = cap;
                        return -errno;
                }
        }
        return 0;
}

/* Effective, permitted and inheritable become keep ∩ permitted; with
 * raise_ambient (a non-root user) each of them is also made ambient so
 * that it survives execve() of an ordinary binary. */
int spawn_caps_apply(uint64_t keep, bool raise_ambient, int *ret_cap) {
        struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
        int r = sys_capget(&hdr, data);
        if (r < 0)
                return r;
        uint64_t cur = (uint64_t)data[0].permitted | (uint64_t)data[1].permitted << 32;
        uint64_t want = keep & cur;
        for (int i = 0; i < 2; i++) {
                uint32_t part = (uint32_t)(want >> (32 * i));
                data[i].effective = data[i].permitted = data[i].inheritable = part;
        }
        r = sys_capset(&hdr, data);
        if (r < 0)
                return r;
        if (!raise_ambient)
                return 0;
        for (int cap = 0; cap < 64; cap++) {
                if (!(want & (UINT64_C(1) << cap)))
                        continue;
                if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) {
                        *ret_cap = cap;
                        return -errno;
                }
        }
        return 0;
}
