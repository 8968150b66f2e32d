/* The cgroup module on a kernel with every v2 controller (run in the VM
 * tier): the tree of a three-level plan with the exact subtree_control at
 * every level, init holding this process and a planted one, limits written
 * as declared, memory_max enforced with the OOM kill reported, pids_max
 * stopping a fork bomb, cpu_max throttling, a threaded group, and nothing
 * left after destroy.  Prints "ok - ..." lines (the harness numbers them).
 *
 *   cgroup-check [--cgroup-root PATH]      (default: its own cgroup) */
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "../../../src/cgroup/cgroup-internal.h"
#include "sys.h"

static int failed;
static void okf(bool cond, const char *fmt, ...) _printf_(2, 3);
static void okf(bool cond, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        printf("%sok - ", cond ? "" : "not ");
        vprintf(fmt, ap);
        printf("\n");
        fflush(stdout);
        va_end(ap);
        failed += !cond;
}

static struct model M;
static struct cg_limits *add(bool service, const char *name, const char *path, bool threaded) {
        if (service) {
                M.services = realloc(M.services, (M.n_services + 1) * sizeof *M.services);
                struct service *s = &M.services[M.n_services++];
                service_init_defaults(s);
                s->name = strdup(name);
                s->loc = (struct loc){ M.files[0], (int)M.n_services };
                s->cgroup_path = strdup(path);
                return &s->limits;
        }
        M.groups = realloc(M.groups, (M.n_groups + 1) * sizeof *M.groups);
        struct group_decl *g = &M.groups[M.n_groups++];
        *g = (struct group_decl){ .path = strdup(path), .loc = { M.files[0], 100 + (int)M.n_groups } };
        g->threaded = threaded;
        return &g->limits;
}
#define SET(l, k, v) ((l)->value[k] = strdup(v))

enum { S_MEM, S_BOMB, S_SPIN, S_IO, S_TW };

static void build_model(void) {
        settings_init_defaults(&M.settings);
        M.files = calloc(2, sizeof *M.files);
        M.files[0] = strdup("vm.conf");
        M.n_files = 1;
        struct cg_limits *l = add(false, NULL, "pod", false);
        SET(l, CG_MEMORY_HIGH, "104857600");
        SET(l, CG_CPU_WEIGHT, "200");
        SET(l, CG_MEMORY_LOW, "1048576");
        SET(add(false, NULL, "pod/backend", false), CG_PIDS_MAX, "256");
        SET(add(false, NULL, "tpod", false), CG_PIDS_MAX, "100");
        SET(add(false, NULL, "tpod/t", true), CG_CPU_MAX, "20000 100000");
        l = add(true, "mem", "pod/backend/mem", false);
        SET(l, CG_MEMORY_MAX, "16777216");
        SET(l, CG_MEMORY_SWAP_MAX, "0");
        SET(add(true, "bomb", "pod/backend/bomb", false), CG_PIDS_MAX, "16");
        l = add(true, "spin", "pod/spin", false);
        SET(l, CG_CPU_MAX, "10000 100000");
        SET(l, CG_CPUSET_CPUS, "0");
        SET(add(true, "io", "io", false), CG_IO_WEIGHT, "50");
        SET(add(true, "tw", "tpod/t/tw", false), CG_PIDS_MAX, "8");
}

/* Workloads, run in a child started straight into a leaf. */
static _noreturn_ void eat_memory(void) {
        for (int i = 0; i < 256; i++) {
                char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED)
                        _exit(2);
                memset(p, 0x5a, 1 << 20);
        }
        _exit(0);
}

static _noreturn_ void fork_bomb(int out) {
        int n = 0;
        for (int i = 0; i < 1000; i++) {
                pid_t c = fork();
                if (c == 0)
                        for (;;)
                                pause();
                if (c < 0)
                        break;
                n++;
        }
        dprintf(out, "%d\n", n);
        for (;;)
                pause();
}

static _noreturn_ void spin(void) {
        uint64_t end = now_ms() + 1500;
        while (now_ms() < end)
                ;
        _exit(0);
}

static pid_t start_in(struct cgroup_tree *t, size_t s, int kind, int out) {
        int fd = cgroup_service_fd(t, s);
        struct clone_args a = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)fd };
        long pid = fd < 0 ? -1 : sys_clone3(&a, sizeof a);
        if (pid == 0) {
                if (kind == 0)
                        eat_memory();
                if (kind == 1)
                        fork_bomb(out);
                if (kind == 2)
                        spin();
                for (;;)
                        pause();
        }
        return (pid_t)pid;
}

static const char *rootp;
static char *readf(const char *rel, const char *file) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s%s%s", rootp, rel, *rel ? "/" : "", file);
        char *text = NULL;
        if (read_file_at(AT_FDCWD, path, 1 << 20, &text, NULL) < 0)
                return strdup("(unreadable)");
        size_t n = strlen(text);
        while (n && text[n - 1] == '\n')
                text[--n] = '\0';
        return text;
}

