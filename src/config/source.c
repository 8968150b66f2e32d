/* Reading config files and expanding @include.
 *
 * libconfig 1.5 resolves every @include against one include directory per
 * parse and cannot open absolute paths once that is set.  corral wants an
 * include relative to the file that names it, with the bounds of one load
 * (config.h) applied before anything is read, and include cycles refused,
 * so the expansion is done here: the combined text goes to libconfig, which
 * never sees an @include, and a segment map turns its line numbers back
 * into FILE:LINE. */
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

/* Open a regular file of at most CORRAL_MAX_FILE_SIZE bytes.  O_NONBLOCK
 * keeps a FIFO from hanging the open; it is refused by the type check. */
static int open_config(const char *path, struct stat *ret_st) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, ret_st) < 0)
                return -errno;
        if (S_ISDIR(ret_st->st_mode))
                return -EISDIR;
        if (!S_ISREG(ret_st->st_mode))
                return -EBADFD;
        if (ret_st->st_size > CORRAL_MAX_FILE_SIZE)
                return -EFBIG;
        return TAKE_FD(fd);
}

/* Read fd to its end, refusing more than max bytes (-EFBIG) and NUL bytes
 * (-EILSEQ).  The size is read, not trusted from fstat: a file may grow, and
 * files of /proc say 0. */
static int read_config(int fd, size_t hint, size_t max, char **ret, size_t *ret_len) {
        size_t cap = (hint < max ? hint : max) + 2, len = 0;
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len + 1 >= cap) {
                        if (len > max)
                                return -EFBIG;
                        char *nb = realloc(buf, cap = 2 * cap < max + 2 ? 2 * cap : max + 2);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                }
                ssize_t n = read(fd, buf + len, cap - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        if (len > max)
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

/* `[ \t]*@include[ \t]+"`, libconfig's include rule (at the start of a
 * line): the offset of the opening quote, or 0. */
static size_t include_start(const char *p, size_t n) {
        size_t i = strspn(p, " \t");
        if (i + 9 > n || strncmp(p + i, "@include", 8) != 0 || (p[i + 8] != ' ' && p[i + 8] != '\t'))
                return 0;
        i += 8;
        while (i < n && (p[i] == ' ' || p[i] == '\t'))
                i++;
        return i < n && p[i] == '"' ? i : 0;
}

/* The file name of an @include line (from its opening quote q), with
 * libconfig's escapes \\ and \"; only spaces and a comment may follow it.
 * NULL and *why when the line is not one corral can expand. */
static char *include_name(const char *p, size_t n, size_t q, const char **why) {
        _cleanup_free_ char *name = malloc(n);
        size_t k = 0, i = q + 1;
        if (!name)
                return *why = NULL, NULL;
        for (; i < n && p[i] != '"'; i++) {
                if (p[i] == '\\' && i + 1 < n && (p[i + 1] == '\\' || p[i + 1] == '"'))
                        i++;
                else if (p[i] == '\\')
                        return *why = "a file name may escape only \\\\ and \\\"", NULL;
                name[k++] = p[i];
        }
        if (i >= n)
                return *why = "the file name does not end on this line", NULL;
        name[k] = 0;
        if (k == 0)
                return *why = "empty file name", NULL;
        i += 1 + strspn(p + i + 1, " \t\r\f");
        if (i < n && p[i] != '#' && !(p[i] == '/' && i + 1 < n && p[i + 1] == '/'))
                return *why = "only a comment may follow the file name", NULL;
        return TAKE_PTR(name);
}

struct chain_link {
        dev_t dev;
        ino_t ino;
        const char *path;
};

struct expand_ctx {
        struct source *s;
        struct file_list *files;
        struct config_stats *st;
        struct diags *d;
        bool failed;    /* an error was reported: the text is not parsed */
        bool exhausted; /* a bound of the whole load was reached: stop */
        struct chain_link chain[CONFIG_MAX_DEPTH + 1]; /* the files being expanded */
        int depth;
};

static int expand(struct expand_ctx *x, const char *path, const struct loc *from);

/* "a.conf" -> "b.conf" -> "a.conf": the include chain back to path. */
static char *cycle_text(const struct expand_ctx *x, int from, const char *path) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f)
                return NULL;
        for (int i = from; i < x->depth; i++)
                fprintf(f, "%s -> ", QUOTED(x->chain[i].path));
        fputs(QUOTED(path), f);
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}

static void read_error(struct expand_ctx *x, const char *path, const struct loc *from, int r) {
        const char *why = r == -EFBIG    ? "file is larger than 1 MiB"
                          : r == -EBADFD ? "not a regular file"
                          : r == -EILSEQ ? "file contains a NUL byte"
                          : r == -E2BIG  ? "the config would be larger than 4 MiB in all"
                                         : strerror(-r);
        if (from)
                diag_add(x->d, from->file, from->line, "@include %s: %s", QUOTED(path), why);
        else
                diag_add(x->d, path, 0, "%s", why);
        x->failed = true;
        x->exhausted |= r == -E2BIG;
}

