#include <stdbool.h>
#include <signal.h>

#include "order.h"
#include "registry.h"
#include "sigpolicy.h"
#include "tap.h"
#include "util.h"

/* db <- web <- proxy, db <- worker; migrate (oneshot) <- web */
static void test_order(void) {
        static size_t web_after[] = { 0, 4 }, proxy_after[] = { 1 }, worker_after[] = { 0 };
        struct service sv[5] = {0};
        sv[1].after_idx = web_after, sv[1].n_after = 2;
        sv[2].after_idx = proxy_after, sv[2].n_after = 1;
        sv[3].after_idx = worker_after, sv[3].n_after = 1;
        struct model m = { .services = sv, .n_services = 5 };
        struct svc_rt rt[5];
        for (int i = 0; i < 5; i++)
                svc_rt_init(&rt[i]);

        ok(order_can_start(&m, rt, 0) && order_can_start(&m, rt, 4), "services without after start at once");
        ok(!order_can_start(&m, rt, 1) && !order_can_start(&m, rt, 3), "dependents wait");
        rt[0].ready = true;
        ok(order_can_start(&m, rt, 3) && !order_can_start(&m, rt, 1), "worker may start once db is ready; web also waits for migrate");
        rt[4].ready = true;
        ok(order_can_start(&m, rt, 1) && !order_can_start(&m, rt, 2), "web may start; proxy waits for web");

        struct order o;
        ok(order_build(&m, &o) == 0, "reverse edges built");
        ok(o.n_dependents[0] == 2 && o.n_dependents[1] == 1 && o.n_dependents[2] == 0 && o.n_dependents[4] == 1,
           "dependents counted");
        /* The pod stops: every service is to stop. */
        for (int i = 0; i < 5; i++) {
                rt[i].state = SVC_READY;
                rt[i].want = SVC_WANT_UP;
                rt[i].hold = SVC_STOP_POD;
        }
        ok(order_can_stop(&o, rt, 2) && order_can_stop(&o, rt, 3), "leaves stop first");
        ok(!order_can_stop(&o, rt, 1) && !order_can_stop(&o, rt, 0), "web and db wait");
        rt[2].state = SVC_STOPPING;
        ok(!order_can_stop(&o, rt, 1), "stopping is not down yet");
        rt[2].state = SVC_STOPPED;
        ok(order_can_stop(&o, rt, 1) && !order_can_stop(&o, rt, 0), "web after proxy; db still waits for web and worker");
        rt[1].state = SVC_EXITED;
        rt[3].state = SVC_FAILED;
        ok(order_can_stop(&o, rt, 0) && order_can_stop(&o, rt, 4), "db and migrate last");
        /* A reload: db is replaced, worker (after db) is not. */
        rt[3].state = SVC_READY;
        rt[3].hold = SVC_STOP_NONE;
        ok(order_can_stop(&o, rt, 0), "a dependent meant to run on does not hold the stop of what it comes after");
        rt[3].hold = SVC_STOP_RELOAD;
        ok(!order_can_stop(&o, rt, 0), "a dependent to stop as well does");
        rt[3].hold = SVC_STOP_NONE;
        rt[3].want = SVC_WANT_DOWN;
        ok(!order_can_stop(&o, rt, 0), "so does one an operator stops");
        order_done(&o);
}

static void test_registry(void) {
        struct registry r;
        ok(registry_init(&r, 4) == 0 && r.cap >= 8, "registry sized");
        bool all = true;
        for (pid_t p = 1; p <= 5000; p++)
                all = all && registry_put(&r, p * 7, (uint32_t)p) == 0;
        ok(all && r.n == 5000, "5000 pids stored, growing as needed");
        uint32_t v = 0;
        all = true;
        for (pid_t p = 1; p <= 5000; p++)
                all = all && registry_get(&r, p * 7, &v) == 0 && v == (uint32_t)p;
        ok(all, "every pid found with its value");
        ok(registry_get(&r, 3, &v) == -ENOENT, "an unknown pid is not found");
        all = true;
        for (pid_t p = 1; p <= 5000; p += 2)
                all = all && registry_del(&r, p * 7) == 0;
        ok(all && r.n == 2500, "half removed");
        all = true;
        for (pid_t p = 1; p <= 5000; p++) {
                int k = registry_get(&r, p * 7, &v);
                all = all && (p % 2 ? k == -ENOENT : (k == 0 && v == (uint32_t)p));
        }
        ok(all, "removals keep every other chain intact");
        ok(registry_del(&r, 7) == -ENOENT, "double removal is -ENOENT");
        ok(registry_put(&r, 14, 99) == 0 && registry_get(&r, 14, &v) == 0 && v == 99 && r.n == 2500,
           "put replaces");
        ok(registry_put(&r, 0, 1) == -EINVAL && registry_put(&r, -5, 1) == -EINVAL, "pids <= 0 refused");
        registry_done(&r);
}

