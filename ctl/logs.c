/* logs.c - airsupctl logs: the last lines of a group's log: or file:
 * output, read here (airsupd says where it writes), of its console
 * output (the lines airsupd keeps, from its Tail method), or
 * journalctl's; with no name, those of every group whose output airsupd
 * keeps in a file or in memory, each line after its instance's name. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <poll.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "common/control-proto.h"
#include "ctl/airsupctl.h"

/* A log file, for reading: the group's user owns its directory and may
 * have put a FIFO (an open would wait for a writer for ever) or a
 * symbolic link to a file only we may read in its place.  Only a regular
 * file is read, and no link is followed at its last step (airsupd
 * refuses one anywhere in the path when it writes). */
static FILE *log_open(const char *path) {
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        struct stat st;
        FILE *f;

        if (fd < 0)
                return NULL;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || fcntl(fd, F_SETFL, 0) < 0 || !(f = fdopen(fd, "r"))) {
                close(fd);
                return NULL;
        }
        return f;
}

/* One log file shown: its path, what goes before each of its lines (""
 * for the one group named, else "web[1] | "), and the file, open at
 * the end of what was shown (NULL until it can be opened).  Or, when
 * CONSOLE, a console instance whose lines airsupd keeps: PATH is its
 * name, NEXT the number of the byte to ask for next. */
typedef struct source {
        char *path;
        char *prefix;
        FILE *f;
        bool console;
        uint64_t next;
} source;

typedef struct sources {
        source *s;
        size_t n;
} sources;

static void sources_free(sources *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->s[i].path);
                free(l->s[i].prefix);
                if (l->s[i].f)
                        fclose(l->s[i].f);
        }
        free(l->s);
}

/* PATH, for the process PROC ("" for no prefix); the same file twice
 * (instances sharing a path) is read once. */
static int sources_add(sources *l, const char *proc, const char *path, bool console) {
        source *s;

        for (size_t i = 0; i < l->n; i++)
                if (l->s[i].console == console && strcmp(l->s[i].path, path) == 0)
                        return 0;
        s = realloc(l->s, (l->n + 1) * sizeof(*s));
        if (!s)
                return -ENOMEM;
        l->s = s;
        s = &l->s[l->n];
        *s = (source) { .path = strdup(path), .console = console };
        if (!s->path || (proc[0] ? asprintf(&s->prefix, "%s | ", proc) : (s->prefix = strdup("")) ? 0 : -1) < 0) {
                free(s->path);
                return -ENOMEM;
        }
        l->n++;
        return 0;
}

/* LEN bytes of whole lines, each after S's prefix. */
static void put_lines(const source *s, const char *buf, size_t len) {
        while (len > 0) {
                const char *nl = memchr(buf, '\n', len);
                size_t k = nl ? (size_t) (nl - buf) + 1 : len;

                fputs(s->prefix, stdout);
                fwrite(buf, 1, k, stdout);
                buf += k;
                len -= k;
        }
}

/* Where the last N lines of BUF's first END bytes begin. */
static long last_lines(const char *buf, long end, long n) {
        long start = end, count = 0;

        if (n == 0)
                return end;
        /* Back from the end: the N-th newline before the last line's end. */
        if (start > 0 && buf[start - 1] == '\n')
                start--;
        while (start > 0 && (buf[start - 1] != '\n' || ++count < n))
                start--;
        return start;
}

/* Opens S and shows its last N lines, read from at most its last 16
 * MiB; the file stays open after them for following.  A line still
 * being written is left for the follower when FOLLOW. */
static void tail_lines(source *s, long n, bool follow) {
        const long window = 16L << 20;
        long size, from, len, end, start;
        char *buf;

        s->f = log_open(s->path);
        if (!s->f)
                return;
        fseek(s->f, 0, SEEK_END);
        size = ftell(s->f);
        from = size > window ? size - window : 0;
        len = size - from;
        buf = malloc((size_t) len + 1);
        if (!buf || fseek(s->f, from, SEEK_SET) < 0 || fread(buf, 1, (size_t) len, s->f) != (size_t) len) {
                free(buf);
                fseek(s->f, 0, SEEK_END);
                return;
        }
        end = len;
        if (follow) {
                while (end > 0 && buf[end - 1] != '\n')
                        end--;
                fseek(s->f, from + end, SEEK_SET);
        }
        start = last_lines(buf, end, n);
        put_lines(s, buf + start, (size_t) (end - start));
        fflush(stdout);
        free(buf);
}

