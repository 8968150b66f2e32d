/* The child side of src/ns/ on the real kernel, without the supervisor:
 * this program clones like spawn does (flags from the plan, a sync pipe,
 * ns_parent_setup, ns_child_setup, exec) and runs busybox as the service.
 * Root only; every mount is made inside the children's mount namespaces
 * except the pod pins, which ns_pods_teardown removes; the test checks that
 * its own mountinfo is unchanged at the end. */
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/magic.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/statfs.h>
#include <stdarg.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "../../../src/ns/ns-internal.h"
#include "../../tap.h"

/* busybox-static: /usr/bin/busybox on Debian, /bin/busybox in the VM tier. */
static const char *busybox = "/usr/bin/busybox";

static char tmp[256], run_dir[300];

struct run {
        int status;
        int err, what; /* child setup failure: errno and ns_child_failure() */
        char out[16384];
        size_t n_out;
};

/* Set: the child sees mount_setattr(2) fail with ENOSYS, as on kernels
 * before 5.12 (a seccomp filter, installed before the setup). */
static bool no_mount_setattr;

static void deny_mount_setattr(void) {
        struct sock_filter f[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mount_setattr, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { .len = ARRAY_SIZE(f), .filter = f };
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
                _exit(124);
}

static _Noreturn void child(const struct ns_plan *p, char *const argv[], int syncfd, int errfd, int outfd) {
        char c;
        if (read(syncfd, &c, 1) != 1)
                _exit(126);
        if (no_mount_setattr)
                deny_mount_setattr();
        dup2(outfd, 1);
        dup2(outfd, 2);
        int r = ns_child_setup(p, errfd, NULL);
        int rec[2] = { -r, ns_child_failure() };
        if (r >= 0) {
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                execv(argv[0], argv);
                rec[0] = errno;
                rec[1] = -2;
        }
        if (write(errfd, rec, sizeof rec) < 0)
                _exit(125);
        _exit(127);
}

/* Start argv under plan p; the service's output is read from *ret_out. */
static pid_t start(const struct ns_plan *p, char *const argv[], struct run *r, int *ret_out) {
        int syncp[2], errp[2], outp[2];
        *r = (struct run){ .err = 0, .what = NS_WHAT_NONE };
        if (pipe2(syncp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0)
                return -errno;
        sigset_t all, saved;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, &saved);
        long pid = syscall(SYS_clone, ns_plan_clone_flags(p) | SIGCHLD, 0, 0, 0, 0);
        if (pid == 0) {
                close(syncp[1]);
                close(errp[0]);
                close(outp[0]);
                child(p, argv, syncp[0], errp[1], outp[1]);
        }
        sigprocmask(SIG_SETMASK, &saved, NULL);
        close(syncp[0]);
        close(errp[1]);
        close(outp[1]);
        if (pid < 0)
                return -errno;
        char *msg = NULL;
        if (ns_parent_setup_msg(p, (pid_t)pid, &msg) < 0) {
                snprintf(r->out, sizeof r->out, "%s", msg ? msg : "?");
                r->n_out = strlen(r->out);
                r->err = -1;
                free(msg);
                kill((pid_t)pid, SIGKILL);
        } else if (write(syncp[1], "1", 1) != 1)
                r->err = EPIPE;
        close(syncp[1]);
        int rec[2];
        if (read(errp[0], rec, sizeof rec) == sizeof rec) {
                r->err = rec[0];
                r->what = rec[1];
        }
        close(errp[0]);
        *ret_out = outp[0];
        return (pid_t)pid;
}

/* Read output until EOF, or until it holds `until` (then true). */
static bool collect(int fd, struct run *r, const char *until) {
        for (;;) {
                if (until && strstr(r->out, until))
                        return true;
                struct pollfd pfd = { fd, POLLIN, 0 };
                if (poll(&pfd, 1, 20000) <= 0)
                        return false;
                ssize_t n = read(fd, r->out + r->n_out, sizeof r->out - 1 - r->n_out);
                if (n <= 0)
                        return false;
                r->n_out += (size_t)n;
                r->out[r->n_out] = '\0';
        }
}

static void finish(pid_t pid, int fd, struct run *r) {
        collect(fd, r, NULL);
        close(fd);
        waitpid(pid, &r->status, 0);
}

/* Run argv under plan p.  When `ready` is given, once the service printed
 * "READY" the callback gets the pid (pid 1 of its namespace when it has one). */
static void run(const struct ns_plan *p, char *const argv[], struct run *r, void (*ready)(pid_t, void *), void *arg) {
        int fd;
        pid_t pid = start(p, argv, r, &fd);
        if (pid < 0)
                return;
        if (ready && collect(fd, r, "READY"))
                ready(pid, arg);
        finish(pid, fd, r);
}

static void reset(struct service *s, struct model *m, const char *name) {
        service_init_defaults(s);
        s->name = (char *)name;
        s->loc = (struct loc){ "test.conf", 1 };
        s->cgroup_path = (char *)name;
        *m = (struct model){ .services = s, .n_services = 1 };
}

static struct ns_plan *mkplan(struct model *m, struct service *s) {
        struct diags d = {0};
        struct ns_plan *p = NULL;
        if (ns_plan_build(m, s, run_dir, &p, &d) < 0) {
                for (size_t i = 0; i < d.n; i++)
                        printf("# %s\n", d.v[i].msg);
                p = NULL;
        }
        diags_free(&d);
        return p;
}

static void show(const struct run *r) {
        for (const char *l = r->out; *l;) {
                const char *e = strchrnul(l, '\n');
                printf("#   | %.*s\n", (int)(e - l), l);
                l = *e ? e + 1 : e;
        }
        if (r->err) {
                printf("#   setup failed: %s (what %d)\n", strerror(r->err), r->what);
        }
}

static bool exited(const struct run *r, int code) {
        bool good = WIFEXITED(r->status) && WEXITSTATUS(r->status) == code && r->err == 0;
        if (!good) {
                printf("#   status 0x%x, wanted exit %d\n", r->status, code);
                show(r);
        }
        return good;
}

static bool from_initramfs(void) {
        struct statfs sf;
        return statfs("/", &sf) == 0 && (sf.f_type == RAMFS_MAGIC || sf.f_type == TMPFS_MAGIC);
}

static char *self_ns(const char *name, char *buf, size_t size) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/ns/%s", name);
        ssize_t n = readlink(path, buf, size - 1);
        buf[n > 0 ? n : 0] = '\0';
        return buf;
}

