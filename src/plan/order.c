/* Start order from `after`: Kahn's algorithm over the after edges, in
 * O(services + edges), and a readable message for every cycle. */
#include "plan.h"
#include "util.h"

/* Reverse adjacency in CSR form: for each service, the services that name
 * it in `after`.  Unresolved names (SIZE_MAX) are skipped: they were
 * reported by the loader. */
struct graph {
        size_t *start; /* n + 1 offsets into next */
        size_t *next;
        size_t *indeg;
};

static void graph_free(struct graph *g) {
        free(g->start);
        free(g->next);
        free(g->indeg);
}

static bool edge_ok(const struct model *m, size_t dep) {
        return dep < m->n_services;
}

static int graph_build(const struct model *m, struct graph *g) {
        size_t n = m->n_services, edges = 0;
        g->start = calloc(n + 1, sizeof *g->start);
        g->indeg = calloc(n + 1, sizeof *g->indeg);
        if (!g->start || !g->indeg)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const struct service *s = &m->services[i];
                for (size_t k = 0; s->after_idx && k < s->n_after; k++)
                        if (edge_ok(m, s->after_idx[k])) {
                                g->start[s->after_idx[k] + 1]++;
                                g->indeg[i]++;
                                edges++;
                        }
        }
        for (size_t i = 0; i < n; i++)
                g->start[i + 1] += g->start[i];
        g->next = calloc(edges + 1, sizeof *g->next);
        _cleanup_free_ size_t *fill = calloc(n + 1, sizeof *fill);
        if (!g->next || !fill)
                return -ENOMEM;
        /* Filling in declaration order keeps ties in declaration order. */
        for (size_t i = 0; i < n; i++) {
                const struct service *s = &m->services[i];
                for (size_t k = 0; s->after_idx && k < s->n_after; k++) {
                        size_t dep = s->after_idx[k];
                        if (edge_ok(m, dep))
                                g->next[g->start[dep] + fill[dep]++] = i;
                }
        }
        return 0;
}

static int report_cycle(const struct model *m, const size_t *path, size_t len, struct diags *d) {
        /* Start the cycle at its first-declared member, so that the message
         * does not depend on where the search entered it. */
        size_t first = 0;
        for (size_t i = 1; i < len; i++)
                if (path[i] < path[first])
                        first = i;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i <= len; i++)
                fprintf(f, "%s%s", i ? " -> " : "", m->services[path[(first + i) % len]].name);
        if (fclose(f) != 0)
                return -ENOMEM;
        const struct service *s = &m->services[path[first]];
        diag_add(d, s->loc.file, s->after_line ?: s->loc.line, "service \"%s\": after: cycle %s", s->name, buf);
        return 0;
}

/* Every service left with a positive in-degree waits on another one left,
 * so following such edges from any of them must close a cycle.  Each
 * service is walked once: O(services + edges). */
static int report_cycles(const struct model *m, const size_t *indeg, struct diags *d) {
        size_t n = m->n_services;
        _cleanup_free_ size_t *walk = calloc(n, sizeof *walk);
        _cleanup_free_ size_t *pos = calloc(n, sizeof *pos);
        _cleanup_free_ size_t *path = calloc(n, sizeof *path);
        if (!walk || !pos || !path)
                return -ENOMEM;
        for (size_t u = 0; u < n; u++) {
                if (indeg[u] == 0 || walk[u])
                        continue;
                size_t len = 0, cur = u, id = u + 1;
                while (!walk[cur]) {
                        walk[cur] = id;
                        pos[cur] = len;
                        path[len++] = cur;
                        const struct service *s = &m->services[cur];
                        size_t k = 0;
                        while (!edge_ok(m, s->after_idx[k]) || indeg[s->after_idx[k]] == 0)
                                k++;
                        cur = s->after_idx[k];
                }
                if (walk[cur] == id) {
                        int r = report_cycle(m, path + pos[cur], len - pos[cur], d);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int plan_start_order(const struct model *m, size_t **ret_order, struct diags *d) {
        size_t n = m->n_services, head = 0, tail = 0;
        struct graph g = { 0 };
        _cleanup_free_ size_t *order = calloc(n + 1, sizeof *order);
        int r = order ? graph_build(m, &g) : -ENOMEM;
        if (r < 0) {
                graph_free(&g);
                return r;
        }
        /* order doubles as the FIFO queue of Kahn's algorithm. */
        for (size_t i = 0; i < n; i++)
                if (g.indeg[i] == 0)
                        order[tail++] = i;
        while (head < tail) {
                size_t u = order[head++];
                for (size_t e = g.start[u]; e < g.start[u + 1]; e++)
                        if (--g.indeg[g.next[e]] == 0)
                                order[tail++] = g.next[e];
        }
        if (tail < n) {
                r = report_cycles(m, g.indeg, d);
                graph_free(&g);
                return r < 0 ? r : -EINVAL;
        }
        graph_free(&g);
        *ret_order = TAKE_PTR(order);
        return 0;
}
