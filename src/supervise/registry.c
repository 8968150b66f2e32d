#include "registry.h"
#include "util.h"

static size_t slot_of(const struct registry *r, pid_t pid) {
        /* Fibonacci hashing spreads sequential pids over the table. */
        return (size_t)(((uint32_t)pid * 2654435769u) & (uint32_t)(r->cap - 1));
}

static int alloc_slots(struct registry *r, size_t cap) {
        struct registry_entry *s = calloc(cap, sizeof *s);
        if (!s)
                return -ENOMEM;
        r->slots = s;
        r->cap = cap;
        r->n = 0;
        return 0;
}

int registry_init(struct registry *r, size_t expected) {
        size_t cap = 16;
        while (cap < expected * 2)
                cap *= 2;
        return alloc_slots(r, cap);
}

void registry_done(struct registry *r) {
        free(r->slots);
        *r = (struct registry){0};
}

static void insert(struct registry *r, pid_t pid, uint32_t value) {
        size_t i = slot_of(r, pid);
        while (r->slots[i].pid != 0 && r->slots[i].pid != pid)
                i = (i + 1) & (r->cap - 1);
        if (r->slots[i].pid == 0)
                r->n++;
        r->slots[i] = (struct registry_entry){ .pid = pid, .value = value };
}

static int grow(struct registry *r) {
        struct registry old = *r;
        if (alloc_slots(r, old.cap * 2) < 0) {
                *r = old;
                return -ENOMEM;
        }
        for (size_t i = 0; i < old.cap; i++)
                if (old.slots[i].pid != 0)
                        insert(r, old.slots[i].pid, old.slots[i].value);
        free(old.slots);
        return 0;
}

int registry_put(struct registry *r, pid_t pid, uint32_t value) {
        if (pid <= 0)
                return -EINVAL;
        /* Past half full the table grows; if it cannot, it keeps working
         * while at least one slot stays empty to end every probe. */
        if ((r->n + 1) * 2 > r->cap && grow(r) < 0 && r->n + 2 > r->cap)
                return -ENOMEM;
        insert(r, pid, value);
        return 0;
}

int registry_get(const struct registry *r, pid_t pid, uint32_t *ret_value) {
        if (pid <= 0 || r->cap == 0)
                return -ENOENT;
        for (size_t i = slot_of(r, pid);; i = (i + 1) & (r->cap - 1)) {
                if (r->slots[i].pid == 0)
                        return -ENOENT;
                if (r->slots[i].pid == pid) {
                        *ret_value = r->slots[i].value;
                        return 0;
                }
        }
}

int registry_del(struct registry *r, pid_t pid) {
        if (pid <= 0 || r->cap == 0)
                return -ENOENT;
        size_t mask = r->cap - 1, i = slot_of(r, pid);
        while (r->slots[i].pid != pid) {
                if (r->slots[i].pid == 0)
                        return -ENOENT;
                i = (i + 1) & mask;
        }
        /* Backward-shift deletion keeps every probe chain unbroken without
         * tombstones. */
        size_t j = i;
        for (;;) {
                j = (j + 1) & mask;
                if (r->slots[j].pid == 0)
                        break;
                size_t home = slot_of(r, r->slots[j].pid);
                /* Move j into the hole i unless its home lies cyclically in (i, j]. */
                bool in_between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
                if (!in_between) {
                        r->slots[i] = r->slots[j];
                        i = j;
                }
        }
        r->slots[i] = (struct registry_entry){0};
        r->n--;
        return 0;
}