/* The value printed as "KEY=value" by the service. */
static const char *field(const struct run *r, const char *key, char *buf, size_t size) {
        char k[64];
        snprintf(k, sizeof k, "%s=", key);
        const char *p = strstr(r->out, k);
        if (!p)
                return "";
        p += strlen(k);
        size_t n = strcspn(p, "\n");
        snprintf(buf, size, "%.*s", (int)(n < size ? n : size - 1), p);
        return buf;
}


#define SH(script) (char *[]){ (char *)busybox, "sh", "-c", script, NULL }
#define ROOT_SH(script) (char *[]){ "/bin/busybox", "sh", "-c", script, NULL }

static void t_namespaces(void) {
        struct service s;
        struct model m;
        reset(&s, &m, "nsx");
        s.ns = (struct ns_decl){ .pid = true, .mount = true, .net = true, .ipc = true, .hostname = "corral-test",
                                 .cgroup = true };
        struct ns_plan *p = mkplan(&m, &s);
        struct run r;
        run(p, SH("echo host=$(hostname); echo pid=$$; echo init=$(cat /proc/1/comm);"
                  "for n in net uts ipc pid mnt cgroup; do echo $n=$(readlink /proc/self/ns/$n); done;"
                  "ip -o link show lo | grep -q ',UP' && echo lo=up"), &r, NULL, NULL);
        ok(exited(&r, 0), "service with pid, mount, net, ipc, uts, cgroup namespaces ran");
        char b[128], own[128];
        is_str(field(&r, "host", b, sizeof b), "corral-test", "hostname inside");
        is_str(field(&r, "pid", b, sizeof b), "2", "the service is pid 2 of its namespace");
        is_str(field(&r, "init", b, sizeof b), "corral-init", "pid 1 is corral's init (fresh /proc)");
        is_str(field(&r, "lo", b, sizeof b), "up", "lo is up in the new net namespace");
        static const char *const kinds[] = { "net", "uts", "ipc", "pid", "mnt", "cgroup" };
        bool differ = true;
        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
                const char *in = field(&r, kinds[i], b, sizeof b);
                if (!*in || streq(in, self_ns(kinds[i], own, sizeof own))) {
                        printf("#   %s: %s vs %s\n", kinds[i], in, own);
                        differ = false;
                }
        }
        ok(differ, "every declared namespace differs from the test's own");
        ns_plan_free(p);
}

