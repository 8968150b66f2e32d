/* pid -> owner lookup for the reaper: one open-addressing hash table, O(1)
 * per exit, sized at start so the steady state allocates nothing. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct registry_entry {
        pid_t pid; /* 0: empty slot */
        uint32_t value;
};

struct registry {
        struct registry_entry *slots;
        size_t cap; /* a power of two */
        size_t n;
};

/* Room for at least `expected` pids without growing.  -ENOMEM. */
int registry_init(struct registry *r, size_t expected);
void registry_done(struct registry *r);
/* Add or replace.  -ENOMEM when it had to grow and could not. */
int registry_put(struct registry *r, pid_t pid, uint32_t value);
/* 0 and *ret_value, or -ENOENT. */
int registry_get(const struct registry *r, pid_t pid, uint32_t *ret_value);
/* Remove; -ENOENT when absent. */
int registry_del(struct registry *r, pid_t pid);
