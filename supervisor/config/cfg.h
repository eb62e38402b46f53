/* cfg.h - the deployment description: what airsup.conf(5) says, parsed and
 * validated, with no processes involved.
 *
 * cfg_load() turns a file into a struct cfg whose nodes form a tree under the
 * implicit root supervisor (nodes[0]).  Every semantic error is reported as
 * "FILE:LINE: message".  The cfg_parse_*() helpers (cfg-value.h) are pure
 * functions over strings, shared with unit tests; the types are in
 * cfg-types.h, the keys in cfg-keys.h. */
#pragma once

#include <stdio.h>

#include "supervisor/config/cfg-types.h"
#include "supervisor/config/cfg-value.h"
#include "supervisor/config/cfg-keys.h"

/* Loads and validates PATH.  On failure returns -EINVAL (or another -errno
 * when the file cannot be read) and writes one "FILE:LINE: message" line per
 * error to ERR (which may be NULL). */
int cfg_load(const char *path, FILE *err, cfg **ret);
cfg *cfg_free(cfg *c);
static inline void cfg_freep(cfg **c) { *c = cfg_free(*c); }

/* Index of the node called NAME, or -ENOENT. */
int cfg_find(const cfg *c, const char *name);

/* What --check verifies beyond the syntax (verify.c): errors, printed as
 * FILE:LINE, are returned; warnings are printed and counted. */
unsigned cfg_verify(const cfg *c, FILE *err, unsigned *ret_warnings);
/* The same checks before a start or a reload: a tree whose command cannot
 * be run must not start (one missing binary would exhaust its
 * supervisors' intensity and take the whole tree down).  -EINVAL, with
 * the errors and warnings printed to ERR, if any error; 0 and nothing
 * printed (warnings are --check's) otherwise. */
int cfg_verify_errors(const cfg *c, FILE *err);
