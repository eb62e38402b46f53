/* change.c - airsupctl's verbs that change the tree: start, stop,
 * restart, signal, reload, shutdown. */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/control-proto.h"
#include "ctl/airsupctl.h"

/* One start, stop or restart of NAME: 0 or the exit status, said. */
static int change_one(sd_bus *bus, const char *verb, const char *method, const char *name) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *call = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &call, NULL, CONTROL_PATH, CONTROL_IFACE, method);
        if (r >= 0)
                r = sd_bus_message_append(call, "s", name);
        if (r >= 0)
                r = sd_bus_call(bus, call, (uint64_t) (arg_timeout * 1e6), &e, NULL);
        sd_bus_message_unref(call);
        if (r >= 0)
                return 0;
        if (sd_bus_error_has_name(&e, SD_BUS_ERROR_NO_REPLY) || r == -ETIMEDOUT) {
                fprintf(stderr, "airsupctl: %s %s: not done after %g s\n", verb, name, arg_timeout);
                r = EXIT_FAILED;
        } else
                r = call_error(&e, r);
        sd_bus_error_free(&e);
        return r;
}

/* "all": root's children, in the tree's order (the Tree's rows at depth
 * 1), into *RET (NULL-terminated, its strings in *RET_REPLY); none when
 * the tree has a node called "all", which the name then means. */
static int root_children(sd_bus *bus, sd_bus_message **ret_reply, const char ***ret) {
        sd_bus_message *reply = NULL;
        const char **names = NULL, *name, *kind, *state, *strategy, *restart;
        uint32_t depth, intensity, period, instances;
        size_t n = 0;
        int r;

        r = call_plain(bus, "Tree", &reply);
        if (r > 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', CONTROL_TREE_ROW);
        while (r >= 0 && (r = sd_bus_message_read(reply, CONTROL_TREE_ROW, &name, &depth, &kind, &state, &strategy,
                                                  &intensity, &restart, &period, &instances)) > 0) {
                const char **a;

                if (strcmp(name, "all") == 0) {
                        free(names);
                        names = NULL;
                        break;
                }
                if (depth != 1)
                        continue;
                a = reallocarray(names, n + 2, sizeof(char *));
                if (!a) {
                        r = -ENOMEM;
                        break;
                }
                names = a;
                names[n++] = name;
                names[n] = NULL;
        }
        if (r < 0) {
                free(names);
                sd_bus_message_unref(reply);
                fprintf(stderr, "airsupctl: bad reply from airsupd: %s\n", strerror(-r));
                return EXIT_FAILED;
        }
        *ret_reply = reply;
        *ret = names;
        return 0;
}

/* start, stop, restart: airsupd replies once it is done (the node or
 * instance down, or ready: see airsupctl(1)) or failed; with --no-block
 * once it is under way.  "all": each of root's children, one after the
 * other in the tree's order (stop: the other way, as the tree stops);
 * the first failure's status, the rest still done. */
int verb_change(sd_bus *bus, const verb_call *v) {
        static const char *const methods[][3] = { { "start", "Start", "StartNoBlock" },
                                                  { "stop", "Stop", "StopNoBlock" },
                                                  { "restart", "Restart", "RestartNoBlock" } };
        const char *verb = v->verb, *method = NULL;
        const char *one[] = { v->args[0], NULL }, **names = one;
        _cleanup_free_ const char **all = NULL;
        sd_bus_message *tree = NULL;
        json_object *a = arg_json ? json_object_new_array() : NULL;
        size_t n = 1;
        int r = 0, k;

        for (size_t i = 0; i < ELEMENTSOF(methods); i++)
                if (strcmp(methods[i][0], verb) == 0)
                        method = methods[i][arg_no_block ? 2 : 1];
        if (strcmp(v->args[0], "all") == 0) {
                r = root_children(bus, &tree, &all);
                if (r != 0) {
                        json_object_put(a);
                        return r;
                }
                if (all)
                        names = all;
                for (n = 0; names[n]; n++)
                        ;
        }
        for (size_t i = 0; i < n; i++) {
                const char *name = names[strcmp(verb, "stop") == 0 ? n - 1 - i : i];

                k = change_one(bus, verb, method, name);
                if (k != 0 && r == 0)
                        r = k;
                if (a && k == 0) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "verb", json_object_new_string(verb));
                        json_object_object_add(o, "name", json_object_new_string(name));
                        json_object_object_add(o, "done", json_object_new_boolean(!arg_no_block));
                        json_object_array_add(a, o);
                }
        }
        sd_bus_message_unref(tree);
        /* One name: one object, as before; all: an array of them. */
        if (a && names == one && json_object_array_length(a) == 1)
                print_json(json_object_get(json_object_array_get_idx(a, 0)));
        else if (a && names != one)
                print_json(json_object_get(a));
        json_object_put(a);
        return r;
}

