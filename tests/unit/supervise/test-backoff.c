#include <stdbool.h>

#include "backoff.h"
#include "tap.h"
#include "util.h"

static double fixed(void *userdata) { return *(double *)userdata; }

static void test_sequence(void) {
        struct backoff_params p = { .delay_ms = 100, .delay_max_ms = 30000 };
        static const uint32_t want[] = { 100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000 };
        bool good = true;
        for (uint32_t n = 0; n < ARRAY_SIZE(want); n++)
                good = good && backoff_base_delay(&p, n) == want[n];
        ok(good, "delay doubles from 100 ms and stops at 30000 ms");
        ok(backoff_base_delay(&p, 4000000000u) == 30000, "a huge failure count stays at the cap");
        struct backoff_params z = { .delay_ms = 0, .delay_max_ms = 30000 };
        ok(backoff_base_delay(&z, 4000000000u) == 0, "a zero delay stays zero");
        struct backoff_params odd = { .delay_ms = 700, .delay_max_ms = 1000 };
        ok(backoff_base_delay(&odd, 1) == 1000, "doubling past the cap is clamped");
}

static void test_jitter(void) {
        struct backoff_params p = { .delay_ms = 1000, .delay_max_ms = 30000 };
        double r = 0;
        ok(backoff_delay(&p, 0, fixed, &r) == 1000, "jitter 0 adds nothing");
        r = 0.5;
        ok(backoff_delay(&p, 0, fixed, &r) == 1050, "jitter 0.5 adds 5%%");
        r = 0.999999;
        uint32_t d = backoff_delay(&p, 1, fixed, &r);
        ok(d >= 2000 && d < 2200, "jitter stays under 10%% (%u)", d);
        r = 7;
        ok(backoff_delay(&p, 0, fixed, &r) == 1000, "an out-of-range random value is ignored");
        ok(backoff_delay(&p, 2, NULL, NULL) == 4000, "no random source: no jitter");
}

static void test_start_limit(void) {
        struct backoff_params p = { .burst = 3, .interval_ms = 1000 };
        struct start_limit l = {0};
        ok(start_limit_admit(&l, &p, 10000), "start 1 admitted");
        ok(start_limit_admit(&l, &p, 10100), "start 2 admitted");
        ok(start_limit_admit(&l, &p, 10200), "start 3 admitted");
        ok(!start_limit_admit(&l, &p, 10300), "start 4 within the interval refused");
        ok(!start_limit_admit(&l, &p, 10999), "still refused at the end of the window");
        ok(start_limit_admit(&l, &p, 11000), "a new window admits again");
        start_limit_reset(&l);
        ok(start_limit_admit(&l, &p, 11001) && start_limit_admit(&l, &p, 11002) &&
                   start_limit_admit(&l, &p, 11003),
           "reset opens a fresh window");
        struct backoff_params none = { .burst = 0, .interval_ms = 1000 };
        bool all = true;
        for (int i = 0; i < 100; i++)
                all = all && start_limit_admit(&l, &none, 5);
        ok(all, "burst 0 means no limit");
}

int main(void) {
        test_sequence();
        test_jitter();
        test_start_limit();
        return done_testing();
}
