/* Reading config files and expanding @include.
 *
 * libconfig 1.5 resolves every @include against one include directory per
 * parse and cannot open absolute paths once that is set.  corral wants an
 * include relative to the file that names it, at any depth, with the size
 * limit applied to every file before it is parsed, so the expansion is done
 * here: the combined text goes to libconfig and a segment map turns its
 * line numbers back into FILE:LINE. */
#include <fcntl.h>
#include <sys/stat.h>

#include "config-internal.h"

const char *cfg_file_list_add(struct file_list *l, const char *path) {
        char **nv = grow_array(l->v, &l->cap, l->n + 1, sizeof *nv, 8);
        if (!nv)
                return NULL;
        l->v = nv;
        char *p = strdup(path);
        if (!p)
                return NULL;
        l->v[l->n++] = p;
        return p;
}

void cfg_file_list_free(struct file_list *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        *l = (struct file_list){0};
}

void cfg_source_free(struct source *s) {
        free(s->text);
        free(s->segs);
        *s = (struct source){0};
}

/* Read a regular file of at most CORRAL_MAX_FILE_SIZE bytes.  O_NONBLOCK
 * keeps a FIFO from hanging the open; it is refused by the type check. */
static int read_limited(const char *path, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if (st.st_size > CORRAL_MAX_FILE_SIZE)
                return -EFBIG;
        _cleanup_free_ char *buf = malloc((size_t)st.st_size + 2);
        if (!buf)
                return -ENOMEM;
        size_t len = 0, max = (size_t)st.st_size + 1;
        while (len < max) {
                ssize_t n = read(fd, buf + len, max - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        /* The file grew while being read: the size check no longer holds. */
        if (len > CORRAL_MAX_FILE_SIZE)
                return -EFBIG;
        buf[len] = 0;
        if (memchr(buf, 0, len))
                return -EILSEQ;
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

static int append(struct source *s, const char *p, size_t n) {
        if (s->len + n + 1 > s->cap) {
                size_t ncap = s->cap ? s->cap : 4096;
                while (ncap < s->len + n + 1)
                        ncap *= 2;
                char *nt = realloc(s->text, ncap);
                if (!nt)
                        return -ENOMEM;
                s->text = nt;
                s->cap = ncap;
        }
        memcpy(s->text + s->len, p, n);
        s->len += n;
        s->text[s->len] = 0;
        return 0;
}

static int push_seg(struct source *s, const char *file, int first_line) {
        struct src_seg *nv = grow_array(s->segs, &s->cap_segs, s->n_segs + 1, sizeof *nv, 8);
        if (!nv)
                return -ENOMEM;
        s->segs = nv;
        s->segs[s->n_segs++] = (struct src_seg){ s->lines + 1, file, first_line };
        return 0;
}

struct loc cfg_source_locate(const struct source *s, unsigned line) {
        if (s->n_segs == 0)
                return (struct loc){ NULL, (int)line };
        size_t lo = 0, hi = s->n_segs;
        /* The last segment starting at or before line. */
        while (hi - lo > 1) {
                size_t mid = (lo + hi) / 2;
                if (s->segs[mid].start <= line)
                        lo = mid;
                else
                        hi = mid;
        }
        const struct src_seg *g = &s->segs[lo];
        int l = g->first_line + (int)(line >= g->start ? line - g->start : 0);
        return (struct loc){ g->file, l };
}

enum scan_state { SCAN_CODE, SCAN_STRING, SCAN_COMMENT };

/* Follow libconfig's lexer through one line, so that an @include inside a
 * string or a block comment is left alone, as libconfig would. */
static enum scan_state scan_line(const char *p, size_t n, enum scan_state st) {
        for (size_t i = 0; i < n; i++) {
                char ch = p[i], nx = i + 1 < n ? p[i + 1] : 0;
                if (st == SCAN_STRING) {
                        if (ch == '\\')
                                i++;
                        else if (ch == '"')
                                st = SCAN_CODE;
                } else if (st == SCAN_COMMENT) {
                        if (ch == '*' && nx == '/') {
                                st = SCAN_CODE;
                                i++;
                        }
                } else if (ch == '"') {
                        st = SCAN_STRING;
                } else if (ch == '/' && nx == '*') {
                        st = SCAN_COMMENT;
                        i++;
                } else if (ch == '#' || (ch == '/' && nx == '/')) {
                        break;
                }
        }
        return st;
}

/* `[ \t]*@include[ \t]+"NAME"`: NAME's start and length, as libconfig's
 * include rule (anchored at the start of a line). */
static bool match_include(const char *p, size_t n, const char **ret_name, size_t *ret_len) {
        size_t i = 0;
        while (i < n && (p[i] == ' ' || p[i] == '\t'))
                i++;
        if (n - i < 9 || strncmp(p + i, "@include", 8) != 0 || (p[i + 8] != ' ' && p[i + 8] != '\t'))
                return false;
        i += 8;
        while (i < n && (p[i] == ' ' || p[i] == '\t'))
                i++;
        if (i >= n || p[i] != '"')
                return false;
        const char *name = p + i + 1;
        const char *end = memchr(name, '"', n - i - 1);
        if (!end)
                return false;
        *ret_name = name;
        *ret_len = (size_t)(end - name);
        return true;
}

struct expand_ctx {
        struct source *s;
        struct file_list *files;
        struct diags *d;
        bool failed;
};

static int expand(struct expand_ctx *x, const char *path, int depth, const struct loc *from);

static int include_one(struct expand_ctx *x, const char *file, int line, const char *name, size_t len, int depth) {
        const char *slash = strrchr(file, '/');
        _cleanup_free_ char *path = NULL;
        if (name[0] == '/' || !slash)
                path = strndup(name, len);
        else
                path = xasprintf("%.*s/%.*s", (int)(slash - file), file, (int)len, name);
        if (!path)
                return -ENOMEM;
        struct loc from = { file, line };
        if (depth >= SOURCE_MAX_DEPTH) {
                diag_add(x->d, file, line, "@include \"%s\": nested more than %d levels deep", path,
                         SOURCE_MAX_DEPTH);
                x->failed = true;
                return 0;
        }
        int r = expand(x, path, depth + 1, &from);
        if (r < 0)
                return r;
        return push_seg(x->s, file, line + 1);
}

static void read_error(struct expand_ctx *x, const char *path, const struct loc *from, int r) {
        const char *why = r == -EFBIG    ? "file is larger than 1 MiB"
                          : r == -EBADFD ? "not a regular file"
                          : r == -EILSEQ ? "file contains a NUL byte"
                                         : strerror(-r);
        if (from)
                diag_add(x->d, from->file, from->line, "@include \"%s\": %s", path, why);
        else
                diag_add(x->d, path, 0, "%s", why);
        x->failed = true;
}

static int expand(struct expand_ctx *x, const char *path, int depth, const struct loc *from) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r = read_limited(path, &buf, &len);
        if (r == -ENOMEM)
                return r;
        if (r == -ENOENT && !from)
                return r;
        if (r < 0) {
                read_error(x, path, from, r);
                return 0;
        }
        const char *file = cfg_file_list_add(x->files, path);
        if (!file || push_seg(x->s, file, 1) < 0)
                return -ENOMEM;
        enum scan_state st = SCAN_CODE;
        int line = 1, string_line = 0;
        for (const char *p = buf; p < buf + len; line++) {
                const char *nl = memchr(p, '\n', (size_t)(buf + len - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(buf + len - p);
                const char *name;
                size_t name_len;
                if (st == SCAN_CODE && match_include(p, n, &name, &name_len))
                        r = include_one(x, file, line, name, name_len, depth);
                else {
                        enum scan_state was = st;
                        st = scan_line(p, n, st);
                        if (st == SCAN_STRING && was != SCAN_STRING)
                                string_line = line;
                        r = append(x->s, p, n);
                        if (r >= 0)
                                r = append(x->s, "\n", 1);
                        x->s->lines++;
                }
                if (r < 0)
                        return r;
                p += n + (nl ? 1 : 0);
        }
        /* Said here rather than by libconfig 1.5, whose lexer leaks its
         * string buffer on this error and names the end of the text. */
        if (st == SCAN_STRING) {
                diag_add(x->d, file, string_line, "unterminated string");
                x->failed = true;
        }
        return 0;
}

int cfg_source_load(struct source *s, const char *path, struct file_list *files, struct diags *d) {
        struct expand_ctx x = { .s = s, .files = files, .d = d };
        int r = expand(&x, path, 0, NULL);
        if (r < 0)
                return r;
        if (!s->text && append(s, "", 0) < 0)
                return -ENOMEM;
        return x.failed ? -EINVAL : 0;
}
