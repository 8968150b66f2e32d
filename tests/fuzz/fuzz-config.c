/* The config loader on a small tree of files built from the input.
 *
 * The input is the text of main.conf; a line "@@ NAME" starts another
 * file (NAME of [a-z0-9._-], up to 24 bytes, "d/" first for a file of the
 * directory d).  The directory d is loaded when the input made a file in
 * it, else main.conf.  Checked: the load returns 0 with no message or
 * -EINVAL with some, within the bounds of config.h; and on each file that
 * holds no @include, the grammar check (syntax.c) and libconfig agree, so
 * that libconfig is never handed text it refuses. */
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-internal.h"
#include "fuzz.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_LSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define HAVE_LSAN 1
#endif
#ifdef HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

#define MAX_FILES 16

struct tree {
        char root[64];
        char *names[MAX_FILES];
        size_t n;
        bool dir;
};

static const char *root_dir(void) {
        static char root[64];
        if (!root[0]) {
                snprintf(root, sizeof root, "/tmp/corral-fuzz-config-%d", (int)getpid());
                if (mkdir(root, 0700) < 0 && errno != EEXIST)
                        abort();
        }
        return root;
}

static bool name_ok(const char *s, size_t n) {
        if (n == 0 || n > 24 || s[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' ||
                      s[i] == '-' || (i == 1 && s[0] == 'd' && s[i] == '/')))
                        return false;
        return !(n == 2 && s[0] == 'd' && s[1] == '/');
}

static void write_one(struct tree *t, const char *name, const uint8_t *p, size_t n) {
        char path[256];
        if (t->n == MAX_FILES)
                return;
        if (strncmp(name, "d/", 2) == 0) {
                snprintf(path, sizeof path, "%s/d", t->root);
                mkdir(path, 0700);
                t->dir = true;
        }
        snprintf(path, sizeof path, "%s/%s", t->root, name);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return;
        FUZZ_ASSERT(write(fd, p, n) == (ssize_t)n);
        close(fd);
        t->names[t->n++] = strdup(name);
}

/* Split the input into files at "\n@@ NAME\n" lines. */
static void build(struct tree *t, const uint8_t *data, size_t size) {
        const char *name = "main.conf";
        char cur[32];
        size_t start = 0;
        for (size_t i = 0; i <= size; i++) {
                if (i < size && !(data[i] == '@' && i + 3 < size && data[i + 1] == '@' && data[i + 2] == ' ' &&
                                  (i == 0 || data[i - 1] == '\n')))
                        continue;
                write_one(t, name, data + start, i - start);
                if (i == size)
                        break;
                const uint8_t *nl = memchr(data + i, '\n', size - i);
                size_t end = nl ? (size_t)(nl - data) : size;
                size_t len = end - (i + 3);
                if (name_ok((const char *)data + i + 3, len)) {
                        memcpy(cur, data + i + 3, len);
                        cur[len] = 0;
                        name = cur;
                } else
                        name = "junk.conf";
                start = i = nl ? end + 1 : size;
                i--;
        }
}

static void cleanup(struct tree *t) {
        char path[256];
        for (size_t i = 0; i < t->n; i++) {
                snprintf(path, sizeof path, "%s/%s", t->root, t->names[i]);
                unlink(path);
                free(t->names[i]);
        }
        snprintf(path, sizeof path, "%s/d", t->root);
        rmdir(path);
}

static bool libconfig_accepts(const char *text) {
        config_t cfg;
        /* Its leak on some refusals is what syntax.c keeps corral from. */
#ifdef HAVE_LSAN
        __lsan_disable();
#endif
        config_init(&cfg);
        bool ok = config_read_string(&cfg, text) == CONFIG_TRUE;
        config_destroy(&cfg);
#ifdef HAVE_LSAN
        __lsan_enable();
#endif
        return ok;
}

/* Refusals of syntax.c that libconfig would not make. */
static bool deliberate(const char *msg) {
        static const char *const why[] = { "unterminated /* comment", "unterminated string", "is out of range for a",
                                           "more than", "nested more than" };
        for (size_t i = 0; i < sizeof why / sizeof *why; i++)
                if (strstr(msg, why[i]))
                        return true;
        return false;
}

static void differential(const uint8_t *data, size_t size) {
        char *text = strndup((const char *)data, size);
        FUZZ_ASSERT(text);
        if (strlen(text) == size && !strstr(text, "@include")) {
                struct source src = { .text = text };
                struct diags d = { 0 };
                size_t values;
                int r = cfg_syntax_check(&src, CONFIG_MAX_VALUES, &values, &d);
                bool theirs = libconfig_accepts(text);
                if (r == 0)
                        FUZZ_ASSERT(theirs);
                else if (r == -EINVAL && d.n == 1 && !deliberate(d.v[0].msg))
                        FUZZ_ASSERT(!theirs);
                diags_free(&d);
        }
        free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct tree t = { .n = 0 };
        snprintf(t.root, sizeof t.root, "%s", root_dir());
        size_t fds = fuzz_open_fds();
        build(&t, data, size);
        char target[128];
        snprintf(target, sizeof target, "%s/%s", t.root, t.dir ? "d" : "main.conf");
        struct config_stats st = { 0 };
        struct config_request req = { .path = target, .stats = &st };
        struct model m = { 0 };
        struct diags d = { 0 };
        int r = config_load(&req, &m, &d);
        FUZZ_ASSERT(r == 0 || r == -EINVAL);
        FUZZ_ASSERT(r == 0 ? diags_empty(&d) && m.n_services > 0 : !diags_empty(&d));
        FUZZ_ASSERT(st.bytes <= CONFIG_MAX_TOTAL_SIZE && st.includes <= CONFIG_MAX_INCLUDES);
        FUZZ_ASSERT(st.values <= CONFIG_MAX_VALUES && d.n <= CONFIG_MAX_ERRORS);
        model_free(&m);
        diags_free(&d);
        cleanup(&t);
        FUZZ_ASSERT(fuzz_open_fds() == fds);
        differential(data, size);
        return 0;
}
