/* Shared by the libFuzzer targets and by replay.c, the driver that feeds a
 * checked-in corpus to a target in the normal test suite (no clang needed).
 *
 * A target is one function, LLVMFuzzerTestOneInput(), which must leave
 * nothing behind (memory, fds, files) and abort() on any broken invariant,
 * so that libFuzzer, ASan, LSan and valgrind all see it. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() with a message when cond is false: a finding. */
#define FUZZ_ASSERT(cond)                                                                          \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "%s:%d: broken: %s\n", __FILE__, __LINE__, #cond);         \
                        abort();                                                                   \
                }                                                                                  \
        } while (0)

/* A cursor over the input, for targets that take parameters from it. */
struct fuzz_in {
        const uint8_t *p;
        size_t n;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in) {
        if (!in->n)
                return 0;
        in->n--;
        return *in->p++;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in) {
        uint16_t hi = fuzz_u8(in);
        return (uint16_t)(hi << 8 | fuzz_u8(in));
}

/* Up to max bytes (fewer when the input ends); returns how many. */
static inline size_t fuzz_take(struct fuzz_in *in, size_t max, const uint8_t **ret) {
        size_t k = max < in->n ? max : in->n;
        *ret = in->p;
        in->p += k;
        in->n -= k;
        return k;
}

/* Number of open fds, to check that a run closed what it opened. */
size_t fuzz_open_fds(void);

/* Send p (n bytes) on sock, to *to when not NULL, with nfds copies of fd
 * passed along (SCM_RIGHTS, at most 32).  0 or -errno. */
struct sockaddr_un;
int fuzz_send_fds(int sock, const struct sockaddr_un *to, const void *p, size_t n, int fd, int nfds);
