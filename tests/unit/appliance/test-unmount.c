/* The machine's last unmounting against a fake mount table: as many mounts
 * as there are (far more than 512), passes until nothing more goes (a
 * mount listed before the one below it goes in a later pass), busy ones
 * remounted read-only, "/" last, /proc kept. */
#include "appliance.h"
#include "tap.h"
#include "util.h"

#define MAX_MOUNTS 800

struct fake {
        int id[MAX_MOUNTS], parent[MAX_MOUNTS];
        char path[MAX_MOUNTS][64];
        bool mounted[MAX_MOUNTS], busy[MAX_MOUNTS], ro[MAX_MOUNTS];
        size_t n;
        size_t reads, umount_calls;
};

static void add(struct fake *f, int parent, const char *path, bool busy) {
        size_t i = f->n++;
        f->id[i] = (int)i + 1;
        f->parent[i] = parent;
        snprintf(f->path[i], sizeof f->path[i], "%s", path);
        f->mounted[i] = true;
        f->busy[i] = busy;
}

static int fake_read(void *ud, char **ret) {
        struct fake *f = ud;
        size_t cap = f->n * 128 + 1, len = 0;
        char *t = malloc(cap);
        if (!t)
                return -ENOMEM;
        t[0] = '\0';
        for (size_t i = 0; i < f->n; i++)
                if (f->mounted[i])
                        len += (size_t)snprintf(t + len, cap - len, "%d %d 0:%zu / %s rw - tmpfs t rw\n", f->id[i],
                                                f->parent[i], i, f->path[i]);
        f->reads++;
        *ret = t;
        return 0;
}

/* The topmost mount at path. */
static ssize_t find(struct fake *f, const char *path) {
        for (size_t i = f->n; i-- > 0;)
                if (f->mounted[i] && streq(f->path[i], path))
                        return (ssize_t)i;
        return -1;
}

static int fake_umount(void *ud, const char *path) {
        struct fake *f = ud;
        f->umount_calls++;
        ssize_t i = find(f, path);
        if (i < 0)
                return -EINVAL;
        if (f->busy[i])
                return -EBUSY;
        for (size_t k = 0; k < f->n; k++)
                if (f->mounted[k] && f->parent[k] == f->id[i])
                        return -EBUSY; /* something is mounted below it */
        f->mounted[i] = false;
        return 0;
}

static int fake_remount(void *ud, const char *path) {
        struct fake *f = ud;
        ssize_t i = find(f, path);
        if (i < 0)
                return -EINVAL;
        f->ro[i] = true;
        return 0;
}

int main(void) {
        static struct fake f;
        add(&f, 0, "/", false);
        add(&f, 1, "/proc", false);
        add(&f, 1, "/mnt", false);
        /* Listed before its parent, as after a mount --move: tried after
         * it in a pass, so the parent needs a second one. */
        add(&f, 7, "/srv/a/b", false);
        add(&f, 1, "/mnt/busy", true);
        add(&f, 5, "/mnt/busy/inner", false);
        add(&f, 1, "/srv/a", false);
        char p[64];
        for (int i = 0; i < 700; i++) {
                snprintf(p, sizeof p, "/mnt/m%d", i);
                add(&f, 3, p, false);
        }
        struct unmount_ops ops = { fake_read, fake_umount, fake_remount, &f };
        struct unmount_report rep;
        appliance_unmount_all(&ops, &rep);
        is_int(rep.unmounted, 704, "every mount that can go went: 700 tmpfs, /mnt, /srv/a, /srv/a/b and the one "
                                   "below the busy one");
        is_int(rep.passes, 3, "passes until one unmounted nothing");
        ok(!f.mounted[6] && !f.mounted[3], "a mount listed before the one it sits on went in a later pass");
        is_int(rep.busy, 1, "one busy mount left");
        ok(f.mounted[4] && f.ro[4], "the busy mount was remounted read-only");
        is_int(rep.remounted, 1, "counted as remounted");
        ok(rep.root_ro && f.ro[0], "/ remounted read-only");
        ok(f.mounted[1] && !f.ro[1], "/proc kept as it was");
        size_t n = 0;
        _cleanup_free_ char **order = NULL;
        _cleanup_free_ char *text = NULL;
        for (size_t i = 0; i < f.n; i++)
                f.mounted[i] = true;
        fake_read(&f, &text);
        ok(appliance_unmount_order(text, &order, &n) == 0 && n == f.n - 1, "the order holds all %zu mounts but /",
           f.n - 1);
        is_str(n ? order[0] : NULL, "/mnt/m699", "latest first");
        is_str(n ? order[n - 1] : NULL, "/proc", "earliest last");
        return done_testing();
}