int verb_signal(sd_bus *bus, const verb_call *v) {
        const char *name = v->args[0], *sig = v->args[1];
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        uint32_t k = 0;
        int r;

        r = sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_IFACE, "Signal", &e, &reply, "ss", name, sig);
        if (r < 0) {
                r = call_error(&e, r);
                sd_bus_error_free(&e);
                return r;
        }
        (void) sd_bus_message_read(reply, "u", &k);
        sd_bus_message_unref(reply);
        if (arg_json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "name", json_object_new_string(name));
                json_object_object_add(o, "signal", json_object_new_string(sig));
                json_object_object_add(o, "signalled", json_object_new_int64(k));
                print_json(o);
        } else
                printf("%s: %u instance%s signalled\n", name, k, k == 1 ? "" : "s");
        return 0;
}

static const char *const reload_counts[] = { "kept", "in_place", "restarted", "moved", "removed", "added" };

/* Reload: airsupd replies once the plan is applied (or, DRY_RUN, at once);
 * a file that does not load is its FILE:LINE errors, exit 1. */
int verb_reload(sd_bus *bus, const verb_call *v) {
        bool dry_run = v->flag;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *call = NULL, *reply = NULL;
        json_object *plan = arg_json ? json_object_new_array() : NULL;
        uint64_t counts[6] = {}, usec = 0;
        const char *action, *name, *detail;
        size_t n = 0, k = 0;
        int applied = 0, r;

        r = sd_bus_message_new_method_call(bus, &call, NULL, CONTROL_PATH, CONTROL_IFACE, "Reload");
        if (r >= 0)
                r = sd_bus_message_append(call, "b", dry_run);
        if (r >= 0)
                r = sd_bus_call(bus, call, (uint64_t) (arg_timeout * 1e6), &e, &reply);
        sd_bus_message_unref(call);
        if (r < 0) {
                if (sd_bus_error_has_name(&e, CONTROL_ERR_BAD_CONFIG)) {
                        fprintf(stderr, "%s", e.message ? e.message : "");
                        fprintf(stderr, "airsupctl: not reloaded: the file has errors; nothing changed\n");
                        r = EXIT_FAILED;
                } else if (sd_bus_error_has_name(&e, SD_BUS_ERROR_NO_REPLY) || r == -ETIMEDOUT) {
                        fprintf(stderr, "airsupctl: reload: not done after %g s (it goes on)\n", arg_timeout);
                        r = EXIT_FAILED;
                } else
                        r = call_error(&e, r);
                sd_bus_error_free(&e);
                json_object_put(plan);
                return r;
        }
        r = sd_bus_message_read(reply, "b", &applied);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', CONTROL_PLAN_ROW);
        if (r >= 0 && !arg_json)
                printf("%-10s %-24s %s\n", "ACTION", "NAME", "DETAIL");
        while (r >= 0 && (r = sd_bus_message_read(reply, CONTROL_PLAN_ROW, &action, &name, &detail)) > 0) {
                n++;
                if (plan) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "action", json_object_new_string(action));
                        json_object_object_add(o, "name", json_object_new_string(name));
                        json_object_object_add(o, "detail", json_object_new_string(detail));
                        json_object_array_add(plan, o);
                } else
                        printf("%-10s %-24s %s\n", action, name, detail);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "t");
        while (r >= 0 && k < ELEMENTSOF(counts) && (r = sd_bus_message_read(reply, "t", &counts[k])) > 0)
                k++;
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r >= 0)
                r = sd_bus_message_read(reply, "t", &usec);
        sd_bus_message_unref(reply);
        if (r < 0) {
                fprintf(stderr, "airsupctl: reload: bad reply: %s\n", strerror(-r));
                json_object_put(plan);
                return EXIT_FAILED;
        }
        if (plan) {
                json_object *o = json_object_new_object(), *c = json_object_new_object();
                for (size_t i = 0; i < ELEMENTSOF(counts); i++)
                        json_object_object_add(c, reload_counts[i], json_object_new_int64((int64_t) counts[i]));
                json_object_object_add(o, "applied", json_object_new_boolean(applied));
                json_object_object_add(o, "plan", plan);
                json_object_object_add(o, "counts", c);
                json_object_object_add(o, "usec", json_object_new_int64((int64_t) usec));
                return print_json(o);
        }
        if (n == 0)
                printf("(nothing changed)\n");
        printf("%s: %llu added, %llu removed, %llu restarted, %llu moved, %llu changed in place, %llu kept "
               "(%.1f ms)\n", applied ? "reloaded" : "dry run, nothing applied", (unsigned long long) counts[5],
               (unsigned long long) counts[4], (unsigned long long) counts[2], (unsigned long long) counts[3],
               (unsigned long long) counts[1], (unsigned long long) counts[0], (double) usec / 1000.0);
        return 0;
}

