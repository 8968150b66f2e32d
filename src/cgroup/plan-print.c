/* The cgroup tree as `corral --check` prints it. */
#include "cgroup-internal.h"

static void print_mask(uint32_t mask, FILE *out) {
        bool first = true;
        fputc('[', out);
        for (int c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                if (!(mask & CGROUP_MASK(c)))
                        continue;
                fprintf(out, "%s+%s", first ? "" : " ", cgroup_controller_to_string(c));
                first = false;
        }
        fputc(']', out);
}

static void print_node(const struct cgroup_node *n, FILE *out) {
        /* Two spaces after the name, one between the attributes. */
        const char *sep = "  ";
        fprintf(out, "%*s%s", (int)(2 * n->depth), "", n->name);
        if (n->kind == CGROUP_NODE_INIT) {
                fprintf(out, "%s(corral)", sep);
                sep = " ";
        } else if (n->kind == CGROUP_NODE_SERVICE) {
                fprintf(out, "%s(service %s)", sep, n->service_name);
                sep = " ";
        }
        if (n->threaded) {
                fprintf(out, "%s(threaded)", sep);
                sep = " ";
        }
        if (n->subtree_control) {
                fputs(sep, out);
                print_mask(n->subtree_control, out);
                sep = " ";
        }
        for (int k = 0; k < _CG_KEY_MAX; k++) {
                if (!n->limits[k])
                        continue;
                /* Quote values with spaces ("50000 100000") so each limit
                 * stays one word of the line. */
                bool quote = strchr(n->limits[k], ' ') != NULL;
                fprintf(out, "%s%s=%s%s%s", sep, cg_keys[k].file, quote ? "\"" : "", n->limits[k],
                        quote ? "\"" : "");
                sep = " ";
        }
        fputc('\n', out);
}

void cgroup_plan_print(const struct cgroup_plan *p, FILE *out) {
        for (size_t i = 0; i < p->n_nodes; i++)
                print_node(&p->nodes[i], out);
}
