/* Start order from `after`, and cycle messages. */
#include "plan.h"
#include "tap.h"

/* A model of n services named by letters (or s0..sN), edges given as
 * "ab" = a after b. */
static void build(struct model *m, size_t n, const char *const *edges) {
        *m = (struct model){ 0 };
        m->services = calloc(n, sizeof *m->services);
        m->n_services = n;
        for (size_t i = 0; i < n; i++) {
                struct service *s = &m->services[i];
                service_init_defaults(s);
                s->name = n <= 26 ? xasprintf("%c", (char)('a' + i)) : xasprintf("s%zu", i);
                s->loc = (struct loc){ "test.conf", (int)(10 + i) };
        }
        for (const char *const *e = edges; e && *e; e++) {
                struct service *s = &m->services[(*e)[0] - 'a'];
                s->after_idx = realloc(s->after_idx, (s->n_after + 1) * sizeof *s->after_idx);
                s->after_idx[s->n_after++] = (size_t)((*e)[1] - 'a');
        }
}

static char *order_string(const struct model *m, const size_t *order) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        for (size_t i = 0; i < m->n_services; i++)
                fputs(m->services[order[i]].name, f);
        fclose(f);
        return buf;
}

static void order_case(size_t n, const char *const *edges, const char *want) {
        struct model m;
        struct diags d = { 0 };
        size_t *order = NULL;
        build(&m, n, edges);
        int r = plan_start_order(&m, &order, &d);
        char *got = r == 0 ? order_string(&m, order) : NULL;
        tap_is_str(got, want, "order %s", want);
        free(got);
        free(order);
        diags_free(&d);
        model_free(&m);
}

static void cycle_case(size_t n, const char *const *edges, size_t n_msgs, const char *want) {
        struct model m;
        struct diags d = { 0 };
        size_t *order = (size_t *)1;
        build(&m, n, edges);
        int r = plan_start_order(&m, &order, &d);
        tap_ok(r == -EINVAL && order == (size_t *)1 && d.n == n_msgs, "cycle refused with %zu message(s)", n_msgs);
        tap_is_str(d.n ? d.v[0].msg : NULL, want, "cycle message");
        diags_free(&d);
        model_free(&m);
}

int main(void) {
        order_case(3, NULL, "abc");
        order_case(3, (const char *const[]){ "ac", NULL }, "bca");
        order_case(4, (const char *const[]){ "ab", "bc", "cd", NULL }, "dcba");
        order_case(4, (const char *const[]){ "da", "db", "ca", NULL }, "abcd");
        order_case(5, (const char *const[]){ "ae", "be", NULL }, "cdeab");
        order_case(3, (const char *const[]){ "ab", "ab", NULL }, "bca");
        order_case(0, NULL, "");

        cycle_case(3, (const char *const[]){ "ab", "bc", "ca", NULL }, 1,
                   "test.conf:10: service \"a\": after: cycle a -> b -> c -> a");
        cycle_case(3, (const char *const[]){ "ba", "cb", "ac", NULL }, 1,
                   "test.conf:10: service \"a\": after: cycle a -> c -> b -> a");
        cycle_case(2, (const char *const[]){ "bb", NULL }, 1, "test.conf:11: service \"b\": after: cycle b -> b");
        /* Two cycles and a service waiting on one of them: two messages. */
        cycle_case(6, (const char *const[]){ "ab", "ba", "fc", "cd", "dc", NULL }, 2,
                   "test.conf:10: service \"a\": after: cycle a -> b -> a");

        /* A chain of 4096 and a fan-in: linear time, not quadratic. */
        struct model m;
        struct diags d = { 0 };
        size_t *order = NULL;
        build(&m, 4096, NULL);
        for (size_t i = 0; i + 1 < 4096; i++) {
                struct service *s = &m.services[i];
                s->after_idx = malloc(2 * sizeof *s->after_idx);
                s->after_idx[s->n_after++] = i + 1;
                s->after_idx[s->n_after++] = 4095;
        }
        uint64_t t0 = now_ms();
        int r = plan_start_order(&m, &order, &d);
        bool ok = r == 0;
        for (size_t i = 0; ok && i < 4096; i++)
                ok = order[i] == 4095 - i;
        tap_ok(ok, "chain of 4096 in reverse order");
        tap_ok(now_ms() - t0 < 1000, "planned in %llu ms", (unsigned long long)(now_ms() - t0));
        free(order);
        model_free(&m);
        diags_free(&d);
        return tap_done();
}