static void t_exit_status(void) {
        struct service s;
        struct model m;
        reset(&s, &m, "st");
        s.ns = (struct ns_decl){ .pid = true };
        struct ns_plan *p = mkplan(&m, &s);
        struct run r;
        run(p, SH("exit 7"), &r, NULL, NULL);
        ok(exited(&r, 7), "exit 7 passes through the pid namespace's init");
        run(p, SH("kill -KILL $$"), &r, NULL, NULL);
        ok(exited(&r, 137), "SIGKILL of the service: init exits 137");
        run(p, SH("kill -TERM $$"), &r, NULL, NULL);
        ok(exited(&r, 143), "SIGTERM of the service: init exits 143");
        run(p, (char *[]){ "/nonexistent", NULL }, &r, NULL, NULL);
        ok(r.err == ENOENT && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 127,
           "exec failure of the service reported through the error pipe, init exits 127");
        ns_plan_free(p);
}

static pid_t init_sid;

static void send_sig(pid_t pid, void *arg) {
        init_sid = getsid(pid);
        kill(pid, *(int *)arg);
}

static void t_signal_forwarding(void) {
        struct service s;
        struct model m;
        reset(&s, &m, "sig");
        s.ns = (struct ns_decl){ .pid = true };
        struct ns_plan *p = mkplan(&m, &s);
        struct run r;
        int sig = SIGTERM;
        run(p, SH("trap 'exit 42' TERM; echo READY; while :; do sleep 0.05; done"), &r, send_sig, &sig);
        ok(exited(&r, 42), "SIGTERM sent to pid 1 reaches the service (its trap exits 42)");
        ok(init_sid > 0 && init_sid != getsid(0), "pid 1 left the starter's session (no terminal signals)");
        sig = SIGUSR1;
        run(p, SH("trap 'exit 43' USR1; echo READY; while :; do sleep 0.05; done"), &r, send_sig, &sig);
        ok(exited(&r, 43), "SIGUSR1 forwarded too");
        ns_plan_free(p);
}

static void t_orphans(void) {
        struct service s;
        struct model m;
        reset(&s, &m, "orph");
        s.ns = (struct ns_decl){ .pid = true, .mount = true };
        struct ns_plan *p = mkplan(&m, &s);
        struct run r;
        /* The orphans outlive the scan for their parent even on a slow VM;
         * then every one must be gone, none left a zombie. */
        run(p, SH("for i in 1 2 3 4 5 6 7 8; do (sleep 1 &); done;"
                  "for f in /proc/[0-9]*/status; do grep -q '^Name:.sleep' $f && grep '^PPid' $f; done"
                  " | head -1 | { read a b; echo ppid=$b; };"
                  "i=0; while [ $i -lt 500 ]; do z=0; n=0;"
                  " for f in /proc/[0-9]*/status; do st=$(grep '^State' $f 2>/dev/null);"
                  "  nm=$(grep '^Name' $f 2>/dev/null);"
                  "  case \"$st\" in *Z*) z=$((z+1));; esac; case \"$nm\" in *sleep) n=$((n+1));; esac;"
                  " done; [ $n = 0 ] && [ $z = 0 ] && break; sleep 0.02; i=$((i+1)); done;"
                  "echo left=$n zombies=$z"), &r, NULL, NULL);
        ok(exited(&r, 0), "orphan maker ran");
        char b[64];
        is_str(field(&r, "ppid", b, sizeof b), "1", "orphans were reparented to pid 1");
        like(r.out, "left=0 zombies=0", "every orphan was reaped: no zombie in the namespace");
        ns_plan_free(p);
}

