/* Feed every file of a corpus directory to a fuzz target once: the crashes
 * libFuzzer once found stay fixed, in the normal test suite, without clang.
 *
 *   fuzz-replay-NAME CORPUS_DIR...
 *
 * TAP: one test per directory, failing (or crashing, under ASan or valgrind)
 * when a file trips the target; a directory with no files is a failure, so
 * that a corpus cannot silently go missing. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"


static int run_file(const char *path) {
        FILE *f = fopen(path, "rbe");
        if (!f)
                return -errno;
        struct stat st;
        if (fstat(fileno(f), &st) < 0 || st.st_size > 16 * 1024 * 1024) {
                fclose(f);
                return -EFBIG;
        }
        /* Its own allocation of exactly the file's size, so that ASan sees
         * a read past its end. */
        size_t n = (size_t)st.st_size;
        uint8_t *buf = malloc(n ? n : 1);
        if (!buf || fread(buf, 1, n, f) != n) {
                free(buf);
                fclose(f);
                return -EIO;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        free(buf);
        return 0;
}

static int cmp(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
        int failed = 0;
        printf("1..%d\n", argc - 1);
        for (int i = 1; i < argc; i++) {
                DIR *d = opendir(argv[i]);
                char **names = NULL;
                size_t n = 0;
                for (struct dirent *de; d && (de = readdir(d));) {
                        if (de->d_name[0] == '.')
                                continue;
                        names = realloc(names, (n + 1) * sizeof *names);
                        names[n++] = strdup(de->d_name);
                }
                if (d)
                        closedir(d);
                qsort(names, n, sizeof *names, cmp);
                size_t bad = 0;
                for (size_t k = 0; k < n; k++) {
                        char path[4096];
                        snprintf(path, sizeof path, "%s/%s", argv[i], names[k]);
                        if (run_file(path) < 0) {
                                printf("# cannot read %s\n", path);
                                bad++;
                        }
                        free(names[k]);
                }
                free(names);
                bool ok = n > 0 && bad == 0;
                printf("%sok %d - %zu inputs of %s\n", ok ? "" : "not ", i, n, argv[i]);
                failed += !ok;
        }
        return failed ? 1 : 0;
}
