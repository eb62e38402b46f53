/* hostile-actors - a process that says things about its actors to
 * airsupd, honestly or not, on its channel (AIRSUP_FD), built from
 * common/channel.h and common/actor-table.h alone (no libairsup):
 *
 *   hostile-actors honest OUT      a small true table (a root supervisor, an
 *                                  actor, a supervisor with a named and an
 *                                  unnamed actor), a few actor events, and
 *                                  once a lane comes in (INBOX) a dead letter
 *                                  on it and DEAD records naming no lane
 *   hostile-actors lying OUT       n far past capacity, names without NUL or
 *                                  not names, states and kinds out of range,
 *                                  parents in a loop and out of range
 *   hostile-actors bigcap OUT      a capacity beyond the memfd's size
 *   hostile-actors unsealed OUT    a memfd without F_SEAL_SHRINK
 *   hostile-actors shrink OUT      a sealed memfd, then an ftruncate() of it
 *                                  to 0 (OUT says whether it was refused)
 *   hostile-actors pipe OUT        a pipe where the memfd belongs
 *   hostile-actors oddseq OUT      a table whose seq stays odd while it keeps
 *                                  rewriting the names
 *   hostile-actors flood OUT       100,000 ACTOR_EVENT records, then one more
 *                                  after a second
 *   hostile-actors deadbogus OUT   1,000 DEAD records naming lanes it has not
 *
 * Each writes what it did to OUT and then stays (pause()). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/actor-table.h"
#include "common/channel.h"

static int chan = -1;

static int send_rec(const chan_record *r, int fd) {
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = (void *) r, .iov_len = r->h.len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (fd >= 0) {
                struct cmsghdr *c;

                mh.msg_control = &control;
                mh.msg_controllen = sizeof(control.buf);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        return sendmsg(chan, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int send_table(int fd) {
        chan_record r;

        chan_init(&r, CHAN_ACTORS);
        return send_rec(&r, fd);
}

/* A memfd of CAP entries, sealed against shrinking if SEAL; mapped
 * read-write in *RET_MAP. */