/* S's new whole lines; one still being written stays for the next
 * call, unless LAST (the file was rotated away). */
static void source_read(source *s, bool last) {
        char buf[65536];
        long pos;

        while (s->f && (pos = ftell(s->f)) >= 0 && fgets(buf, sizeof(buf), s->f)) {
                size_t len = strlen(buf);

                if (buf[len - 1] != '\n' && len < sizeof(buf) - 1 && !last) {
                        fseek(s->f, pos, SEEK_SET);
                        break;
                }
                put_lines(s, buf, len);
                if (buf[len - 1] != '\n' && last && s->prefix[0])
                        putchar('\n');
        }
        if (s->f)
                clearerr(s->f);
}

/* As tail -F: after a rotation (another inode) or a truncation, the
 * rest of the old file, then the new one from its start. */
static void source_check(source *s) {
        struct stat st, now;

        if (stat(s->path, &now) < 0)
                return;
        if (s->f && fstat(fileno(s->f), &st) == 0 && st.st_ino == now.st_ino && now.st_size >= ftell(s->f))
                return;
        if (s->f) {
                source_read(s, true);
                fclose(s->f);
        }
        s->f = log_open(s->path);
}

/* S's console lines that came since its last call (its last N when it
 * had none: the first), from Tail; lines airsupd turned over meanwhile
 * said on stderr.  0, or an exit code. */
static int console_read(sd_bus *bus, source *s, long n, bool first) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        uint64_t from, next;
        const void *data;
        size_t len;
        int r;

        r = sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_IFACE, CONTROL_TAIL_METHOD, &e, &reply, "st",
                               s->path, s->next);
        if (r < 0) {
                r = call_error(&e, r);
                sd_bus_error_free(&e);
                return r;
        }
        r = sd_bus_message_read(reply, "tt", &from, &next);
        if (r >= 0)
                r = sd_bus_message_read_array(reply, 'y', &data, &len);
        if (r >= 0) {
                long start = first ? last_lines(data, (long) len, n) : 0;

                if (!first && from > s->next)
                        fprintf(stderr, "airsupctl: %s: %llu bytes of output came and went between two looks\n",
                                s->path, (unsigned long long) (from - s->next));
                put_lines(s, (const char *) data + start, len - (size_t) start);
                fflush(stdout);
                s->next = next;
        }
        sd_bus_message_unref(reply);
        return r < 0 ? EXIT_FAILED : 0;
}

/* Whether airsupd has gone (our connection closed), waiting at most
 * USEC for it. */
static bool daemon_gone(sd_bus *bus, uint64_t usec) {
        int r = sd_bus_wait(bus, usec);

        if (r < 0)
                return true;
        while ((r = sd_bus_process(bus, NULL)) > 0)
                ;
        return r < 0;
}

/* Follows every file of L until airsupd exits (0), with what they still
 * had then. */
static int follow_files(sd_bus *bus, sources *l) {
        bool gone = false;

        while (!gone) {
                for (size_t i = 0; i < l->n; i++)
                        if (l->s[i].console)
                                (void) console_read(bus, &l->s[i], 0, false);
                        else
                                source_read(&l->s[i], false);
                fflush(stdout);
                gone = daemon_gone(bus, 200 * 1000);
                for (size_t i = 0; i < l->n; i++)
                        if (!l->s[i].console)
                                source_check(&l->s[i]);
        }
        for (size_t i = 0; i < l->n; i++)
                if (!l->s[i].console)
                        source_read(&l->s[i], true);
        fflush(stdout);
        return 0;
}

/* journalctl's lines of the identifier ID; with FOLLOW, until airsupd
 * exits as well as journalctl. */
