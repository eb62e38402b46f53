/* string-table.h - an enum's names in one table, and the two functions
 * over it, as one macro (STYLE rule 18):
 *
 *     static const char *const color_table[_COLOR_MAX] = { [COLOR_RED] = "red", ... };
 *     DEFINE_STRING_TABLE(color, color, color_table, _COLOR_MAX)
 *
 * defines color_to_string() (NULL for a value out of range) and
 * color_from_string() (-EINVAL, cast to the enum, for an unknown or NULL
 * name).  Declare both in the module's header. */
#pragma once

#include <errno.h>
#include <string.h>

#define DEFINE_STRING_TABLE(prefix, type, table, max)                            \
        const char *prefix##_to_string(type v) {                                \
                return (int) v >= 0 && (int) v < (max) ? table[v] : NULL;       \
        }                                                                       \
        type prefix##_from_string(const char *s) {                              \
                if (!s)                                                         \
                        return (type) -EINVAL;                                  \
                for (int i = 0; i < (max); i++)                                 \
                        if (table[i] && strcmp(table[i], s) == 0)               \
                                return (type) i;                                \
                return (type) -EINVAL;                                          \
        }