static int table_fd(uint32_t cap, bool seal, unsigned char **ret_map) {
        size_t size = act_table_size(cap);
        int fd = memfd_create("actors", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        void *m;

        if (fd < 0 || ftruncate(fd, (off_t) size) < 0)
                return -1;
        m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED)
                return -1;
        if (seal && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
                return -1;
        *ret_map = m;
        return fd;
}

static act_table_hdr *hdr(unsigned char *t) {
        return (act_table_hdr *) t;
}

static act_entry *entry(unsigned char *t, uint32_t i) {
        return (act_entry *) (t + ACT_HDR_SIZE) + i;
}

static void set_entry(unsigned char *t, uint32_t i, const char *name, uint32_t parent, act_kind kind,
                      uint32_t depth, uint64_t processed, uint32_t restarts, int32_t err) {
        act_entry *e = entry(t, i);

        memset(e, 0, sizeof(*e));
        snprintf(e->name, sizeof(e->name), "%s", name);
        e->id = 70 + i;
        e->parent = parent;
        e->state = ACT_RUNNING;
        e->kind = kind;
        e->depth = depth;
        e->processed = processed;
        e->restarts = restarts;
        e->last_error = err;
}

static void fill_header(unsigned char *t, uint32_t cap, uint32_t n) {
        *hdr(t) = (act_table_hdr) { .magic = ACT_TABLE_MAGIC, .version = ACT_TABLE_VERSION,
                                    .entry_size = ACT_ENTRY_SIZE, .capacity = cap, .n = n, .seq = 2,
                                    .actors = 3, .supervisors = 2, .processed = 120, .failures = 1,
                                    .restarts = 1, .escalations = 0, .dead_letters = 1, .queued = 3 };
}

/* The honest table: root > (cache, db > (writer, #77)). */
static int honest_table(unsigned char **ret_map) {
        int fd = table_fd(8, true, ret_map);
        unsigned char *t = *ret_map;

        if (fd < 0)
                return -1;
        fill_header(t, 8, 5);
        set_entry(t, 0, "root", ACT_NO_PARENT, ACT_KIND_SUPERVISOR, 0, 0, 0, 0);
        set_entry(t, 1, "cache", 0, ACT_KIND_ACTOR, 2, 60, 1, -5 /* EIO */);
        set_entry(t, 2, "db", 0, ACT_KIND_SUPERVISOR, 0, 0, 0, 0);
        set_entry(t, 3, "writer", 2, ACT_KIND_ACTOR, 1, 50, 0, 0);
        set_entry(t, 4, "", 2, ACT_KIND_ACTOR, 0, 10, 0, 0);
        entry(t, 4)->id = 77;
        return fd;
}

static void actor_event(chan_actor_kind kind, int32_t error, uint32_t answer, const char *actor, const char *detail) {
        chan_record r;

        chan_init(&r, CHAN_ACTOR_EVENT);
        r.actor_event.kind = kind;
        r.actor_event.error = error;
        r.actor_event.answer = answer;
        snprintf(r.actor_event.actor, sizeof(r.actor_event.actor), "%s", actor);
        snprintf(r.actor_event.detail, sizeof(r.actor_event.detail), "%s", detail);
        (void) send_rec(&r, -1);
}

static void dead(uint32_t index, chan_dead_reason reason, const char *actor) {
        chan_record r;

        chan_init(&r, CHAN_DEAD);
        r.dead.index = index;
        r.dead.type = 9;
        r.dead.len = 3;
        r.dead.reason = reason;
        snprintf(r.dead.actor, sizeof(r.dead.actor), "%s", actor);
        r.dead.n_head = 3;
        memcpy(r.dead.head, "\x01\x02\x03", 3);
        (void) send_rec(&r, -1);
}

/* The index of the first lane into our mailbox airsupd tells of, within
 * SECONDS; -1 if none came. */
/* Asks for its mailbox, as libairsup's airsup_attach() does, then waits
 * for the first lane into it. */
static int wait_inbox(int seconds) {
        chan_record q;

        chan_init(&q, CHAN_ATTACH);
        if (send_rec(&q, -1) < 0)
                return -1;
        for (int waited = 0; waited < seconds * 10;) {
                struct pollfd pfd = { .fd = chan, .events = POLLIN };
                char buf[CHAN_RECORD_MAX];
                chan_record r;
                ssize_t n;
                int k = poll(&pfd, 1, 100);

                if (k == 0) {
                        waited++;
                        continue;
                }
                n = recv(chan, buf, sizeof(buf), MSG_CMSG_CLOEXEC);     /* any fds with it are closed by the kernel */
                if (n <= 0)
                        return -1;
                if (chan_parse(buf, (size_t) n, 0, &r) == 0 || chan_parse(buf, (size_t) n, 2, &r) == 0)
                        if (r.h.type == CHAN_INBOX)
                                return (int) r.inbox.index;
        }
        return -1;
}

static int honest(FILE *out) {
        unsigned char *t;
        int fd = honest_table(&t), index;

        if (fd < 0 || send_table(fd) < 0)
                return 2;
        close(fd);
        actor_event(CHAN_ACTOR_STARTED, 0, 0, "cache", "");
        actor_event(CHAN_ACTOR_FAILED, -EIO, 2, "cache", "boom");
        actor_event(CHAN_ACTOR_RESTARTED, 0, 0, "cache", "");
        actor_event(CHAN_ACTOR_STOPPED, 12345, 0, "#77", "");
        fprintf(out, "table sent\n");
        fflush(out);
        index = wait_inbox(30);
        if (index < 0)
                return 2;
        dead((uint32_t) index, CHAN_DEAD_NO_ACTOR, "nobody");
        dead(100000, CHAN_DEAD_NO_ACTOR, "forged");
        fprintf(out, "dead sent on %d\n", index);
        return 0;
}

static int lying(FILE *out) {
        unsigned char *t;
        int fd = table_fd(6, true, &t);

        if (fd < 0)
                return 2;
        fill_header(t, 6, 6);
        hdr(t)->n = UINT32_MAX;
        hdr(t)->actors = UINT64_MAX;
        set_entry(t, 0, "fine", 1, ACT_KIND_SUPERVISOR, 0, 0, 0, 0);
        set_entry(t, 1, "loop", 0, ACT_KIND_SUPERVISOR, 0, 0, 0, 0);   /* 0 <-> 1 */
        set_entry(t, 2, "x", 99999, ACT_KIND_ACTOR, 0, 0, 0, 0);        /* parent out of range */
        memset(entry(t, 2)->name, 'A', ACT_NAME_MAX);                  /* no NUL */
        set_entry(t, 3, "bad name\x1b[31m", 2, ACT_KIND_ACTOR, 0, 0, 0, 0);
        set_entry(t, 4, "badstate", 0, ACT_KIND_ACTOR, 0, 0, 0, 0);
        entry(t, 4)->state = 77;
        set_entry(t, 5, "badkind", 0, ACT_KIND_ACTOR, 0, 0, 0, 0);
        entry(t, 5)->kind = 9;
        if (send_table(fd) < 0)
                return 2;
        fprintf(out, "lying sent\n");
        return 0;
}

static int bigcap(FILE *out) {
        unsigned char *t;
        int fd = table_fd(2, true, &t);

        if (fd < 0)
                return 2;
        fill_header(t, 2, 2);
        hdr(t)->capacity = 1000;
        if (send_table(fd) < 0)
                return 2;
        fprintf(out, "bigcap sent\n");
        return 0;
}

static int unsealed(FILE *out) {
        unsigned char *t;
        int fd = table_fd(2, false, &t);

        if (fd < 0)
                return 2;
        fill_header(t, 2, 0);
        if (send_table(fd) < 0)
                return 2;
        fprintf(out, "unsealed sent\n");
        return 0;
}

static int shrink(FILE *out) {
        unsigned char *t;
        int fd = honest_table(&t);

        if (fd < 0 || send_table(fd) < 0)
                return 2;
        fprintf(out, ftruncate(fd, 0) < 0 && errno == EPERM ? "shrink refused\n" : "shrink done\n");
        return 0;
}

static int pipe_fd(FILE *out) {
        int p[2];

        if (pipe2(p, O_CLOEXEC) < 0 || send_table(p[0]) < 0)
                return 2;
        fprintf(out, "pipe sent\n");
        return 0;
}

static int oddseq(FILE *out) {
        unsigned char *t;
        int fd = honest_table(&t);

        if (fd < 0)
                return 2;
        hdr(t)->seq = 3;
        if (send_table(fd) < 0)
                return 2;
        fprintf(out, "oddseq sent\n");
        fflush(out);
        /* Rewriting, a name at a time, never done. */
        for (unsigned k = 0;; k++) {
                struct timespec ts = { 0, 1000 * 1000 };

                snprintf(entry(t, 1)->name, ACT_NAME_MAX, k % 2 ? "cache" : "cachf");
                nanosleep(&ts, NULL);
        }
}

static int flood(FILE *out) {
        struct timespec second = { 1, 100 * 1000 * 1000 };
        int sent = 0;

        for (int i = 0; i < 100000; i++) {
                chan_record r;

                chan_init(&r, CHAN_ACTOR_EVENT);
                r.actor_event.kind = CHAN_ACTOR_STARTED;
                snprintf(r.actor_event.actor, sizeof(r.actor_event.actor), "a%d", i);
                if (send_rec(&r, -1) == 0)
                        sent++;
        }
        /* The next interval: the one after it says how many were held back. */
        nanosleep(&second, NULL);
        actor_event(CHAN_ACTOR_STOPPED, 0, 0, "last", "");
        fprintf(out, "flooded %d\n", sent);
        return 0;
}

static int deadbogus(FILE *out) {
        for (uint32_t i = 0; i < 1000; i++)
                dead(1000 + i * 7919, i % 2 ? CHAN_DEAD_NO_ACTOR : CHAN_DEAD_BAD_ADDRESS, "x");
        dead(UINT32_MAX, CHAN_DEAD_NO_ACTOR, "x");
        fprintf(out, "deadbogus sent\n");
        return 0;
}

int main(int argc, char **argv) {
        static const struct {
                const char *name;
                int (*fn)(FILE *out);
        } modes[] = {
                { "honest", honest }, { "lying", lying }, { "bigcap", bigcap }, { "unsealed", unsealed },
                { "shrink", shrink }, { "pipe", pipe_fd }, { "oddseq", oddseq }, { "flood", flood },
                { "deadbogus", deadbogus },
        };
        const char *e = getenv("AIRSUP_FD");
        FILE *out;

        if (argc != 3 || !e)
                return 2;
        chan = atoi(e);
        out = fopen(argv[2], "we");
        if (!out)
                return 2;
        for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
                if (strcmp(argv[1], modes[i].name) == 0) {
                        int r = modes[i].fn(out);

                        fclose(out);
                        if (r != 0)
                                return r;
                        for (;;)
                                pause();
                }
        return 2;
}
