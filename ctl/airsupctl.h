/* airsupctl.h - what airsupctl's files share: the options, the exit
 * statuses, the calls and the output helpers (airsupctl.c), and each
 * verb's entry, which the verb table in airsupctl.c names.
 *
 *   airsupctl.c   options, the connection, the verb table: dispatch, --help
 *   show.c        status, tree, metrics, dead-letters
 *   change.c      start, stop, restart, signal, reload, shutdown
 *   events.c      events
 *   logs.c        logs
 *   messages.c    send, publish, request, subscribe
 *   actors.c      actors
 *   term.c        colours and a pager, at a terminal only */
#pragma once

#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_NO_SUCH 3
#define EXIT_UNREACHABLE 4

extern const char *arg_socket;
extern bool arg_json, arg_no_block;
extern double arg_timeout;
extern bool arg_timeout_given;
extern bool arg_no_pager;

/* A verb's call, as dispatch hands it over: its NAMEs and values (the
 * options taken out, NULL after the last), and whether its one flag
 * (verb.flag) was given. */
typedef struct verb_call {
        const char *verb;
        char **args;
        int n_args;
        bool flag;
} verb_call;

/* airsupctl.c: the exit status of a failed call (3 for NoSuchNode, 2 for
 * InvalidArgs, else 1), said on stderr; a call without arguments (0, or that status); one
 * JSON document on stdout; the end of a verb that read REPLY into a
 * table or the JSON array A. */
int call_error(const sd_bus_error *e, int r);
int call_plain(sd_bus *bus, const char *method, sd_bus_message **reply);
int print_json(json_object *o);
int reply_end(sd_bus_message *reply, int r, json_object *a);
uint64_t realtime_usec(void);

/* show.c */
int verb_status(sd_bus *bus, const verb_call *v);
int verb_tree(sd_bus *bus, const verb_call *v);
int verb_metrics(sd_bus *bus, const verb_call *v);
int verb_dead_letters(sd_bus *bus, const verb_call *v);
int verb_names(sd_bus *bus, const verb_call *v);

/* messages.c: request's --type, subscribe's -n. */
extern const struct option request_options[], subscribe_options[];
int messages_option(int opt, const char *arg);
int verb_send(sd_bus *bus, const verb_call *v);
int verb_publish(sd_bus *bus, const verb_call *v);
int verb_request(sd_bus *bus, const verb_call *v);
int verb_subscribe(sd_bus *bus, const verb_call *v);

/* change.c */
int verb_change(sd_bus *bus, const verb_call *v);
int verb_signal(sd_bus *bus, const verb_call *v);
int verb_reload(sd_bus *bus, const verb_call *v);
int verb_shutdown(sd_bus *bus, const verb_call *v);

/* events.c: its options (-f, -n, --since, --severity), each taken by
 * events_option() as getopt_long returns it: 0, or -EXIT_USAGE said. */
extern const struct option events_options[];
int events_option(int opt, const char *arg);
int verb_events(sd_bus *bus, const verb_call *v);
/* The history of NODE (NULL: all), as status shows it under one node. */
int events_show(sd_bus *bus, uint32_t n, const char *node);
const char *local_time(uint64_t real, char *buf, size_t size);

/* logs.c: likewise -f, -n. */
extern const struct option logs_options[];
int logs_option(int opt, const char *arg);
int verb_logs(sd_bus *bus, const verb_call *v);

/* actors.c */
int verb_actors(sd_bus *bus, const verb_call *v);

/* term.c: whether to colour; a state's colour ("" for none) and the reset
 * after it; stdout into a pager (status, tree, events, metrics,
 * dead-letters), which dispatch closes after the verb. */
bool term_colour(void);
const char *term_state_colour(const char *state);
const char *term_reset(const char *colour);
void pager_open(void);
void pager_close(void);
