/* A small open-addressing hash table from names to positions, so that
 * duplicate detection and `after` resolution stay linear in the number of
 * services. */
#include "config-internal.h"

static uint64_t hash_name(const char *s) {
        /* FNV-1a: names are short and chosen by the config's author. */
        uint64_t h = 1469598103934665603ULL;
        for (; *s; s++) {
                h ^= (unsigned char)*s;
                h *= 1099511628211ULL;
        }
        return h;
}

static size_t slot_of(const struct name_index *x, const char *name) {
        size_t mask = x->cap - 1;
        size_t i = (size_t)hash_name(name) & mask;
        while (x->keys[i] && !streq(x->keys[i], name))
                i = (i + 1) & mask;
        return i;
}

static int grow(struct name_index *x) {
        size_t ncap = x->cap ? x->cap * 2 : 64;
        struct name_index y = { .cap = ncap };
        y.keys = calloc(ncap, sizeof *y.keys);
        y.vals = calloc(ncap, sizeof *y.vals);
        if (!y.keys || !y.vals) {
                free(y.keys);
                free(y.vals);
                return -ENOMEM;
        }
        for (size_t i = 0; i < x->cap; i++)
                if (x->keys[i]) {
                        size_t j = slot_of(&y, x->keys[i]);
                        y.keys[j] = x->keys[i];
                        y.vals[j] = x->vals[i];
                }
        y.n = x->n;
        cfg_index_free(x);
        *x = y;
        return 0;
}

int cfg_index_put(struct name_index *x, const char *name, size_t val, size_t *ret_old) {
        /* Keep the load factor at most 1/2. */
        if ((x->n + 1) * 2 > x->cap) {
                int r = grow(x);
                if (r < 0)
                        return r;
        }
        size_t i = slot_of(x, name);
        if (x->keys[i]) {
                if (ret_old)
                        *ret_old = x->vals[i];
                return -EEXIST;
        }
        x->keys[i] = name;
        x->vals[i] = val;
        x->n++;
        return 0;
}

int cfg_index_get(const struct name_index *x, const char *name, size_t *ret_val) {
        if (x->cap == 0)
                return -ENOENT;
        size_t i = slot_of(x, name);
        if (!x->keys[i])
                return -ENOENT;
        *ret_val = x->vals[i];
        return 0;
}

void cfg_index_free(struct name_index *x) {
        free(x->keys);
        free(x->vals);
        *x = (struct name_index){0};
}
