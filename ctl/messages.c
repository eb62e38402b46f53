/* messages.c - airsupctl's messages: send, publish, request and
 * subscribe.  airsupd writes what airsupctl sends (its sender
 * "airsupctl", a name no group may have) and reads what comes back in a
 * mailbox of its own; a payload is the argument's bytes as given, and
 * what comes back is printed as it came (human output escapes what is
 * not printable; --json gives a string of valid UTF-8, else hex). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "common/control-proto.h"
#include "ctl/airsupctl.h"

#define REQUEST_TIMEOUT_DEFAULT 5.0     /* seconds, without --timeout */

/* METHOD(NAME, TYPE, PAYLOAD's bytes[, EXTRA usec]): 0 and *REPLY, or an
 * exit status.  TIMEOUT is the call's (0: sd-bus's default). */
static int call_payload(sd_bus *bus, const char *method, const char *name, uint32_t type, const char *payload,
                        const uint64_t *extra, uint64_t timeout, sd_bus_message **reply) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, NULL, CONTROL_PATH, CONTROL_IFACE, method);
        if (r >= 0)
                r = sd_bus_message_append(m, "su", name, type);
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', payload, strlen(payload));
        if (r >= 0 && extra)
                r = sd_bus_message_append(m, "t", *extra);
        if (r >= 0)
                r = sd_bus_call(bus, m, timeout, &e, reply);
        sd_bus_message_unref(m);
        if (r >= 0)
                return 0;
        r = call_error(&e, r);
        sd_bus_error_free(&e);
        return r;
}

static int parse_type(const char *s, uint32_t *ret) {
        unsigned long type;
        char *end;

        errno = 0;
        type = strtoul(s, &end, 0);
        if (errno || *end || !s[0] || s[0] == '-' || type > UINT32_MAX) {
                fprintf(stderr, "airsupctl: not a message type: %s\nTry 'airsupctl --help'.\n", s);
                return -EXIT_USAGE;
        }
        *ret = (uint32_t) type;
        return 0;
}

int verb_send(sd_bus *bus, const verb_call *v) {
        const char *dest = v->args[0], *payload = v->args[2];
        sd_bus_message *reply = NULL;
        uint32_t type;
        int r;

        r = parse_type(v->args[1], &type);
        if (r < 0)
                return -r;
        r = call_payload(bus, "Send", dest, type, payload, NULL, 0, &reply);
        if (r > 0)
                return r;
        sd_bus_message_unref(reply);
        if (arg_json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "sent_to", json_object_new_string(dest));
                json_object_object_add(o, "type", json_object_new_int64((int64_t) type));
                json_object_object_add(o, "bytes", json_object_new_int64((int64_t) strlen(payload)));
                print_json(o);
        } else
                printf("sent to %s\n", dest);
        return 0;
}

int verb_publish(sd_bus *bus, const verb_call *v) {
        const char *subject = v->args[0], *payload = v->args[1];
        sd_bus_message *reply = NULL;
        uint32_t reached = 0;
        int r;

        r = call_payload(bus, "Publish", subject, 0, payload, NULL, 0, &reply);
        if (r > 0)
                return r;
        (void) sd_bus_message_read(reply, "u", &reached);
        sd_bus_message_unref(reply);
        if (arg_json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "subject", json_object_new_string(subject));
                json_object_object_add(o, "reached", json_object_new_int64(reached));
                print_json(o);
        } else
                printf("published to %s: %u subscriber%s reached\n", subject, reached, reached == 1 ? "" : "s");
        return 0;
}

/* Whether P holds valid UTF-8 with no NUL: what a JSON string can carry
 * as itself. */
static bool utf8_text(const uint8_t *p, size_t n) {
        for (size_t i = 0; i < n;) {
                uint8_t c = p[i];
                size_t k;
                uint32_t cp;

                if (c == 0)
                        return false;
                if (c < 0x80) {
                        i++;
                        continue;
                }
                if ((c & 0xe0) == 0xc0)
                        k = 1, cp = c & 0x1f;
                else if ((c & 0xf0) == 0xe0)
                        k = 2, cp = c & 0x0f;
                else if ((c & 0xf8) == 0xf0)
                        k = 3, cp = c & 0x07;
                else
                        return false;
                for (size_t j = 1; j <= k; j++) {
                        if (i + j >= n || (p[i + j] & 0xc0) != 0x80)
                                return false;
                        cp = cp << 6 | (p[i + j] & 0x3f);
                }
                /* Overlong forms, surrogates, past U+10FFFF. */
                if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += k + 1;
        }
        return true;
}

/* The payload into O: "payload" as a string, or "payload_hex". */
static void json_payload(json_object *o, const uint8_t *p, size_t n) {
        char *hex;

        if (utf8_text(p, n)) {
                json_object_object_add(o, "payload", json_object_new_string_len((const char *) p, (int) n));
                return;
        }
        hex = malloc(2 * n + 1);
        if (!hex)
                return;
        for (size_t i = 0; i < n; i++)
                sprintf(hex + 2 * i, "%02x", p[i]);
        hex[2 * n] = '\0';
        json_object_object_add(o, "payload_hex", json_object_new_string(hex));
        free(hex);
}

/* The payload for a terminal or a pipe of lines: printable ASCII and
 * UTF-8 as they are, anything else (control bytes, a newline) as \xNN. */
static void print_payload(const uint8_t *p, size_t n) {
        bool text = utf8_text(p, n);

        for (size_t i = 0; i < n; i++) {
                if ((p[i] >= 0x20 && p[i] != 0x7f && (p[i] < 0x80 || text)) && p[i] != '\\')
                        putchar(p[i]);
                else if (p[i] == '\\')
                        fputs("\\\\", stdout);
                else
                        printf("\\x%02x", p[i]);
        }
}

