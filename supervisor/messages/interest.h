/* interest.h - publish/subscribe's interest table (airsup(3), PUBLISH
 * AND SUBSCRIBE): which instances a subject published now reaches.
 * Durable subscriptions are the groups' `subscribe =` (airsup.conf(5)),
 * read from the configuration at each question, so that a reload needs
 * no bookkeeping here; run-time ones are a process's own (at most
 * INTEREST_PER_PROC, INTEREST_MAX in all), gone with it.  airsupd never
 * carries a published message: a publisher asks once per subject which
 * instances it reaches, and asks again only when the generation word on
 * the page every process maps has moved (a subscription came or went, a
 * process started or ended). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "supervisor/core/types.h"

#define INTEREST_PER_PROC 256
#define INTEREST_MAX      65536

/* The generation page's fd (created on first use), for CHAN_BELL. */
int interest_page_fd(sup_manager *m);
/* A change publishers must see. */
void interest_bump(sup_manager *m);
/* PATTERN for P (ALL: every instance of a pool, not one per message):
 * -EINVAL, -ENOSPC past INTEREST_PER_PROC, -E2BIG past INTEREST_MAX. */
int interest_subscribe(sup_manager *m, sup_proc *p, const char *pattern, bool all);
/* -ENOENT if P has no such subscription. */
int interest_unsubscribe(sup_manager *m, sup_proc *p, const char *pattern);
void interest_drop(sup_manager *m, sup_proc *p);
/* FN once for each target SUBJECT reaches: NAME an instance (N 0), or a
 * pool whose one instance per message the publisher picks (N its
 * instances).  How many; -EINVAL for a subject that is not one. */
typedef int (*interest_fn)(const char *name, unsigned n, void *userdata);
int interest_targets(sup_manager *m, const char *subject, interest_fn fn, void *userdata);
void interest_free(sup_manager *m);