static void test_sigpolicy(void) {
        ok(sig_policy(SIGTERM, SIGMODE_POD) == SIGACT_SHUTDOWN && sig_policy(SIGINT, SIGMODE_POD) == SIGACT_SHUTDOWN,
           "pod: TERM and INT stop the pod");
        ok(sig_policy(SIGHUP, SIGMODE_POD) == SIGACT_RELOAD && sig_policy(SIGHUP, SIGMODE_MACHINE) == SIGACT_RELOAD,
           "pod and machine: HUP reloads");
        ok(sig_policy(SIGUSR1, SIGMODE_POD) == SIGACT_FORWARD && sig_policy(SIGWINCH, SIGMODE_POD) == SIGACT_FORWARD &&
                   sig_policy(SIGQUIT, SIGMODE_POD) == SIGACT_FORWARD &&
                   sig_policy(SIGRTMIN + 1, SIGMODE_POD) == SIGACT_FORWARD,
           "pod: other catchable signals are forwarded");
        bool all = true;
        for (int sig = 1; sig < NSIG; sig++)
                if (sig_policy(sig, SIGMODE_POD) != SIGACT_NONE)
                        all = all && sig_policy(sig, SIGMODE_TINI) == SIGACT_FORWARD;
        ok(all && sig_policy(SIGTERM, SIGMODE_TINI) == SIGACT_FORWARD &&
                   sig_policy(SIGINT, SIGMODE_TINI) == SIGACT_FORWARD && sig_policy(SIGHUP, SIGMODE_TINI) == SIGACT_FORWARD,
           "tini: every catchable signal is forwarded, TERM, INT and HUP included");
        ok(sig_policy(SIGTERM, SIGMODE_MACHINE) == SIGACT_SHUTDOWN && sig_policy(SIGINT, SIGMODE_MACHINE) == SIGACT_SHUTDOWN &&
                   sig_policy(SIGUSR1, SIGMODE_MACHINE) == SIGACT_SHUTDOWN &&
                   sig_policy(SIGUSR2, SIGMODE_MACHINE) == SIGACT_SHUTDOWN &&
                   sig_policy(SIGWINCH, SIGMODE_MACHINE) == SIGACT_FORWARD,
           "machine: TERM, USR2, INT and USR1 end it, the rest is forwarded");
        ok(sig_policy(SIGCHLD, SIGMODE_POD) == SIGACT_NONE && sig_policy(SIGKILL, SIGMODE_TINI) == SIGACT_NONE &&
                   sig_policy(SIGPIPE, SIGMODE_TINI) == SIGACT_NONE && sig_policy(SIGSEGV, SIGMODE_TINI) == SIGACT_NONE &&
                   sig_policy(SIGTTIN, SIGMODE_TINI) == SIGACT_NONE && sig_policy(SIGTTOU, SIGMODE_POD) == SIGACT_NONE,
           "CHLD, KILL, PIPE, TTIN, TTOU and faults are not taken over");
        ok(sig_policy_ignored[0] == SIGTTIN && sig_policy_ignored[1] == SIGTTOU, "TTIN and TTOU are ignored instead");
        int sigs[NSIG];
        size_t n = sig_policy_handled(sigs, ARRAY_SIZE(sigs));
        bool has_hup = false, has_chld = false, has_ttou = false;
        for (size_t i = 0; i < n; i++) {
                has_hup |= sigs[i] == SIGHUP;
                has_chld |= sigs[i] == SIGCHLD;
                has_ttou |= sigs[i] == SIGTTOU;
        }
        ok(n > 20 && has_hup && !has_chld && !has_ttou, "handled list (%zu signals)", n);
}

int main(void) {
        test_order();
        test_registry();
        test_sigpolicy();
        return done_testing();
}