static void is_file(const char *rel, const char *file, const char *want) {
        _cleanup_free_ char *got = readf(rel, file);
        okf(streq(got, want), "%s/%s is \"%s\" (got \"%s\")", *rel ? rel : ".", file, want, got);
}

static uint64_t oom_seen, emptied_seen;
static void on_event(void *u, const struct cgroup_event *ev) {
        (void)u;
        if (ev->kind == CGROUP_EVENT_OOM && ev->service == S_MEM) {
                oom_seen = ev->count;
                printf("# service \"mem\": OOM killer killed a process (%llu total)\n", (unsigned long long)ev->count);
        }
        if (ev->kind == CGROUP_EVENT_EMPTIED)
                emptied_seen |= 1u << ev->service;
}

static bool pump_until(struct cgroup_tree *t, uint64_t *flag, uint64_t mask, int ms) {
        uint64_t deadline = now_ms() + (uint64_t)ms;
        while (!(*flag & mask) && now_ms() < deadline) {
                struct pollfd p = { .fd = cgroup_tree_event_fd(t), .events = POLLIN };
                poll(&p, 1, 200);
                cgroup_tree_dispatch(t, on_event, NULL);
        }
        return *flag & mask;
}

static void check_tree(const struct cgroup_plan *plan, bool hierarchy_root) {
        static const struct {
                const char *path, *want;
        } fixed[] = {
                { "", "cpuset cpu io memory pids" }, { "init", "" },          { "io", "" },
                { "pod", "cpuset cpu memory pids" }, { "pod/backend", "memory pids" },
                { "pod/backend/bomb", "" },          { "pod/backend/mem", "" }, { "pod/spin", "" },
                { "tpod", "cpu pids" },              { "tpod/t", "pids" },      { "tpod/t/tw", "" },
        };
        okf(plan->n_nodes == ARRAY_SIZE(fixed), "the plan has %zu cgroups", ARRAY_SIZE(fixed));
        for (size_t i = 0; i < ARRAY_SIZE(fixed) && i < plan->n_nodes; i++) {
                const char *path = fixed[i].path;
                _cleanup_free_ char *got = readf(path, "cgroup.subtree_control");
                if (i == 0 && hierarchy_root) {
                        /* The machine's top cgroup may enable more for others. */
                        okf(strstr(got, "cpu") && strstr(got, "memory") && strstr(got, "pids") && strstr(got, "io"),
                            "./cgroup.subtree_control enables cpu io memory pids (got \"%s\")", got);
                        continue;
                }
                okf(streq(plan->nodes[i].path, path) && streq(got, fixed[i].want),
                    "%s/cgroup.subtree_control is exactly \"%s\" (got \"%s\")", *path ? path : ".", fixed[i].want, got);
        }
}

static bool procs_has(const char *rel, pid_t pid) {
        /* A threaded cgroup's cgroup.procs cannot be read: its threads. */
        _cleanup_free_ char *type = readf(rel, "cgroup.type");
        _cleanup_free_ char *text = readf(rel, streq(type, "threaded") ? "cgroup.threads" : "cgroup.procs");
        for (char *l = text, *save = NULL; (l = strtok_r(l, "\n", &save)); l = NULL)
                if (atoi(l) == pid)
                        return true;
        return false;
}

static void check_writes(void) {
        is_file("pod", "memory.high", "104857600");
        is_file("pod", "cpu.weight", "200");
        is_file("pod", "memory.low", "1048576");
        is_file("pod/backend/mem", "memory.swap.max", "0");
        is_file("pod/backend", "pids.max", "256");
        is_file("pod/backend/mem", "memory.max", "16777216");
        is_file("pod/backend/bomb", "pids.max", "16");
        is_file("pod/spin", "cpu.max", "10000 100000");
        is_file("pod/spin", "cpuset.cpus", "0");
        is_file("io", "io.weight", "default 50");
        is_file("tpod", "cgroup.type", "domain threaded");
        is_file("tpod/t", "cgroup.type", "threaded");
        is_file("tpod/t/tw", "cgroup.type", "threaded");
        is_file("tpod/t", "cpu.max", "20000 100000");
        is_file("tpod/t/tw", "pids.max", "8");
}

static void check_oom(struct cgroup_tree *t) {
        pid_t pid = start_in(t, S_MEM, 0, -1);
        bool seen = pump_until(t, &oom_seen, ~0ull, 60000);
        okf(seen, "memory_max: the OOM kill is reported (%llu)", (unsigned long long)oom_seen);
        if (pid <= 0)
                return;
        int st = 0;
        okf(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
            "memory_max: the process eating 256 MiB under 16 MiB was SIGKILLed");
        struct cgroup_stats s = {0};
        int r = cgroup_service_stats(t, S_MEM, &s);
        okf(r == 0 && s.oom_kills == 1 && s.has_memory && s.memory_limited &&
                    s.memory_max == 16777216,
            "stats: oom_kills %llu, memory.max %llu", (unsigned long long)s.oom_kills,
            (unsigned long long)s.memory_max);
}