static int run_journalctl(sd_bus *bus, const char *id, long n, bool follow) {
        char lines[32];
        int status;
        pid_t pid;

        snprintf(lines, sizeof(lines), "%ld", n);
        char *argv[] = { "journalctl", "-q", "--no-pager", "-t", (char *) id, "-n", lines, follow ? "-f" : NULL,
                         NULL };
        fflush(stdout);
        pid = fork();
        if (pid < 0) {
                fprintf(stderr, "airsupctl: cannot run journalctl: %s\n", strerror(errno));
                return EXIT_FAILED;
        }
        if (pid == 0) {
                execvp("journalctl", argv);
                fprintf(stderr, "airsupctl: cannot run journalctl: %s\n", strerror(errno));
                _exit(EXIT_FAILED);
        }
        while (waitpid(pid, &status, WNOHANG) == 0)
                if (daemon_gone(bus, 200 * 1000)) {
                        kill(pid, SIGTERM);
                        (void) waitpid(pid, &status, 0);
                        return 0;
                }
        return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_FAILED;
}

/* What Outputs says of one group or instance: its log files (the first
 * only, unless EVERY; with EVERY, its console instances too), else a
 * journal identifier or what other kind. */
typedef struct outputs {
        size_t count;
        char *ident;
        const char *other;
} outputs;

static int read_outputs(sd_bus *bus, const char *name, bool every, sources *l, outputs *o) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *proc, *kind, *path;
        bool kept = false;
        int r;

        *o = (outputs) {};
        r = sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_IFACE, "Outputs", &e, &reply, "s", name);
        if (r < 0) {
                r = call_error(&e, r);
                sd_bus_error_free(&e);
                return -r;
        }
        r = sd_bus_message_enter_container(reply, 'a', CONTROL_OUTPUT_ROW);
        while (r >= 0 && (r = sd_bus_message_read(reply, CONTROL_OUTPUT_ROW, &proc, &kind, &path)) > 0) {
                o->count++;
                if (strcmp(kind, "log") == 0 || strcmp(kind, "file") == 0) {
                        if (!kept || every)
                                r = sources_add(l, every ? proc : "", path, false);
                        kept = true;
                } else if (strcmp(kind, "journal") == 0 && !o->ident)
                        r = (o->ident = strdup(path)) ? 0 : -ENOMEM;
                else if (strcmp(kind, "console") == 0 && every)
                        r = sources_add(l, proc, proc, true);
                else if (strcmp(kind, "journal") != 0)
                        o->other = strcmp(kind, "console") == 0 ? "console"
                                 : strcmp(kind, "inherit") == 0 ? "inherit" : "null";
        }
        sd_bus_message_unref(reply);
        return r < 0 ? -EXIT_FAILED : 0;
}

static int logs_one(sd_bus *bus, const char *name, long n, bool follow) {
        sources l = {};
        outputs o;
        int r;

        r = read_outputs(bus, name, false, &l, &o);
        if (r < 0)
                return -r;
        if (l.n > 0) {
                if (o.count > 1)
                        fprintf(stderr, "airsupctl: %s has %zu instances; showing the first one's log (name GROUP[i] "
                                "for another)\n", name, o.count);
                if (access(l.s[0].path, R_OK) < 0) {
                        fprintf(stderr, "airsupctl: cannot read %s: %s\n", l.s[0].path, strerror(errno));
                        r = EXIT_FAILED;
                } else {
                        tail_lines(&l.s[0], n, follow);
                        r = follow ? follow_files(bus, &l) : 0;
                }
        } else if (o.ident)
                r = run_journalctl(bus, o.ident, n, follow);
        else if (o.other && strcmp(o.other, "console") == 0) {
                /* The lines airsupd keeps (a group: its first instance's). */
                if (o.count > 1)
                        fprintf(stderr, "airsupctl: %s has %zu instances; showing the first one's output (name "
                                "GROUP[i] for another)\n", name, o.count);
                r = sources_add(&l, "", name, true);
                if (r >= 0)
                        r = console_read(bus, &l.s[0], n, true);
                else
                        r = EXIT_FAILED;
                if (r == 0 && follow)
                        r = follow_files(bus, &l);
        }
        else {
                fprintf(stderr, "airsupctl: %s writes to %s: airsupd keeps no log of it (use stdout = log:PATH "
                        "or console)\n",
                        name, o.other ? o.other : "nothing");
                r = EXIT_FAILED;
        }
        sources_free(&l);
        free(o.ident);
        return r;
}

