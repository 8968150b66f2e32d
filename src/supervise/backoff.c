#include "backoff.h"

uint32_t backoff_base_delay(const struct backoff_params *p, uint32_t n) {
        uint64_t d = p->delay_ms;
        for (uint32_t i = 0; i < n && d > 0 && d < p->delay_max_ms; i++)
                d *= 2;
        if (d > p->delay_max_ms)
                d = p->delay_max_ms;
        return (uint32_t)d;
}

double backoff_random(void *userdata) {
        uint64_t *state = userdata;
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        return (double)((*state * 2685821657736338717ULL) >> 11) / (double)(1ULL << 53);
}

uint32_t backoff_delay(const struct backoff_params *p, uint32_t n, random_fn rnd, void *userdata) {
        uint32_t base = backoff_base_delay(p, n);
        if (!rnd)
                return base;
        double r = rnd(userdata);
        if (r < 0 || r >= 1)
                r = 0;
        return base + (uint32_t)((double)base * 0.1 * r);
}

bool start_limit_admit(struct start_limit *l, const struct backoff_params *p, uint64_t now_ms) {
        if (p->burst == 0)
                return true; /* no limit */
        if (l->count == 0 || now_ms - l->window_start_ms >= p->interval_ms) {
                l->window_start_ms = now_ms;
                l->count = 0;
        }
        if (l->count >= p->burst)
                return false;
        l->count++;
        return true;
}

void start_limit_reset(struct start_limit *l) {
        *l = (struct start_limit){0};
}
