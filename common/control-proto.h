/* control-proto.h - the control socket's D-Bus names, written once for
 * both ends: airsupd (supervisor/operator/) and airsupctl (ctl/).  What
 * each method takes and returns is in airsupctl(1), "D-BUS INTERFACE";
 * a row's signature here is the struct one element of its array reply
 * (or the Event signal) carries. */
#pragma once

/* The one name a peer sees (busctl asks for it), the manager's object
 * and interface, and the prefix of the node objects
 * (CONTROL_NODE_PREFIX/NAME, NAME escaped by sd_bus_path_encode()). */
#define CONTROL_NAME "org.airsup1"
#define CONTROL_PATH "/org/airsup1"
#define CONTROL_IFACE "org.airsup1.Manager"
#define CONTROL_NODE_PREFIX "/org/airsup1/node"
#define CONTROL_NODE_IFACE "org.airsup1.Node"

/* Errors, besides the standard D-Bus ones (wrong arguments, unknown
 * method). */
#define CONTROL_ERR_NO_SUCH_NODE "org.airsup1.Error.NoSuchNode"
#define CONTROL_ERR_BUSY "org.airsup1.Error.Busy"
#define CONTROL_ERR_FAILED "org.airsup1.Error.Failed"
#define CONTROL_ERR_BAD_CONFIG "org.airsup1.Error.BadConfig"
#define CONTROL_ERR_TIMEOUT "org.airsup1.Error.Timeout"

/* Status: name, kind, state, group (a supervisor's parent), held, pid,
 * uptime usec, restarts, ready, last exit, its realtime usec, STATUS=
 * text, health. */
#define CONTROL_STATUS_ROW "(sssssutubstss)"
/* Tree: name, depth, kind, state, strategy, intensity, restart type,
 * period in seconds, instances. */
#define CONTROL_TREE_ROW "(susssusuu)"
/* Events and the Event signal: seq, realtime usec, monotonic usec,
 * severity, kind, node, pid, incarnation, text. */
#define CONTROL_EVENT_ROW "(tttsssuus)"
/* Outputs: process, kind (log, file, journal, console, inherit, null),
 * path or journal identifier. */
#define CONTROL_OUTPUT_ROW "(sss)"
/* Tail(name, after): a console instance's kept lines after byte
 * AFTER, as (from, next, bytes): the number of the first byte sent, of
 * the next to come (ask with it as AFTER to follow), and whole lines,
 * at most 64 KiB. */
#define CONTROL_TAIL_METHOD "Tail"
#define CONTROL_TAIL_REPLY "ttay"
/* DeadLetters: realtime usec, receiver, sender, first bytes in hex,
 * type, length, redeliveries, reason ("" for one redelivered too often,
 * else why the receiving process had no actor for it). */
#define CONTROL_DEAD_LETTER_ROW "(tsssuuus)"
/* Actors(name), name a group or an instance: one instance row for each
 * of its instances (name, note: "" for a table read, else "no actors
 * published", "not an actor table" or "torn" for a best-effort copy;
 * the table's totals: actors, supervisors, processed, failures,
 * restarts, escalations, dead letters, queued), then the actor rows
 * (instance, name ("" for none), id, parent: the index of its
 * supervisor among the rows of that instance or 4294967295 for none,
 * kind, state, depth, processed, restarts, last error), at most
 * CONTROL_ACTORS_MAX rows in all. */
#define CONTROL_ACTORS_INSTANCE_ROW "(sstttttttt)"
#define CONTROL_ACTORS_ROW "(sstussutui)"
#define CONTROL_ACTORS_MAX 4096
/* Names: the names registered at run time: name, the instance that holds
 * it, its actor ("" for the process). */
#define CONTROL_NAME_ROW "(sss)"
/* Metrics: name, type, help, labels, value. */
#define CONTROL_METRIC_ROW "(ssssd)"
/* Reload's plan: action, name, detail. */
#define CONTROL_PLAN_ROW "(sss)"