static int sh(const char *fmt, ...) _printf_(1, 2);
static int sh(const char *fmt, ...) {
        char cmd[2048];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof cmd, fmt, ap);
        va_end(ap);
        int r = system(cmd);
        if (r != 0)
                printf("#   command failed (%d): %s\n", r, cmd);
        return r;
}

/* Output of a shell command, for hashing trees. */
static char *capture(const char *fmt, const char *arg) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, fmt, arg, arg);
        FILE *f = popen(cmd, "r");
        if (!f)
                return NULL;
        char *buf = calloc(1, 65536);
        size_t n = buf ? fread(buf, 1, 65535, f) : 0;
        (void)n;
        pclose(f);
        return buf;
}

/* A root with busybox and the applets the tests call. */
static void make_rootfs(const char *dir) {
        sh("mkdir -p %s/bin %s/www && cp %s %s/bin/busybox && cd %s/bin && "
           "for a in sh cat ls rm echo tr wc grep sleep httpd wget mkdir touch id head awk; do ln -s busybox $a; done",
           dir, dir, busybox, dir, dir);
}

#define TREE_HASH "cd %s && find . -exec stat -c '%%n %%f %%s %%Y %%u %%g' {} + | sort && find . -type f -exec sha256sum {} + | sort"

static void t_overlay(void) {
        char l1[300], l2[300], up[300], wk[300];
        snprintf(l1, sizeof l1, "%s/lower1", tmp);
        snprintf(l2, sizeof l2, "%s/lower2", tmp);
        snprintf(up, sizeof up, "%s/upper", tmp);
        snprintf(wk, sizeof wk, "%s/work", tmp);
        make_rootfs(l1);
        sh("mkdir -p %s/data %s && echo keep >%s/data/keep && echo del >%s/data/delme && echo old >%s/data/mod && "
           "echo 1 >%s/layer && echo 2 >%s/layer && echo only >%s/only2 && echo 'hello from the pod' >%s/www/index.html",
           l1, l2, l1, l1, l1, l1, l2, l2, l1);
        _cleanup_free_ char *h1 = capture(TREE_HASH, l1), *h2 = capture(TREE_HASH, l2);
        struct service s;
        struct model m;
        reset(&s, &m, "ovl");
        char *lower[] = { l1, l2, NULL };
        s.root = (struct root_decl){ .kind = ROOT_OVERLAY, .lower = lower, .n_lower = 2, .upper = up, .work = wk };
        s.ns.pid = true;
        struct ns_plan *p = mkplan(&m, &s);
        struct run r;
        run(p, ROOT_SH("echo layer=$(cat /layer); echo only2=$(cat /only2); echo new >/data/new;"
                       "echo more >>/data/mod; rm /data/delme; echo init=$(cat /proc/1/comm);"
                       "echo dev=$(ls /dev | tr '\\n' ' '); echo x >/tmp/t && echo tmp=ok;"
                       "echo x >/dev/shm/x && echo shm=ok; echo >/dev/null && echo null=ok;"
                       "[ -e /dev/pts/ptmx ] && echo pts=ok; echo rootfs=$(awk '$5 == \"/\" { print $9 }' /proc/self/mountinfo)"), &r, NULL, NULL);
        ok(exited(&r, 0), "service ran in an overlay root");
        char b[256], path[400];
        is_str(field(&r, "layer", b, sizeof b), "1", "the first lower is on top");
        is_str(field(&r, "only2", b, sizeof b), "only", "the second lower shows through");
        is_str(field(&r, "init", b, sizeof b), "corral-init", "fresh /proc of the pid namespace");
        is_str(field(&r, "rootfs", b, sizeof b), "overlay", "/ is the overlay (%s)",
               from_initramfs() ? "pivot_root refused by the initramfs: moved over / and chrooted" : "pivot_root");
        is_str(field(&r, "dev", b, sizeof b), "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero",
               "minimal /dev");
        ok(strstr(r.out, "tmp=ok") && strstr(r.out, "shm=ok") && strstr(r.out, "null=ok") && strstr(r.out, "pts=ok"),
           "/tmp, /dev/shm, /dev/null and /dev/pts work");
        _cleanup_free_ char *nw = NULL, *mod = NULL;
        snprintf(path, sizeof path, "%s/data/new", up);
        read_file_at(AT_FDCWD, path, 100, &nw, NULL);
        is_str(nw, "new\n", "a new file lands in upper");
        snprintf(path, sizeof path, "%s/data/mod", up);
        read_file_at(AT_FDCWD, path, 100, &mod, NULL);
        is_str(mod, "old\nmore\n", "copy-up of a modified lower file lands in upper");
        struct stat st;
        snprintf(path, sizeof path, "%s/data/delme", up);
        ok(lstat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0),
           "deleting a lower file leaves a whiteout (char 0/0) in upper");
        _cleanup_free_ char *a1 = capture(TREE_HASH, l1), *a2 = capture(TREE_HASH, l2);
        ok(h1 && a1 && streq(h1, a1) && h2 && a2 && streq(h2, a2), "the lower dirs are unchanged, byte for byte");
        ns_plan_free(p);

        /* No upper: a tmpfs upper that vanishes with the service. */
        s.root.upper = s.root.work = NULL;
        p = mkplan(&m, &s);
        run(p, ROOT_SH("echo x >/data/tmpfs-upper && cat /data/tmpfs-upper"), &r, NULL, NULL);
        ok(exited(&r, 0), "tmpfs upper is writable");
        snprintf(path, sizeof path, "%s/data/tmpfs-upper", l1);
        _cleanup_free_ char *a3 = capture(TREE_HASH, l1);
        ok(access(path, F_OK) < 0 && a3 && streq(a3, h1), "nothing written to the lower dir");
        ns_plan_free(p);
}