/* airsupd's pid as a pidfd, where its pid is seen from here (not from
 * inside another pid namespace than its own), else -1. */
static int peer_pidfd(sd_bus *bus) {
        sd_bus_creds *creds = NULL;
        pid_t pid = 0;
        int fd = -1;

        if (sd_bus_get_owner_creds(bus, SD_BUS_CREDS_PID, &creds) >= 0 && sd_bus_creds_get_pid(creds, &pid) >= 0 &&
            pid > 0)
                fd = (int) syscall(SYS_pidfd_open, pid, 0);
        sd_bus_creds_unref(creds);
        return fd;
}

/* Until airsupd is gone: its end of the connection closed (the tree is
 * down), then its process exited, where it can be seen; 0, or -ETIMEDOUT
 * after --timeout. */
static int wait_airsupd_gone(sd_bus *bus, int pidfd) {
        uint64_t end = realtime_usec() + (uint64_t) (arg_timeout * 1e6), now;
        int r;

        for (;;) {
                r = sd_bus_process(bus, NULL);
                if (r < 0 || !sd_bus_is_open(bus))
                        break;
                if (r > 0)
                        continue;
                now = realtime_usec();
                if (now >= end)
                        return -ETIMEDOUT;
                r = sd_bus_wait(bus, end - now);
                if (r < 0 && r != -EINTR)
                        break;
        }
        if (pidfd >= 0) {
                struct pollfd p = { .fd = pidfd, .events = POLLIN };

                do {
                        now = realtime_usec();
                        if (now >= end)
                                return -ETIMEDOUT;
                        r = poll(&p, 1, (int) ((end - now + 999) / 1000));
                } while (r < 0 && errno == EINTR);
                if (r == 0)
                        return -ETIMEDOUT;
        }
        return 0;
}

/* Shutdown: airsupd replies at once, then stops the tree and exits; this
 * waits for that (up to --timeout) unless --no-block. */
int verb_shutdown(sd_bus *bus, const verb_call *v) {
        _cleanup_(closep) int pidfd = arg_no_block ? -1 : peer_pidfd(bus);
        int r = call_plain(bus, "Shutdown", NULL);

        (void) v;
        if (r > 0)
                return r;
        if (!arg_no_block && wait_airsupd_gone(bus, pidfd) < 0) {
                fprintf(stderr, "airsupctl: shutdown: airsupd still runs after %g s (it goes on)\n", arg_timeout);
                return EXIT_FAILED;
        }
        if (arg_json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "done", json_object_new_boolean(!arg_no_block));
                print_json(o);
        }
        return 0;
}
