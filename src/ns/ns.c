/* Placeholder until namespaces and roots are implemented: services declaring
 * none get a NULL plan; anything declared is refused at load. */
#include "ns.h"

int ns_plan_build(const struct model *m, const struct service *s, const char *run_dir,
                  struct ns_plan **ret, struct diags *d) {
        (void)m;
        (void)run_dir;
        if (ns_decl_any(&s->ns) || s->root.kind != ROOT_NONE || s->n_binds > 0) {
                diag_add(d, s->loc.file, s->loc.line, "service \"%s\": namespaces and root are not supported by this build", s->name);
                return -EOPNOTSUPP;
        }
        *ret = NULL;
        return 0;
}

void ns_plan_free(struct ns_plan *p) { (void)p; }
int ns_plan_clone_flags(const struct ns_plan *p) { (void)p; return 0; }
int ns_parent_setup(const struct ns_plan *p, pid_t child) { (void)p; (void)child; return 0; }
int ns_child_setup(const struct ns_plan *p, int errfd) { (void)p; (void)errfd; return 0; }
void ns_plan_print(const struct ns_plan *p, FILE *out) { (void)p; (void)out; }