static void t_readonly_and_binds(void) {
        char rootfs[300], shared[300], path[400];
        snprintf(rootfs, sizeof rootfs, "%s/rootfs", tmp);
        snprintf(shared, sizeof shared, "%s/shared", tmp);
        make_rootfs(rootfs);
        mkdir(shared, 0755);
        struct service s;
        struct model m;
        reset(&s, &m, "ro");
        s.root = (struct root_decl){ .kind = ROOT_PATH, .path = rootfs, .readonly = true };
        struct bind binds[] = { { shared, "/mnt/rw", false, 0 }, { shared, "/mnt/ro", true, 0 } };
        s.binds = binds;
        s.n_binds = 2;
        struct ns_plan *p = mkplan(&m, &s);
        struct run r;
        run(p, ROOT_SH("touch /x 2>/dev/null && echo root=rw || echo root=ro; echo a >/tmp/a && echo tmp=rw;"
                       "echo hi >/mnt/rw/f && echo bindrw=ok; (echo no >/mnt/ro/g) 2>/dev/null && echo bindro=rw ||"
                       " echo bindro=ro"), &r, NULL, NULL);
        ok(exited(&r, 0), "service ran in a readonly root.path");
        char b[64];
        is_str(field(&r, "root", b, sizeof b), "ro", "a readonly root refuses writes");
        is_str(field(&r, "tmp", b, sizeof b), "rw", "/tmp stays writable");
        is_str(field(&r, "bindro", b, sizeof b), "ro", "a readonly bind refuses writes");
        _cleanup_free_ char *f = NULL;
        snprintf(path, sizeof path, "%s/f", shared);
        read_file_at(AT_FDCWD, path, 100, &f, NULL);
        is_str(f, "hi\n", "a write through a rw bind reaches the host directory");
        snprintf(path, sizeof path, "%s/x", rootfs);
        ok(access(path, F_OK) < 0, "nothing written to the readonly root");
        ns_plan_free(p);
}

