/* float-text.h - a double as the shortest decimal that reads back as the
 * same double: 15.986906, not %.17g's 15.986905999999999.  Prometheus'
 * text format accepts any float, and spells the others NaN, +Inf, -Inf. */
#pragma once

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* V into BUF (32 bytes is always enough); returns BUF. */
static inline const char *float_text(double v, char *buf, size_t size) {
        if (isnan(v))
                snprintf(buf, size, "NaN");
        else if (isinf(v))
                snprintf(buf, size, "%cInf", v > 0 ? '+' : '-');
        else
                for (int digits = 15; digits <= 17; digits++) {
                        snprintf(buf, size, "%.*g", digits, v);
                        if (strtod(buf, NULL) == v)
                                break;
                }
        return buf;
}
