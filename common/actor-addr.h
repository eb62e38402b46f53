/* actor-addr.h - actor names and the addresses that reach them from
 * anywhere: "GROUP/ACTOR" or "GROUP[i]/ACTOR".  One parser, for
 * libairsup's lookups, the receiving side of a lane, and airsupctl. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define ACTOR_NAME_MAX 64               /* with its NUL, as a group's name (CHAN_NAME_MAX) */

/* Whether S (up to ACTOR_NAME_MAX bytes are looked at) is an actor's
 * name: 1 to 63 of letters, digits, '-', '_', '.', then NUL. */
bool actor_name_valid(const char *s);
/* Whether the LEN bytes at S are an actor's name (no NUL among them). */
bool actor_name_valid_n(const char *s, size_t len);

/* Splits ADDR into GROUP (a name chan_name_valid() takes) and ACTOR:
 * 1 for "GROUP/ACTOR", 0 for a plain "GROUP" (ACTOR set to ""),
 * -ENAMETOOLONG when a part is too long, -EINVAL when it is not an
 * address.  Nothing is written on error. */
int actor_addr_split(const char *addr, char group[ACTOR_NAME_MAX], char actor[ACTOR_NAME_MAX]);