/* Read-only reaches the mounts below a bind's source and below root.path
 * too (both are bound recursively), while the mounts corral makes in the
 * root (/tmp) stay writable. */
static void t_readonly_submounts(const char *how) {
        char rootfs[300], shared[300];
        snprintf(rootfs, sizeof rootfs, "%s/rootfs-sub", tmp);
        snprintf(shared, sizeof shared, "%s/shared-sub", tmp);
        make_rootfs(rootfs);
        if (sh("mkdir -p %s/sub %s/deep %s/sub && mount -t tmpfs sub %s/sub && mkdir %s/sub/inner && "
               "mount -t tmpfs inner %s/sub/inner && mount -t tmpfs deep %s/deep && mount -t tmpfs rsub %s/sub",
               shared, shared, rootfs, shared, shared, shared, shared, rootfs) != 0) {
                ok(false, "test mounts made");
                return;
        }
        struct service s;
        struct model m;
        reset(&s, &m, "rosub");
        s.root = (struct root_decl){ .kind = ROOT_PATH, .path = rootfs, .readonly = true };
        struct bind binds[] = { { shared, "/mnt/ro", true, 0 }, { shared, "/mnt/rw", false, 0 } };
        s.binds = binds;
        s.n_binds = 2;
        struct ns_plan *p = mkplan(&m, &s);
        struct run r;
        run(p, ROOT_SH("for d in /mnt/ro /mnt/ro/sub /mnt/ro/sub/inner /mnt/ro/deep /mnt/rw/sub/inner /sub /tmp; do"
                       " (echo x >$d/w) 2>/dev/null && echo $d=rw || echo $d=ro; done"), &r, NULL, NULL);
        ok(exited(&r, 0), "%s: service ran with mounts below its root and binds", how);
        static const char *const want[][2] = {
                { "/mnt/ro", "ro" },           { "/mnt/ro/sub", "ro" }, { "/mnt/ro/sub/inner", "ro" },
                { "/mnt/ro/deep", "ro" },      { "/sub", "ro" },        { "/mnt/rw/sub/inner", "rw" },
                { "/tmp", "rw" },
        };
        char b[64];
        for (size_t i = 0; i < ARRAY_SIZE(want); i++)
                is_str(field(&r, want[i][0], b, sizeof b), want[i][1], "%s: %s is %s", how, want[i][0],
                       streq(want[i][1], "ro") ? "read-only" : "writable");
        ns_plan_free(p);
        sh("umount %s/sub/inner %s/sub %s/deep %s/sub", shared, shared, shared, rootfs);
}

/* An image whose /etc is an absolute symlink to a host directory: a bind
 * onto /etc/x must land inside the root, not in that host directory. */
static void t_bind_symlink(void) {
        char rootfs[300], outside[300], shared[300], path[700];
        snprintf(rootfs, sizeof rootfs, "%s/rootfs-link", tmp);
        /* Not below /tmp, which the root's own /tmp tmpfs would hide. */
        snprintf(outside, sizeof outside, "/var/tmp/corral-ns-outside-XXXXXX");
        if (!mkdtemp(outside))
                printf("#   mkdtemp: %s\n", strerror(errno));
        snprintf(shared, sizeof shared, "%s/shared", tmp);
        make_rootfs(rootfs);
        snprintf(path, sizeof path, "%s/etc", rootfs);
        if (symlink(outside, path) < 0)
                printf("#   symlink: %s\n", strerror(errno));
        /* The symlink's target as it resolves after pivot_root: inside. */
        sh("mkdir -p %s%s", rootfs, outside);
        struct service s;
        struct model m;
        reset(&s, &m, "lnk");
        s.root = (struct root_decl){ .kind = ROOT_PATH, .path = rootfs };
        struct bind binds[] = { { shared, "/etc/x", false, 0 } };
        s.binds = binds;
        s.n_binds = 1;
        struct ns_plan *p = mkplan(&m, &s);
        struct run r;
        run(p, ROOT_SH("cat /etc/x/f"), &r, NULL, NULL);
        ok(exited(&r, 0) && strstr(r.out, "hi"), "bind through an absolute symlink of the image is visible inside");
        snprintf(path, sizeof path, "%s/x", outside);
        ok(access(path, F_OK) < 0, "nothing created in the host directory the symlink names");
        snprintf(path, sizeof path, "%s%s/x", rootfs, outside);
        ok(access(path, F_OK) == 0, "the mount point was made inside the root");
        rmdir(outside);
        ns_plan_free(p);
}

