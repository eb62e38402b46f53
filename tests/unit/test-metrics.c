/* test-metrics.c - the figures as text (float_text(), what airsupd's
 * Prometheus text prints): the shortest decimal that reads back as the
 * same double, integers without a fraction, and Prometheus' spellings of
 * NaN and the infinities. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "common/float-text.h"

static const char *text(double v) {
        static char buf[32];

        return float_text(v, buf, sizeof(buf));
}

static void test_metrics_float_text_is_shortest(void **state) {
        (void) state;
        /* %.17g printed 15.986905999999999 and 0.10000000000000001. */
        assert_string_equal(text(15.986906), "15.986906");
        assert_string_equal(text(0.1), "0.1");
        assert_string_equal(text(1e6 / 1e6 * 0.15), "0.15");
        assert_string_equal(text(0), "0");
        assert_string_equal(text(-1), "-1");
        assert_string_equal(text(3), "3");
        assert_string_equal(text(123456789012.0), "123456789012");
}

static void test_metrics_float_text_round_trips(void **state) {
        static const double values[] = { 1.0 / 3, 2.0 / 3, 0.1 + 0.2, 1e-300, 1.7976931348623157e308,
                                         18446744073709551615.0, 4.9e-324, 123.456e-7, 9007199254740993.0 };

        (void) state;
        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
                assert_true(strtod(text(values[i]), NULL) == values[i]);
        /* Needs all 17. */
        assert_string_equal(text(0.1 + 0.2), "0.30000000000000004");
}

static void test_metrics_float_text_specials(void **state) {
        (void) state;
        assert_string_equal(text(NAN), "NaN");
        assert_string_equal(text(INFINITY), "+Inf");
        assert_string_equal(text(-INFINITY), "-Inf");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_metrics_float_text_is_shortest),
                cmocka_unit_test(test_metrics_float_text_round_trips),
                cmocka_unit_test(test_metrics_float_text_specials),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
