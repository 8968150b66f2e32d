/* Restart pacing (SPEC 2: restart_delay_ms, restart_delay_max_ms,
 * restart_reset_ms, start_limit).  Pure: the caller passes the clock and
 * the random source, so the sequence is testable without time. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct backoff_params {
        uint32_t delay_ms;     /* first delay */
        uint32_t delay_max_ms; /* the doubling stops here */
        uint32_t reset_ms;     /* up this long: the next failure starts over */
        uint32_t burst;        /* start_limit.burst */
        uint32_t interval_ms;  /* start_limit.interval_ms */
};

/* A random source returning a value in [0, 1).  NULL: no jitter. */
typedef double (*random_fn)(void *userdata);

/* A random_fn for jitter, which only needs to differ between services:
 * xorshift64* over the uint64_t at userdata (seeded, never 0). */
double backoff_random(void *userdata);

/* Delay before restart number n (0 = first after a clean run) without
 * jitter: delay_ms * 2^n, capped at delay_max_ms. */
uint32_t backoff_base_delay(const struct backoff_params *p, uint32_t n);

/* backoff_base_delay plus up to 10% jitter from rnd, so that services that
 * fail together do not restart in lockstep. */
uint32_t backoff_delay(const struct backoff_params *p, uint32_t n, random_fn rnd, void *userdata);

/* Start limit: a fixed window opened by its first start.  More than burst
 * starts inside one window of interval_ms and the next start is refused. */
struct start_limit {
        uint64_t window_start_ms;
        uint32_t count;
};

/* Record a start at now_ms.  Returns false (and records nothing) when this
 * start would exceed the limit. */
bool start_limit_admit(struct start_limit *l, const struct backoff_params *p, uint64_t now_ms);
void start_limit_reset(struct start_limit *l);