static void t_user(void) {
        struct service s;
        struct model m;
        reset(&s, &m, "usr");
        s.ns = (struct ns_decl){ .user = true, .uid_map = "0 100000 65536", .gid_map = "0 100000 65536" };
        struct ns_plan *p = mkplan(&m, &s);
        struct run r;
        run(p, SH("echo uid=$(id -u) gid=$(id -g); echo user=$(readlink /proc/self/ns/user)"), &r, NULL, NULL);
        ok(exited(&r, 0), "service in a user namespace ran");
        like(r.out, "uid=0 gid=0", "uid and gid maps written: root inside");
        char b[64], own[64];
        ok(!streq(field(&r, "user", b, sizeof b), self_ns("user", own, sizeof own)), "user namespace differs");
        ns_plan_free(p);
        s.ns.uid_map = "0 100000 10, 5 200000 10";
        p = mkplan(&m, &s);
        run(p, SH("true"), &r, NULL, NULL);
        like(r.out, "service \"usr\": uid_map \"0 100000 10;5 200000 10\": Invalid argument",
             "a map the kernel refuses is an error naming the service and the map");
        ns_plan_free(p);
}

static void t_pods(void) {
        struct service sv[4];
        struct group_decl groups[] = { { .path = "pod", .loc = { "test.conf", 2 },
                                         .ns = { .net = true, .ipc = true, .hostname = "pod1" } } };
        const char *names[] = { "a", "b", "web", "c" };
        const char *cgroups[] = { "pod/a", "pod/b", "pod/web", "c" };
        for (int i = 0; i < 4; i++) {
                service_init_defaults(&sv[i]);
                sv[i].name = (char *)names[i];
                sv[i].loc = (struct loc){ "test.conf", 10 + i };
                sv[i].cgroup_path = (char *)cgroups[i];
        }
        struct model m = { .services = sv, .n_services = 4, .groups = groups, .n_groups = 1 };
        struct diags d = {0};
        ok(ns_pods_setup(&m, run_dir, &d) == 0 && d.n == 0, "pod namespaces created");
        for (size_t i = 0; i < d.n; i++)
                printf("#   %s\n", d.v[i].msg);
        diags_free(&d);
        char path[400];
        snprintf(path, sizeof path, "%s/ns/pod/net", run_dir);
        ok(access(path, F_OK) == 0, "pinned at RUN_DIR/ns/pod/net");

        struct ns_plan *pa = mkplan(&m, &sv[0]), *pb = mkplan(&m, &sv[1]), *pc = mkplan(&m, &sv[3]);
        ok(pa && pb && !pc, "pod members get a plan, the outsider none");
        char *script = "echo net=$(readlink /proc/self/ns/net); echo ipc=$(readlink /proc/self/ns/ipc);"
                       "echo uts=$(readlink /proc/self/ns/uts); echo host=$(hostname);"
                       "ip -o link show lo | grep -q ',UP' && echo lo=up";
        struct run ra, ra2, rb;
        run(pa, SH(script), &ra, NULL, NULL);
        run(pa, SH(script), &ra2, NULL, NULL);
        run(pb, SH(script), &rb, NULL, NULL);
        ok(exited(&ra, 0) && exited(&rb, 0), "two pod members ran");
        char x[128], y[128], z[128], own[128];
        static const char *const kinds[] = { "net", "ipc", "uts" };
        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
                field(&ra, kinds[i], x, sizeof x);
                field(&rb, kinds[i], y, sizeof y);
                field(&ra2, kinds[i], z, sizeof z);
                ok(*x && streq(x, y) && !streq(x, self_ns(kinds[i], own, sizeof own)),
                   "%s namespace shared by the pod's services, not the test's", kinds[i]);
                ok(streq(x, z), "%s namespace kept across a restart", kinds[i]);
        }
        is_str(field(&rb, "host", x, sizeof x), "pod1", "the pod's hostname");
        is_str(field(&rb, "lo", x, sizeof x), "up", "lo up in the pod's net namespace");

        /* busybox httpd in an overlay root inside the pod, a client in the pod
         * and one outside. */
        char l1[300];
        snprintf(l1, sizeof l1, "%s/lower1", tmp);
        char *lower[] = { l1, NULL };
        sv[2].root = (struct root_decl){ .kind = ROOT_OVERLAY, .lower = lower, .n_lower = 1 };
        sv[2].ns.pid = true;
        struct ns_plan *pw = mkplan(&m, &sv[2]);
        int port = 20000 + getpid() % 20000;
        char web[256], get[512];
        snprintf(web, sizeof web, "httpd -f -p 127.0.0.1:%d -h /www & echo READY; wait", port);
        snprintf(get, sizeof get, "i=0; while [ $i -lt 300 ]; do wget -q -O- http://127.0.0.1:%d/index.html"
                 " 2>&1 && exit 0; sleep 0.05; i=$((i+1)); done; exit 1", port);
        struct run rw, rin, rout;
        int fd;
        pid_t w = start(pw, ROOT_SH(web), &rw, &fd);
        ok(w > 0 && collect(fd, &rw, "READY"), "httpd started in an overlay root in the pod");
        run(pb, SH(get), &rin, NULL, NULL);
        ok(exited(&rin, 0) && strstr(rin.out, "hello from the pod"), "a pod member reaches it on 127.0.0.1");
        snprintf(get, sizeof get, "wget -q -O- http://127.0.0.1:%d/index.html", port);
        run(pc, SH(get), &rout, NULL, NULL);
        ok(WIFEXITED(rout.status) && WEXITSTATUS(rout.status) != 0, "a service outside the pod cannot reach it");
        if (w > 0) {
                kill(w, SIGKILL);
                finish(w, fd, &rw);
        }
        ns_plan_free(pa);
        ns_plan_free(pb);
        ns_plan_free(pw);
        ns_pods_teardown(&m, run_dir);
        snprintf(path, sizeof path, "%s/ns", run_dir);
        ok(access(path, F_OK) < 0, "RUN_DIR/ns removed at teardown");
}

