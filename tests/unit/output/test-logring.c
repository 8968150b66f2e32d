/* The ring of recent lines: bounds by count and by bytes, wrap-around, tail. */
#include "output.h"
#include "../../tap.h"
#include "util.h"

struct collect {
        char lines[300][OUTPUT_LINE_MAX + 1];
        size_t len[300];
        size_t n;
};

static void collect_cb(const char *line, size_t len, void *ud) {
        struct collect *c = ud;
        if (c->n < ARRAY_SIZE(c->lines)) {
                memcpy(c->lines[c->n], line, len);
                c->lines[c->n][len] = '\0';
                c->len[c->n] = len;
        }
        c->n++;
}

static struct collect col;

static size_t tail(const struct logring *r, size_t n) {
        memset(&col, 0, sizeof(col));
        return logring_tail(r, n, collect_cb, &col);
}

static void test_basic(void) {
        struct logring r;
        ok(logring_init(&r, 1024, 10) == 0, "init");
        ok(tail(&r, 5) == 0 && col.n == 0, "empty ring has no lines");
        logring_push(&r, "one", 3);
        logring_push(&r, "", 0);
        logring_push(&r, "three", 5);
        ok(tail(&r, 10) == 3 && streq(col.lines[0], "one") && col.len[1] == 0 &&
                       streq(col.lines[2], "three"),
               "all lines oldest first, empty line kept");
        ok(tail(&r, 2) == 2 && col.len[0] == 0 && streq(col.lines[1], "three"), "last 2 lines");
        ok(tail(&r, 0) == 0 && col.n == 0, "tail 0");
        logring_done(&r);
}

static void test_line_bound(void) {
        struct logring r;
        logring_init(&r, 64 * 1024, OUTPUT_RING_LINES);
        char buf[32];
        for (int i = 0; i < 1000; i++)
                logring_push(&r, buf, (size_t)snprintf(buf, sizeof(buf), "line %d", i));
        ok(tail(&r, 100000) == OUTPUT_RING_LINES, "at most %d lines kept", OUTPUT_RING_LINES);
        ok(streq(col.lines[0], "line 800") && streq(col.lines[199], "line 999"),
               "the newest 200 lines are kept");
        logring_done(&r);
}

static void test_byte_bound_and_wrap(void) {
        struct logring r;
        logring_init(&r, 1000, 1000);
        char line[300];
        bool good = true;
        for (int i = 0; i < 500; i++) {
                size_t len = 50 + (size_t)(i * 37) % 250;
                for (size_t k = 0; k < len; k++)
                        line[k] = (char)('a' + (i + (int)k) % 26);
                logring_push(&r, line, len);
                if (r.used > r.cap)
                        good = false;
                /* The newest line always comes back intact, wrapped or not. */
                tail(&r, 1);
                if (col.n != 1 || col.len[0] != len || memcmp(col.lines[0], line, len) != 0)
                        good = false;
        }
        ok(good, "bytes bounded by cap and the newest line intact across wrap-around");
        size_t n = tail(&r, 1000), total = 0;
        for (size_t i = 0; i < n; i++)
                total += col.len[i];
        ok(n > 1 && total <= 1000 && total == r.used, "kept lines fit in the byte bound");
        /* All kept lines are the most recent, in order. */
        good = true;
        for (size_t i = 0; i < n; i++) {
                int idx = 500 - (int)n + (int)i;
                size_t len = 50 + (size_t)(idx * 37) % 250;
                if (col.len[i] != len || col.lines[i][0] != (char)('a' + idx % 26))
                        good = false;
        }
        ok(good, "kept lines are the newest, oldest first");
        logring_done(&r);
}

static void test_long_line(void) {
        struct logring r;
        logring_init(&r, OUTPUT_RING_BYTES, OUTPUT_RING_LINES);
        static char big[10000];
        memset(big, 'x', sizeof(big));
        logring_push(&r, big, sizeof(big));
        ok(tail(&r, 1) == 1 && col.len[0] == OUTPUT_LINE_MAX, "a line is cut to %d bytes", OUTPUT_LINE_MAX);
        logring_done(&r);

        logring_init(&r, 100, 10);
        logring_push(&r, "short", 5);
        logring_push(&r, big, 500);
        ok(tail(&r, 10) == 1 && col.len[0] == 100, "a line longer than the ring is cut to its size");
        logring_done(&r);
        ok(logring_init(&r, 0, 10) == -EINVAL, "zero capacity refused");
}

int main(void) {
        test_basic();
        test_line_bound();
        test_byte_bound_and_wrap();
        test_long_line();
        return done_testing();
}
