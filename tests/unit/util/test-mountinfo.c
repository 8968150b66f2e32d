/* mountinfo fields as the cgroup, ns and appliance modules read them: only
 * a backslash and three octal digits of a byte is an escape; anything else
 * is taken literally, and a line without enough fields has no mount point. */
#include "mountinfo.h"
#include "tap.h"

static const struct {
        const char *in, *out;
} unescapes[] = {
        { "/a\\040b", "/a b" },
        { "/tab\\011x", "/tab\tx" },
        { "/back\\134slash", "/back\\slash" },
        { "/n\\012", "/n\n" },
        { "/\\3ab", "/\\3ab" },   /* not octal: literal */
        { "/\\400", "/\\400" },   /* above \377: literal */
        { "/\\04", "/\\04" },     /* cut short: literal */
        { "/end\\", "/end\\" },
        { "/\\101\\102", "/AB" },
        { "", "" },
};

static const struct {
        const char *line, *mp; /* mp NULL: no mount point */
} lines[] = {
        { "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw", "/mnt2" },
        { "36 35 98:0 / /with\\040space rw - tmpfs tmpfs rw", "/with space" },
        { "36 35 98:0 / /last", NULL },
        { "36 35 98:0 /", NULL },
        { "", NULL },
        { "1 2 3 4 5 6", "5" },
};

int main(void) {
        for (size_t i = 0; i < sizeof unescapes / sizeof *unescapes; i++) {
                char *u = mountinfo_unescape(unescapes[i].in, strlen(unescapes[i].in));
                tap_ok(u && strcmp(u, unescapes[i].out) == 0, "unescape \"%s\" gives \"%s\" (got \"%s\")",
                       unescapes[i].in, unescapes[i].out, u ? u : "(null)");
                free(u);
        }
        for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
                char buf[256];
                snprintf(buf, sizeof buf, "%s", lines[i].line);
                const char *mp = mountinfo_mount_point(buf);
                bool good = lines[i].mp ? mp && strcmp(mp, lines[i].mp) == 0 : !mp;
                tap_ok(good, "mount point of \"%s\" is %s", lines[i].line, lines[i].mp ? lines[i].mp : "none");
        }
        const char *f;
        size_t n;
        const char *l = "a bb  c";
        tap_ok(mountinfo_field(l, strlen(l), 1, &f, &n) && n == 2 && strncmp(f, "bb", 2) == 0, "field 1 is bb");
        tap_ok(mountinfo_field(l, strlen(l), 2, &f, &n) && n == 0, "two spaces make an empty field");
        tap_ok(!mountinfo_field(l, strlen(l), 4, &f, &n), "no field 4 in \"%s\"", l);
        return tap_done();
}
