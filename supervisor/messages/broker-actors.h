/* broker-actors.h - the actors inside a process, as airsupd sees them
 * (broker-actors.c): the table the process published, read at call time
 * (airsupctl actors, the metrics), and its actor events and dead letters,
 * rate-limited per process. */
#pragma once

#include <stdbool.h>

#include "common/actor-table.h"
#include "common/channel.h"
#include "supervisor/core/types.h"

/* Events (actor events and actor dead letters together) a process can
 * make per interval; the rest are counted and said in one event. */
#define ACTOR_EVENTS_BURST 100
#define ACTOR_EVENTS_INTERVAL_USEC (1000 * 1000)

/* FD came with a CHAN_ACTORS record: kept mapped as P's table if it is
 * one (replacing an earlier one), else refused with a warning.  FD is
 * taken (closed here either way). */
void broker_actors_take(sup_proc *p, int fd);
/* The incarnation is gone: its table unmapped, held-back events said. */
void broker_actors_drop(sup_proc *p);
/* A checked copy of P's table now: 0, -ENODATA if it published none,
 * -EBADMSG if what it published is not a table, -ENOMEM. */
int broker_actors_read(const sup_proc *p, act_snapshot *ret);
/* Its totals alone, likewise. */
int broker_actors_totals(const sup_proc *p, act_table_hdr *ret);

/* One CHAN_ACTOR_EVENT of P, as an event of P's instance. */
void broker_actor_event(sup_proc *p, const chan_actor_event *ev);
/* Whether P may make one more event now (the held-back count said in an
 * event when an interval ends); and that count said now. */
bool broker_actors_pass(sup_proc *p);
void broker_actors_flush_suppressed(sup_proc *p);
