/*
 * test_probe_evict.c - a tried-table collision whose old occupant is dead:
 * the prober tests the occupant first (test-before-evict), the probe
 * fails, and a minute later (Core's grace for an attempt) the newcomer
 * takes the slot.  Its own file because of that minute: the sanitizer
 * builds leave it out (tests/integration/CMakeLists.txt), since the
 * prober's paths it runs are those of test_probe's cases.
 */
#include "it_probe.h"

#include <string.h>

#include "it_p2p.h"
#include "netaddr.h"

static void test_probe_evicts_a_dead_collision_occupant(void **state)
{
    it_server *s = *state;
    it_fake_spec sp = {IT_FAKE_RESET, "127.43.0.1", 9, 0, 1, 0, NULL, 0};
    it_fakes *f = it_probe_fakes(&sp, 1);
    const char *extra[] = {"--tried-buckets", "1", "--probe-tried-age",
                           "31536000", NULL};
    char newcomer[AM_ADDR_STRLEN];
    long deadline;

    it_probe_start(s, "4", extra);
    it_probe_collision(s, it_fakes_host(f, 0), it_fakes_port(f, 0), newcomer,
                   sizeof newcomer);
    it_probe_wait(s, 1);
    /* Core gives a failed occupant a minute before the newcomer takes
     * its place; the prober's next draws settle it. */
    deadline = it_p2p_ms() + 90000L * it_time_scale();
    while (strcmp(it_probe_table(s, newcomer, 18444), "tried") != 0) {
        if (it_p2p_ms() > deadline)
            fail_msg("the dead occupant was not evicted within 90 s");
        it_p2p_sleep_ms(1000);
    }
    assert_string_equal(it_probe_table(s, it_fakes_host(f, 0), it_fakes_port(f, 0)),
                        "new");
    it_check_debug(s);
    it_fakes_stop(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_probe_evicts_a_dead_collision_occupant, it_fx_setup_none, it_fx_teardown),
    };
    it_global_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