/* Every group's name, in the tree's order, from Tree. */
static int group_names(sd_bus *bus, char ***ret) {
        sd_bus_message *reply = NULL;
        const char *name, *kind, *s1, *s2, *s3;
        uint32_t u1, u2, u3, u4;
        char **names = NULL;
        size_t k = 0;
        int r;

        r = call_plain(bus, "Tree", &reply);
        if (r != 0)
                return -r;
        r = sd_bus_message_enter_container(reply, 'a', CONTROL_TREE_ROW);
        while (r >= 0 && (r = sd_bus_message_read(reply, CONTROL_TREE_ROW, &name, &u1, &kind, &s1, &s2, &u2, &s3,
                                                  &u3, &u4)) > 0) {
                char **more;

                if (strcmp(kind, "group") != 0)
                        continue;
                more = realloc(names, (k + 2) * sizeof(*names));
                if (!more || !(more[k] = strdup(name))) {
                        r = -ENOMEM;
                        names = more ? more : names;
                        break;
                }
                names = more;
                names[++k] = NULL;
        }
        sd_bus_message_unref(reply);
        if (r < 0) {
                for (size_t i = 0; i < k; i++)
                        free(names[i]);
                free(names);
                return -EXIT_FAILED;
        }
        *ret = names;
        return 0;
}

/* logs with no name: every group's files, each line after its
 * instance's name; the groups whose output airsupd keeps in no file
 * said once on stderr, a failure only if no file is left. */
static int logs_all(sd_bus *bus, long n, bool follow) {
        sources l = {};
        char **names = NULL;
        size_t shown = 0;
        int r;

        r = group_names(bus, &names);
        if (r < 0)
                return -r;
        for (char **g = names; g && *g && r >= 0; g++) {
                outputs o;
                size_t before = l.n;

                r = read_outputs(bus, *g, true, &l, &o);
                if (r >= 0 && o.ident)
                        fprintf(stderr, "airsupctl: %s: output goes to the journal (logs %s runs journalctl); "
                                "airsupd keeps no copy\n", *g, *g);
                else if (r >= 0 && o.other && l.n == before)
                        fprintf(stderr, "airsupctl: %s: output goes to %s; airsupd keeps no copy\n", *g, o.other);
                free(o.ident);
        }
        for (char **g = names; g && *g; g++)
                free(*g);
        free(names);
        if (r < 0) {
                sources_free(&l);
                return -r;
        }
        for (size_t i = 0; i < l.n; i++) {
                /* A file not there yet is followed until it is. */
                if (l.s[i].console) {
                        if (console_read(bus, &l.s[i], n, true) == 0)
                                shown++;
                        continue;
                }
                if (access(l.s[i].path, R_OK) < 0 && (errno != ENOENT || !follow)) {
                        if (errno != ENOENT)
                                fprintf(stderr, "airsupctl: cannot read %s: %s\n", l.s[i].path, strerror(errno));
                        continue;
                }
                tail_lines(&l.s[i], n, follow);
                shown++;
        }
        if (shown == 0) {
                fprintf(stderr, "airsupctl: airsupd keeps no group's output in a file that can be read or "
                        "in memory (use stdout = log:PATH or console)\n");
                r = EXIT_FAILED;
        } else
                r = follow ? follow_files(bus, &l) : 0;
        sources_free(&l);
        return r;
}

/* logs' own options, from logs_option() */
static bool opt_follow;
static long opt_lines = 20;

const struct option logs_options[] = {
        { "follow", no_argument, NULL, 'f' },
        { "lines", required_argument, NULL, 'n' },
        {}
};

int logs_option(int opt, const char *arg) {
        char *end;

        if (opt == 'f') {
                opt_follow = true;
                return 0;
        }
        opt_lines = strtol(arg, &end, 10);      /* 'n' */
        if (*end || opt_lines < 0 || opt_lines > 1000000) {
                fprintf(stderr, "airsupctl: -n: expected 0 to 1000000, got '%s'\n", arg);
                return -EXIT_USAGE;
        }
        return 0;
}

int verb_logs(sd_bus *bus, const verb_call *v) {
        if (v->n_args == 0)
                return logs_all(bus, opt_lines, opt_follow);
        return logs_one(bus, v->args[0], opt_lines, opt_follow);
}