int main(void) {
        if (geteuid() != 0)
                skip_all("needs root");
        if (getenv("NS_BUSYBOX"))
                busybox = getenv("NS_BUSYBOX");
        if (access(busybox, X_OK) < 0)
                skip_all("needs busybox-static");
        snprintf(tmp, sizeof tmp, "/tmp/corral-ns-apply-XXXXXX");
        if (!mkdtemp(tmp))
                return 1;
        snprintf(run_dir, sizeof run_dir, "%s/run", tmp);
        mkdir(run_dir, 0755);
        char *before = NULL, *after = NULL;
        read_file_at(AT_FDCWD, "/proc/self/mountinfo", 1 << 20, &before, NULL);

        t_namespaces();
        t_exit_status();
        t_signal_forwarding();
        t_orphans();
        t_overlay();
        t_readonly_and_binds();
        t_readonly_submounts("mount_setattr");
        no_mount_setattr = true;
        t_readonly_submounts("each mount from mountinfo");
        no_mount_setattr = false;
        t_bind_symlink();
        t_user();
        t_pods();

        read_file_at(AT_FDCWD, "/proc/self/mountinfo", 1 << 20, &after, NULL);
        is_str(after, before, "mountinfo of the test process is as before");
        free(before);
        free(after);
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        ok(system(cmd) == 0, "temporary files removed");
        return done_testing();
}
