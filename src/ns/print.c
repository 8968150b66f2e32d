/* ns_plan_print(): the namespaces and the ordered mount steps of a service
 * for --check, with the exact option strings the kernel will be given. */
#include <sched.h>
#include <sys/mount.h>

#include "ns-internal.h"

static void print_namespaces(const struct ns_plan *p, FILE *out) {
        static const struct {
                int flag;
                const char *name;
        } t[] = {
                { CLONE_NEWPID, "pid" }, { CLONE_NEWNS, "mount" }, { CLONE_NEWNET, "net" },
                { CLONE_NEWUTS, "uts" }, { CLONE_NEWIPC, "ipc" },
                { CLONE_NEWUSER, "user" },
        };
        fprintf(out, "    namespaces:");
        bool any = false;
        for (size_t i = 0; i < ARRAY_SIZE(t); i++)
                if (p->clone_flags & t[i].flag) {
                        fprintf(out, "%s %s", any ? "," : " new", t[i].name);
                        any = true;
                }
        if (p->unshare_cgroup) {
                fprintf(out, "%s cgroup (rooted at the service's cgroup)", any ? "," : " new");
                any = true;
        }
        for (int k = 0; k < _POD_NS_MAX; k++)
                if (p->pod_path[k]) {
                        fprintf(out, "%s joins %s of group \"%s\" (%s)", any ? ";" : "", pod_ns_name[k], p->pod_group[k],
                                p->pod_path[k]);
                        any = true;
                }
        fprintf(out, "%s\n", any ? "" : " none");
        if (p->pid_init)
                fprintf(out, "    pid 1 inside: corral's init (reaps, forwards signals, exits as the service)\n");
        if (p->hostname)
                fprintf(out, "    hostname: \"%s\"\n", p->hostname);
        if (p->lo_up)
                fprintf(out, "    lo: up\n");
        if (p->uid_map)
                fprintf(out, "    uid_map: %.*s\n", (int)strcspn(p->uid_map, "\n"), p->uid_map);
        if (p->gid_map)
                fprintf(out, "    gid_map: %.*s\n", (int)strcspn(p->gid_map, "\n"), p->gid_map);
}

static void print_step(const struct ns_step *st, size_t n, FILE *out) {
        char flags[64];
        ns_flags_string(st->flags, flags, sizeof flags);
        fprintf(out, "      %2zu. ", n);
        switch (st->op) {
        case STEP_MOUNT:
                fprintf(out, "mount %s on %s", st->fstype, st->shown);
                if (st->data)
                        fprintf(out, " -o %s", st->data);
                break;
        case STEP_BIND:
                fprintf(out, "bind %s on %s", st->source, st->shown);
                if (st->optional)
                        fprintf(out, " (if present)");
                break;
        case STEP_REMOUNT_RO:
                fprintf(out, "remount %s%s read-only", st->below ? "every mount below " : "", st->shown);
                if ((st->flags & MS_REC) && !st->below)
                        fputs(" (with every mount below it)", out);
                break;
        case STEP_MKDIR_P:
                fprintf(out, "mkdir -p %s", st->shown);
                break;
        case STEP_SYMLINK:
                fprintf(out, "symlink %s -> %s", st->shown, st->source);
                break;
        default:
                break;
        }
        if (flags[0])
                fprintf(out, " [%s]", flags);
        fputc('\n', out);
}

void ns_plan_print(const struct ns_plan *p, FILE *out) {
        if (!p)
                return;
        print_namespaces(p, out);
        if (p->make_private)
                fprintf(out, "    mount propagation: / made private (recursively) before any mount\n");
        if (p->n_steps == 0)
                return;
        fprintf(out, "    mounts:\n");
        for (size_t i = 0; i < p->n_steps; i++)
                print_step(&p->steps[i], i + 1, out);
        if (p->pivot)
                fprintf(out, "      %2zu. pivot_root to %s, old root detached (from an initramfs: move it "
                        "onto / and chroot)\n", p->n_steps + 1, p->new_root);
}

/* The describable failures that are not mount steps. */
static bool describe_other(const struct ns_plan *p, int what, char *buf, size_t size) {
        int k = what - NS_WHAT_SETNS;
        if (k >= 0 && k < _POD_NS_MAX && p->pod_path[k])
                snprintf(buf, size, "setns %s %s", pod_ns_name[k], p->pod_path[k]);
        else if (what == NS_WHAT_UID_MAP || what == NS_WHAT_GID_MAP) {
                const char *map = what == NS_WHAT_UID_MAP ? p->uid_map : p->gid_map;
                _cleanup_free_ char *shown = map ? ns_map_shown(map) : NULL;
                snprintf(buf, size, "%s \"%s\"", what == NS_WHAT_UID_MAP ? "uid_map" : "gid_map", shown ? shown : "");
        } else if (what == NS_WHAT_PIVOT && p->new_root)
                snprintf(buf, size, "pivot_root %s", p->new_root);
        else if (what == NS_WHAT_HOSTNAME && p->hostname)
                snprintf(buf, size, "sethostname %s", p->hostname);
        else
                return false;
        return true;
}

void ns_failure_describe(const struct ns_plan *p, int what, char *buf, size_t size) {
        static const char *const verb[_STEP_OP_MAX] = { "mount", "bind", "remount read-only", "mkdir", "symlink" };
        if (p && what >= 0 && (size_t)what < p->n_steps) {
                const struct ns_step *st = &p->steps[what];
                if (st->op == STEP_MOUNT)
                        snprintf(buf, size, "mount %s on %s", st->fstype, st->shown);
                else if (st->op == STEP_BIND)
                        snprintf(buf, size, "bind %s on %s", st->source, st->shown);
                else
                        snprintf(buf, size, "%s %s", verb[st->op], st->shown);
                return;
        }
        if (p && describe_other(p, what, buf, size))
                return;
        snprintf(buf, size, "%s", what == NS_WHAT_LO        ? "bring lo up"
                                  : what == NS_WHAT_CGROUP  ? "unshare the cgroup namespace"
                                  : what == NS_WHAT_PRIVATE ? "make / private"
                                  : what == NS_WHAT_FORK    ? "fork the pid namespace's init"
                                  : what == NS_WHAT_USER    ? "become root in the user namespace"
                                                            : "namespaces");
}