static void check_bomb(struct cgroup_tree *t) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return;
        pid_t pid = start_in(t, S_BOMB, 1, p[1]);
        close(p[1]);
        char buf[32] = "";
        struct pollfd pf = { .fd = p[0], .events = POLLIN };
        if (poll(&pf, 1, 60000) > 0 && read(p[0], buf, sizeof buf - 1) > 0)
                okf(atoi(buf) > 0 && atoi(buf) < 16, "pids_max: the fork bomb stopped after %d forks", atoi(buf));
        else
                okf(false, "pids_max: the fork bomb reported");
        close(p[0]);
        uint64_t max = 0;
        _cleanup_free_ char *ev = readf("pod/backend/bomb", "pids.events");
        int r = cgroup_parse_keyed(ev, "max", &max);
        okf(r == 0 && max > 0, "pids.events max %llu", (unsigned long long)max);
        emptied_seen = 0;
        okf(cgroup_service_kill(t, S_BOMB) == 0, "fork bomb killed by cgroup");
        okf(pump_until(t, &emptied_seen, 1u << S_BOMB, 20000), "its cgroup reports populated 0");
        if (pid > 0)
                waitpid(pid, NULL, 0);
        pid_t c = fork();
        if (c == 0)
                _exit(0);
        int st = 0;
        okf(c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st), "the supervisor still forks");
        okf(cgroup_service_remove(t, S_BOMB) == 0, "the bomb's leaf removed after stop");
}

static void check_spin_and_threaded(struct cgroup_tree *t) {
        pid_t pid = start_in(t, S_SPIN, 2, -1);
        if (pid > 0)
                waitpid(pid, NULL, 0);
        uint64_t thr = 0;
        _cleanup_free_ char *st = readf("pod/spin", "cpu.stat");
        int r = cgroup_parse_keyed(st, "nr_throttled", &thr);
        okf(r == 0 && thr > 0, "cpu_max: cpu.stat nr_throttled %llu > 0",
            (unsigned long long)thr);

        pid = start_in(t, S_TW, 3, -1);
        okf(pid > 0 && procs_has("tpod/t/tw", pid), "a process runs in the threaded leaf tpod/t/tw (%d)", pid);
        if (pid <= 0)
                return;
        emptied_seen = 0;
        r = cgroup_service_kill(t, S_TW);
        okf(r == 0 && pump_until(t, &emptied_seen, 1u << S_TW, 20000), "killed by cgroup in the threaded subtree (%d)",
            r);
        waitpid(pid, NULL, 0);
}

int main(int argc, char **argv) {
        const char *root = NULL;
        pid_t planted = 0;
        for (int i = 1; i + 1 < argc; i += 2) {
                if (streq(argv[i], "--cgroup-root"))
                        root = argv[i + 1];
                else if (streq(argv[i], "--planted"))
                        planted = atoi(argv[i + 1]);
        }
        struct cgroup_probe p;
        if (cgroup_probe(root, &p) < 0 || p.problem) {
                okf(false, "cgroup2 usable: %s", p.problem ? p.problem : "probe failed");
                return 1;
        }
        cgroup_probe_print(&p, stdout);
        rootp = p.root;
        build_model();
        struct diags d = {0}, w = {0};
        struct cgroup_plan *plan = NULL;
        int r = cgroup_plan_load(&M, &p, &plan, &d, &w);
        diags_print(&d, stdout);
        okf(r == 0, "three-level plan with every kind of limit accepted");
        struct cgroup_tree *t = NULL;
        r = r < 0 ? r : cgroup_tree_apply(plan, &p, &t, &d);
        diags_print(&d, stdout);
        okf(r == 0, "tree applied under %s", p.root);
        if (r == 0) {
                okf(procs_has("init", getpid()), "init holds the supervisor");
                if (planted)
                        okf(procs_has("init", planted), "the process planted in the root was moved into init");
                _cleanup_free_ char *rp = readf("", "cgroup.procs");
                okf(p.hierarchy_root || !*rp, "the root holds no process");
                check_tree(plan, p.hierarchy_root);
                check_writes();
                check_oom(t);
                check_bomb(t);
                check_spin_and_threaded(t);
                okf(cgroup_tree_destroy(t) == 0, "tree removed");
                static const char *const gone[] = { "pod", "io", "tpod" };
                for (size_t i = 0; i < ARRAY_SIZE(gone); i++) {
                        char path[1024];
                        snprintf(path, sizeof path, "%s/%s", p.root, gone[i]);
                        okf(access(path, F_OK) < 0, "%s removed after shutdown", gone[i]);
                }
        }
        diags_free(&d);
        diags_free(&w);
        cgroup_plan_free(plan);
        cgroup_probe_done(&p);
        model_free(&M);
        return failed ? 1 : 0;
}
