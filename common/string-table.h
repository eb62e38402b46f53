/* string-table.h - an enum's names in one table, and the two functions
 * over it, as one macro (STYLE rule 18):
 *
 *     static const char *const color_table[_COLOR_MAX] = { [COLOR_RED] = "red", ... };
 *     DEFINE_STRING_TABLE(color, color, color_table, _COLOR_MAX)
 *
 * defines color_to_string() (NULL for a value out of range, or one the
 * table leaves without a name) and color_from_string() (-EINVAL, cast to
 * the enum, for an unknown or NULL name).  Declare both in the module's
 * header.  DEFINE_STRING_TABLE_TO_STRING() defines only the first, for
 * names that are printed but never read back. */
#pragma once

#include <errno.h>
#include <string.h>

#define DEFINE_STRING_TABLE_TO_STRING(prefix, type, table, max)                  \
        const char *prefix##_to_string(type v) {                                \
                return (int) v >= 0 && (int) v < (max) ? table[v] : NULL;       \
        }

#define DEFINE_STRING_TABLE(prefix, type, table, max)                            \
        DEFINE_STRING_TABLE_TO_STRING(prefix, type, table, max)                 \
        type prefix##_from_string(const char *s) {                              \
                if (!s)                                                         \
                        return (type) -EINVAL;                                  \
                for (int i = 0; i < (max); i++)                                 \
                        if (table[i] && strcmp(table[i], s) == 0)               \
                                return (type) i;                                \
                return (type) -EINVAL;                                          \
        }
