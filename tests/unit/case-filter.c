/* case-filter.c - linked into every unit binary: AIRSUP_TEST_CASE, a
 * cmocka pattern (* and ?), runs only the cases whose names it matches,
 * so that one case can be run alone (`make check-one T=test-state
 * CASE=test_state_lock_*`).  A constructor, so that no test's main()
 * has to ask: cmocka 1.1 reads no such variable itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

__attribute__((constructor)) static void case_filter(void) {
        const char *pattern = getenv("AIRSUP_TEST_CASE");

        if (pattern && pattern[0])
                cmocka_set_test_filter(pattern);
}