static struct {
        uint32_t type;
        uint64_t count;
} opt_msg;

enum { ARG_TYPE = 0x200 };

const struct option request_options[] = {
        { "type", required_argument, NULL, ARG_TYPE },
        {}
};

const struct option subscribe_options[] = {
        { "count", required_argument, NULL, 'n' },
        {}
};

int messages_option(int opt, const char *arg) {
        char *end;

        switch (opt) {
        case ARG_TYPE:
                return parse_type(arg, &opt_msg.type);
        case 'n':
                errno = 0;
                opt_msg.count = strtoull(arg, &end, 10);
                if (errno || *end || !arg[0] || arg[0] == '-' || opt_msg.count == 0) {
                        fprintf(stderr, "airsupctl: -n: expected a count of messages, got '%s'\n", arg);
                        return -EXIT_USAGE;
                }
                return 0;
        default:
                return -EXIT_USAGE;
        }
}

static uint64_t mono_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* request DEST PAYLOAD [--type T] [--timeout SEC]: the reply's payload,
 * or exit 1 when none came in time. */
int verb_request(sd_bus *bus, const verb_call *v) {
        const char *dest = v->args[0], *payload = v->args[1];
        double seconds = arg_timeout_given ? arg_timeout : REQUEST_TIMEOUT_DEFAULT;
        uint64_t timeout = (uint64_t) (seconds * 1e6), t0 = mono_usec(), rtt;
        sd_bus_message *reply = NULL;
        const char *from;
        const void *data;
        size_t len = 0;
        uint32_t type;
        int r;

        if (timeout == 0)
                timeout = 1;
        /* airsupd answers at the deadline at the latest: the call waits a
         * little longer, for the answer to travel. */
        r = call_payload(bus, "Request", dest, opt_msg.type, payload, &timeout, timeout + 5000000, &reply);
        if (r > 0)
                return r;
        rtt = mono_usec() - t0;
        r = sd_bus_message_read(reply, "su", &from, &type);
        if (r >= 0)
                r = sd_bus_message_read_array(reply, 'y', &data, &len);
        if (r < 0)
                return reply_end(reply, r, NULL);
        if (arg_json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "from", json_object_new_string(from));
                json_object_object_add(o, "type", json_object_new_int64((int64_t) type));
                json_payload(o, data, len);
                json_object_object_add(o, "rtt_usec", json_object_new_int64((int64_t) rtt));
                print_json(o);
        } else {
                /* The bytes as they came, for a script: a line of their
                 * own. */
                fwrite(data, 1, len, stdout);
                if (len == 0 || ((const char *) data)[len - 1] != '\n')
                        putchar('\n');
        }
        return reply_end(reply, 0, NULL);
}

typedef struct follow {
        uint64_t id, seen, count;
        bool done;
} follow;

static int on_published(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        follow *f = userdata;
        const char *subject, *from;
        const void *data;
        size_t len = 0;
        uint32_t type;
        uint64_t id;

        (void) error;
        if (!sd_bus_message_is_signal(m, CONTROL_IFACE, "Published"))
                return 0;
        if (sd_bus_message_read(m, "tssu", &id, &subject, &from, &type) < 0 ||
            sd_bus_message_read_array(m, 'y', &data, &len) < 0 || id != f->id || f->done)
                return 0;
        f->seen++;
        if (arg_json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "subject", json_object_new_string(subject));
                json_object_object_add(o, "from", json_object_new_string(from));
                json_object_object_add(o, "type", json_object_new_int64((int64_t) type));
                json_payload(o, data, len);
                print_json(o);
        } else {
                printf("[#%" PRIu64 "] %s from %s type %u: ", f->seen, subject, from, type);
                print_payload(data, len);
                putchar('\n');
        }
        fflush(stdout);
        if (f->count > 0 && f->seen >= f->count)
                f->done = true;
        return 0;
}

/* subscribe SUBJECT [-n N]: what is published to SUBJECT (wildcards
 * allowed), as it comes, until interrupted, airsupd goes, or N came. */
int verb_subscribe(sd_bus *bus, const verb_call *v) {
        const char *pattern = v->args[0];
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        follow f = { .count = opt_msg.count };
        int r;

        r = sd_bus_add_filter(bus, NULL, on_published, &f);
        if (r >= 0)
                r = sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_IFACE, "SubscribeSubject", &e, &reply, "s",
                                       pattern);
        if (r < 0) {
                r = call_error(&e, r);
                sd_bus_error_free(&e);
                return r;
        }
        r = sd_bus_message_read(reply, "t", &f.id);
        sd_bus_message_unref(reply);
        if (r < 0) {
                fprintf(stderr, "airsupctl: bad reply from airsupd: %s\n", strerror(-r));
                return EXIT_FAILED;
        }
        /* Said once the subscription holds: what is published from now
         * on is printed. */
        fprintf(stderr, "subscribed to %s\n", pattern);
        while (!f.done) {
                r = sd_bus_process(bus, NULL);
                if (r < 0) {
                        fprintf(stderr, "airsupctl: airsupd went away: %s\n", strerror(-r));
                        return EXIT_UNREACHABLE;
                }
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0 && r != -EINTR) {
                        fprintf(stderr, "airsupctl: airsupd went away: %s\n", strerror(-r));
                        return EXIT_UNREACHABLE;
                }
        }
        return 0;
}
