/* enosys: run a command under a seccomp filter that makes chosen syscalls
 * fail as an older kernel would, then exec it (the filter is inherited by
 * everything it starts).
 *
 *   enosys [-e SYSCALL[=ERRNO]]... [--] COMMAND [ARG...]
 *
 * SYSCALL is one of the names below; ERRNO is ENOSYS (the default: the call
 * does not exist, as before the kernel that added it), EINVAL or E2BIG (it
 * exists but refuses what corral asks, as clone3() before CLONE_INTO_CGROUP
 * did).  The filter is a hand-built classic BPF program (seccomp(2),
 * "Filters"), so no libseccomp is needed.  Without PR_SET_NO_NEW_PRIVS it
 * needs CAP_SYS_ADMIN, which the tests have as root: the command's own
 * privileges stay as they are. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys.h"

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "enosys: no audit arch for this machine"
#endif

static const struct {
        const char *name;
        long nr;
} calls[] = {
        { "clone3", SYS_clone3 },
        { "pidfd_open", SYS_pidfd_open },
        { "pidfd_send_signal", SYS_pidfd_send_signal },
        { "pidfd_getfd", SYS_pidfd_getfd },
        { "close_range", SYS_close_range },
        { "openat2", SYS_openat2 },
};

static const struct {
        const char *name;
        int value;
} errnos[] = { { "ENOSYS", ENOSYS }, { "EINVAL", EINVAL }, { "E2BIG", E2BIG }, { "EPERM", EPERM } };

#define MAX_RULES 16

static __attribute__((noreturn)) void usage(void) {
        fputs("usage: enosys [-e SYSCALL[=ERRNO]]... [--] COMMAND [ARG...]\n", stderr);
        exit(2);
}

/* "clone3=E2BIG" into a syscall number and an errno; -1 if unknown. */
static int parse_rule(const char *arg, long *ret_nr, int *ret_err) {
        const char *eq = strchr(arg, '=');
        size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
        long nr = -1;
        for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
                if (strlen(calls[i].name) == n && strncmp(calls[i].name, arg, n) == 0)
                        nr = calls[i].nr;
        if (nr < 0)
                return -1;
        int err = ENOSYS;
        if (eq) {
                err = -1;
                for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
                        if (strcmp(errnos[i].name, eq + 1) == 0)
                                err = errnos[i].value;
                if (err < 0)
                        return -1;
        }
        *ret_nr = nr;
        *ret_err = err;
        return 0;
}

int main(int argc, char **argv) {
        long nr[MAX_RULES];
        int err[MAX_RULES];
        int n = 0, i = 1;
        for (; i < argc; i++) {
                if (strcmp(argv[i], "--") == 0) {
                        i++;
                        break;
                }
                if (strcmp(argv[i], "-e") != 0)
                        break;
                if (++i >= argc || n >= MAX_RULES)
                        usage();
                /* A comma-separated list in one -e is accepted too. */
                char *list = argv[i];
                for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                        if (n >= MAX_RULES || parse_rule(tok, &nr[n], &err[n]) < 0) {
                                fprintf(stderr, "enosys: unknown syscall or errno: \"%s\"\n", tok);
                                return 2;
                        }
                        n++;
                }
        }
        if (i >= argc)
                usage();

        /* Wrong architecture: kill (a syscall number of another ABI would
         * mean something else); each rule: return its errno; else allow. */
        struct sock_filter prog[4 + 2 * MAX_RULES + 1];
        size_t k = 0;
        prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
        prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0);
        prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
        prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
        for (int r = 0; r < n; r++) {
                prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr[r], 0, 1);
                prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
                                                         SECCOMP_RET_ERRNO | ((unsigned)err[r] & SECCOMP_RET_DATA));
        }
        prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        struct sock_fprog fprog = { .len = (unsigned short)k, .filter = prog };
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0) {
                fprintf(stderr, "enosys: PR_SET_SECCOMP: %s\n", strerror(errno));
                return 125;
        }
        execvp(argv[i], argv + i);
        fprintf(stderr, "enosys: exec %s: %s\n", argv[i], strerror(errno));
        return errno == ENOENT ? 127 : 126;
}