static int include_one(struct expand_ctx *x, const char *file, int line, const char *p, size_t n) {
        const char *why = "";
        _cleanup_free_ char *name = include_name(p, n, include_start(p, n), &why);
        if (!name && !why)
                return -ENOMEM;
        if (!name) {
                diag_add(x->d, file, line, "@include: %s", why);
                x->failed = true;
                return 0;
        }
        const char *slash = strrchr(file, '/');
        _cleanup_free_ char *path = name[0] == '/' || !slash ? strdup(name)
                                                             : xasprintf("%.*s/%s", (int)(slash - file), file, name);
        if (!path)
                return -ENOMEM;
        struct loc from = { file, line };
        if (x->depth > CONFIG_MAX_DEPTH) {
                diag_add(x->d, file, line, "@include %s: nested more than %d levels deep", QUOTED(path),
                         CONFIG_MAX_DEPTH);
                x->failed = true;
                return 0;
        }
        if (x->st->includes >= CONFIG_MAX_INCLUDES) {
                diag_add(x->d, file, line, "@include %s: more than %d @include lines in all", QUOTED(path),
                         CONFIG_MAX_INCLUDES);
                x->failed = x->exhausted = true;
                return 0;
        }
        x->st->includes++;
        int r = expand(x, path, &from);
        if (r < 0)
                return r;
        return push_seg(x->s, file, line + 1);
}

/* Open path for expansion: a file not already on the include chain.  An
 * fd, -ECANCELED when refused (reported), or -errno (-ENOENT for the top
 * file, which the caller may accept). */
static int open_next(struct expand_ctx *x, const char *path, const struct loc *from, struct stat *st) {
        int fd = open_config(path, st);
        if (fd == -ENOMEM || (fd == -ENOENT && !from))
                return fd;
        if (fd < 0) {
                read_error(x, path, from, fd);
                return -ECANCELED;
        }
        x->st->files++;
        for (int i = 0; i < x->depth; i++) {
                if (x->chain[i].dev != st->st_dev || x->chain[i].ino != st->st_ino)
                        continue;
                _cleanup_free_ char *c = cycle_text(x, i, path);
                diag_add(x->d, from->file, from->line, "@include %s: include cycle: %s", QUOTED(path),
                         c ? c : "?");
                x->failed = true;
                close(fd);
                return c ? -ECANCELED : -ENOMEM;
        }
        return fd;
}

/* Append one file's lines to the source, expanding its @include lines. */
static int expand_text(struct expand_ctx *x, const char *file, const char *buf, size_t len) {
        enum scan_state st = SCAN_CODE;
        int line = 1, open_line = 0, r;
        for (const char *p = buf; p < buf + len; line++) {
                const char *nl = memchr(p, '\n', (size_t)(buf + len - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(buf + len - p);
                if (st == SCAN_CODE && include_start(p, n))
                        r = include_one(x, file, line, p, n);
                else {
                        enum scan_state was = st;
                        st = scan_line(p, n, st);
                        if (st != SCAN_CODE && st != was)
                                open_line = line;
                        r = append(x->s, p, n);
                        if (r >= 0)
                                r = append(x->s, "\n", 1);
                        x->s->lines++;
                }
                if (r < 0)
                        return r;
                if (x->exhausted)
                        return 0;
                p += n + (nl ? 1 : 0);
        }
        /* Said here, for the file it is in: libconfig 1.5 would leak its
         * string buffer, and would let a comment swallow the files after. */
        if (st != SCAN_CODE) {
                diag_add(x->d, file, open_line, st == SCAN_STRING ? "unterminated string"
                                                                   : "unterminated /* comment");
                x->failed = true;
        }
        return 0;
}

static int expand(struct expand_ctx *x, const char *path, const struct loc *from) {
        struct stat st;
        _cleanup_close_ int fd = open_next(x, path, from, &st);
        if (fd == -ECANCELED)
                return 0;
        if (fd < 0)
                return fd;
        size_t left = CONFIG_MAX_TOTAL_SIZE - x->st->bytes;
        if ((size_t)st.st_size > left) {
                read_error(x, path, from, -E2BIG);
                return 0;
        }
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r = read_config(fd, (size_t)st.st_size, left < CORRAL_MAX_FILE_SIZE ? left : CORRAL_MAX_FILE_SIZE,
                            &buf, &len);
        if (r == -ENOMEM)
                return r;
        x->st->bytes += len;
        if (r < 0) {
                read_error(x, path, from, r == -EFBIG && left < CORRAL_MAX_FILE_SIZE ? -E2BIG : r);
                return 0;
        }
        const char *file = cfg_file_list_add(x->files, path);
        if (!file || push_seg(x->s, file, 1) < 0)
                return -ENOMEM;
        x->chain[x->depth++] = (struct chain_link){ st.st_dev, st.st_ino, file };
        r = expand_text(x, file, buf, len);
        x->depth--;
        return r;
}

int cfg_source_load(struct source *s, const char *path, struct file_list *files, struct config_stats *st,
                    struct diags *d) {
        struct expand_ctx x = { .s = s, .files = files, .st = st, .d = d };
        int r = expand(&x, path, NULL);
        if (r < 0)
                return r;
        if (!s->text && append(s, "", 0) < 0)
                return -ENOMEM;
        return x.exhausted ? -E2BIG : x.failed ? -EINVAL : 0;
}
