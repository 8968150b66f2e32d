/* Attribution of notify datagrams: a table of senders and services. */
#include "notify.h"
#include "tap.h"
#include "util.h"

#define NA NOTIFY_ACCESS_ALL
#define NM NOTIFY_ACCESS_MAIN
#define NN NOTIFY_ACCESS_NONE

/* web runs in leaf "web" with access main, ngx in "x/web" with access all,
 * off in "off" with none, plain runs without cgroups with access all,
 * jail under a namespace init, simple is not a notify service. */
static const struct notify_target targets[] = {
        { .main_pid = 100, .leaf = "web", .access = NM, .notify = true },
        { .main_pid = 200, .leaf = "x/web", .access = NA, .notify = true },
        { .main_pid = 300, .leaf = "off", .access = NN, .notify = true },
        { .main_pid = 400, .leaf = NULL, .access = NA, .notify = true },
        { .main_pid = 500, .leaf = "jail", .main_is_ns_init = true, .access = NM, .notify = true },
        { .main_pid = 600, .leaf = "simple", .access = NA, .notify = false },
        { .main_pid = 0, .leaf = "down", .access = NA, .notify = true },
        { .main_pid = 700, .leaf = NULL, .access = NM, .notify = true },
};

static const pid_t anc_400[] = { 401, 400, 1 };
static const pid_t anc_700[] = { 700, 1 };
static const pid_t anc_500[] = { 500, 1 };
static const pid_t anc_501[] = { 501, 500, 1 };
static const pid_t anc_stranger[] = { 999, 1 };

static const struct {
        const char *what;
        struct notify_sender snd;
        ssize_t want;
        size_t service;
        enum notify_refusal why;
} cases[] = {
        { "the main process of web", { .pid = 100 }, 0, 0, 0 },
        { "another process of web's leaf, access main", { .pid = 101, .cgroup = "web" }, -1, 0,
          NOTIFY_REFUSED_NOT_MAIN },
        { "a process of a foreign cgroup ending in /web", { .pid = 900, .cgroup = "../x/web" }, -1, SIZE_MAX,
          NOTIFY_REFUSED_STRANGER },
        { "a process in x/web speaks for ngx, not web", { .pid = 201, .cgroup = "x/web" }, 1, 1, 0 },
        { "a process in web/x is nobody's", { .pid = 202, .cgroup = "web/x" }, -1, SIZE_MAX,
          NOTIFY_REFUSED_STRANGER },
        { "a process outside corral's root", { .pid = 203, .cgroup = "" }, -1, SIZE_MAX, NOTIFY_REFUSED_STRANGER },
        { "cgroup not read: nobody's", { .pid = 204 }, -1, SIZE_MAX, NOTIFY_REFUSED_STRANGER },
        { "the main process of off (none)", { .pid = 300 }, -1, 2, NOTIFY_REFUSED_NONE },
        { "a process of off (none)", { .pid = 301, .cgroup = "off" }, -1, 2, NOTIFY_REFUSED_NONE },
        { "a grandchild of plain (all, no cgroups)", { .pid = 402, .ancestors = anc_400, .n_ancestors = 3 }, 3, 3,
          0 },
        { "a child of a main process without cgroups, access main",
          { .pid = 701, .ancestors = anc_700, .n_ancestors = 2 }, -1, 7, NOTIFY_REFUSED_NOT_MAIN },
        { "a cgroup named like no leaf with ancestors elsewhere",
          { .pid = 998, .cgroup = "zzz", .ancestors = anc_stranger, .n_ancestors = 2 }, -1, SIZE_MAX,
          NOTIFY_REFUSED_STRANGER },
        { "the command under jail's namespace init", { .pid = 501, .ancestors = anc_500, .n_ancestors = 2 }, 4, 4,
          0 },
        { "a grandchild under jail's init", { .pid = 502, .cgroup = "jail", .ancestors = anc_501, .n_ancestors = 3 },
          -1, 4, NOTIFY_REFUSED_NOT_MAIN },
        { "the main process of a simple service", { .pid = 600 }, -1, 5, NOTIFY_REFUSED_NOT_NOTIFY },
        { "a process in the leaf of a service that is down", { .pid = 800, .cgroup = "down" }, -1, SIZE_MAX,
          NOTIFY_REFUSED_STRANGER },
        { "pid 0", { .pid = 0, .cgroup = "web" }, -1, SIZE_MAX, NOTIFY_REFUSED_STRANGER },
};

int main(void) {
        size_t n = ARRAY_SIZE(targets);
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                size_t svc = 12345;
                enum notify_refusal why = 99;
                ssize_t got = notify_attribute(targets, n, &cases[i].snd, &svc, &why);
                ok(got == cases[i].want && svc == cases[i].service && (got >= 0 || why == cases[i].why),
                   "%s (got %zd, service %zu, reason %d)", cases[i].what, got, svc == SIZE_MAX ? 99 : svc, (int)why);
        }
        ok(notify_wants_cgroup(targets, n), "a running target with a leaf and access all wants the cgroup");
        ok(!notify_wants_cgroup(targets, 1), "access main alone reads no cgroup");
        ok(notify_wants_ancestors(targets + 3, 1), "all without cgroups wants ancestors");
        ok(!notify_wants_ancestors(targets, 3), "targets with leaves and no namespace init read no ancestors");
        return done_testing();
}
