/* A ring of the most recent lines of one service, for `corralctl logs`.
 * Bytes and line boundaries live in two circular arrays allocated once, so
 * pushing a line never allocates: the oldest lines are dropped instead. */
#include "output.h"
#include "util.h"

int logring_init(struct logring *r, size_t cap, size_t max_lines) {
        if (cap == 0 || max_lines == 0 || cap > UINT32_MAX)
                return -EINVAL;
        *r = (struct logring){ .cap = cap, .max_lines = max_lines };
        r->data = malloc(cap);
        r->off = calloc(max_lines, sizeof(*r->off));
        r->len = calloc(max_lines, sizeof(*r->len));
        if (!r->data || !r->off || !r->len) {
                logring_done(r);
                return -ENOMEM;
        }
        return 0;
}

void logring_done(struct logring *r) {
        free(r->data);
        free(r->off);
        free(r->len);
        *r = (struct logring){};
}

static void drop_oldest(struct logring *r) {
        r->used -= r->len[r->first];
        r->first = (r->first + 1) % r->max_lines;
        r->count--;
}

void logring_push(struct logring *r, const char *line, size_t len) {
        if (!r->data)
                return;
        if (len > OUTPUT_LINE_MAX)
                len = OUTPUT_LINE_MAX;
        if (len > r->cap)
                len = r->cap;
        while (r->count > 0 && (r->count == r->max_lines || r->used + len > r->cap))
                drop_oldest(r);

        size_t slot = (r->first + r->count) % r->max_lines;
        r->off[slot] = (uint32_t)r->head;
        r->len[slot] = (uint16_t)len;
        size_t part = r->cap - r->head < len ? r->cap - r->head : len;
        memcpy(r->data + r->head, line, part);
        memcpy(r->data, line + part, len - part);
        r->head = (r->head + len) % r->cap;
        r->used += len;
        r->count++;
}

size_t logring_tail(const struct logring *r, size_t n,
                    void (*cb)(const char *line, size_t len, void *ud), void *ud) {
        /* A line that wraps around the end is joined here; lines are at most
         * OUTPUT_LINE_MAX bytes. */
        char tmp[OUTPUT_LINE_MAX];
        if (n > r->count)
                n = r->count;
        for (size_t i = r->count - n; i < r->count; i++) {
                size_t slot = (r->first + i) % r->max_lines;
                size_t off = r->off[slot], len = r->len[slot];
                if (off + len <= r->cap) {
                        cb(r->data + off, len, ud);
                        continue;
                }
                size_t part = r->cap - off;
                memcpy(tmp, r->data + off, part);
                memcpy(tmp + part, r->data, len - part);
                cb(tmp, len, ud);
        }
        return n;
}
