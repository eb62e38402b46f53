/* broker-actors.c - what a process says of the actors inside it
 * (broker-actors.h): the table it publishes (CHAN_ACTORS), its actor
 * events (CHAN_ACTOR_EVENT) and the dead letters of its actors
 * (CHAN_DEAD, broker.c keeps them).  All of it comes from the process,
 * so all of it is untrusted: the table's fd is taken only if it cannot
 * shrink under our mapping (a read past its end would be a SIGBUS in
 * airsupd), and the events a process can make are rate-limited, so a
 * flood costs one "suppressed" event, not the history. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "common/actor-table.h"
#include "common/cleanup.h"
#include "supervisor/messages/broker-actors.h"

/* The hook's answers (airsup.h's AIRSUP_RESUME..AIRSUP_ESCALATE, AIRSUP_RETRY). */
#define ANSWER_RETRY 0x100u
static const char *const answers[] = { [1] = "resume", [2] = "restart", [3] = "stop", [4] = "escalate" };

static const sup_event_type event_types[_CHAN_ACTOR_KIND_MAX] = {
        [CHAN_ACTOR_STARTED] = SUP_EVENT_ACTOR_STARTED,
        [CHAN_ACTOR_FAILED] = SUP_EVENT_ACTOR_FAILED,
        [CHAN_ACTOR_RESTARTED] = SUP_EVENT_ACTOR_RESTARTED,
        [CHAN_ACTOR_STOPPED] = SUP_EVENT_ACTOR_STOPPED,
        [CHAN_ACTOR_ESCALATED] = SUP_EVENT_ACTOR_ESCALATED,
        [CHAN_ACTOR_GAVE_UP] = SUP_EVENT_ACTORS_GAVE_UP,
        [CHAN_ACTOR_SUPPRESSED] = SUP_EVENT_ACTOR_SUPPRESSED,
};

void broker_actors_drop(sup_proc *p) {
        broker_actors_flush_suppressed(p);
        if (p->broker.act_map)
                (void) munmap((void *) p->broker.act_map, p->broker.act_size);
        p->broker.act_map = NULL;
        p->broker.act_size = 0;
}

/* FD is a table we may map: a regular file (a memfd is one) sealed
 * against shrinking, of a size a table can have.  Its size in *RET_SIZE. */
static int table_fd_check(int fd, size_t *ret_size) {
        struct stat st;
        int seals;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        seals = fcntl(fd, F_GET_SEALS);
        if (seals < 0)
                return errno == EINVAL ? -EPERM : -errno;        /* not a memfd: it could shrink */
        if (!(seals & F_SEAL_SHRINK))
                return -EPERM;
        /* Sealed: the size now is the least it will ever be. */
        if (st.st_size < ACT_HDR_SIZE || (uint64_t) st.st_size > act_table_size(ACT_CAPACITY_MAX))
                return -EFBIG;
        *ret_size = (size_t) st.st_size;
        return 0;
}

void broker_actors_take(sup_proc *p, int fd) {
        _cleanup_close_ int owned = fd;
        size_t size = 0;
        void *map = MAP_FAILED;
        int r;

        r = table_fd_check(owned, &size);
        if (r >= 0) {
                map = mmap(NULL, size, PROT_READ, MAP_SHARED, owned, 0);
                r = map == MAP_FAILED ? -errno : 0;
        }
        if (r < 0) {
                p->broker.act_ignored++;
                sup_log(&p->group->m->events, LOG_WARNING,
                        "%s pid %d: its actor table is not a sealed memfd of a table's size (%s), ignoring", p->name,
                        (int) p->pid, strerrorname_np(-r) ?: "?");
                return;
        }
        /* Replaces an earlier one; the mapping holds the memfd, the fd is not needed. */
        if (p->broker.act_map)
                (void) munmap((void *) p->broker.act_map, p->broker.act_size);
        p->broker.act_map = map;
        p->broker.act_size = size;
}

int broker_actors_read(const sup_proc *p, act_snapshot *ret) {
        if (!p->broker.act_map)
                return -ENODATA;
        return act_table_read(p->broker.act_map, p->broker.act_size, ret);
}

int broker_actors_totals(const sup_proc *p, act_table_hdr *ret) {
        if (!p->broker.act_map)
                return -ENODATA;
        return act_table_read_totals(p->broker.act_map, p->broker.act_size, ret);
}

static void emit(sup_proc *p, sup_event *e) {
        snprintf(e->node, sizeof(e->node), "%s", p->name);
        e->pid = p->pid;
        e->incarnation = p->incarnation;
        sup_events_emit(&p->group->m->events, e);
}

static void emit_suppressed(sup_proc *p, unsigned n) {
        sup_event e = { .type = SUP_EVENT_ACTOR_SUPPRESSED, .priority = LOG_WARNING };

        snprintf(e.detail, sizeof(e.detail), "suppressed=%u by=airsupd", n);
        emit(p, &e);
}

void broker_actors_flush_suppressed(sup_proc *p) {
        unsigned n = p->broker.act_events.suppressed;

        if (n == 0)
                return;
        p->broker.act_events.suppressed = 0;
        emit_suppressed(p, n);
}

bool broker_actors_pass(sup_proc *p) {
        unsigned suppressed;
        bool pass = sup_ratelimit_pass(&p->broker.act_events, sup_proc_now(p), ACTOR_EVENTS_INTERVAL_USEC,
                                       ACTOR_EVENTS_BURST, &suppressed);

        if (suppressed > 0)
                emit_suppressed(p, suppressed);
        return pass;
}

void broker_actor_event(sup_proc *p, const chan_actor_event *ev) {
        sup_event e = { .priority = LOG_INFO };
        char err[48] = "";
        uint32_t answer = ev->answer & ~ANSWER_RETRY;
        int n;

        if (!broker_actors_pass(p))
                return;
        e.type = event_types[ev->kind];
        if (ev->kind == CHAN_ACTOR_FAILED || ev->kind == CHAN_ACTOR_ESCALATED)
                e.priority = LOG_WARNING;
        else if (ev->kind == CHAN_ACTOR_GAVE_UP)
                e.priority = LOG_ERR;
        if (ev->kind == CHAN_ACTOR_SUPPRESSED) {
                snprintf(e.detail, sizeof(e.detail), "suppressed=%u by=process", (unsigned) ev->error);
                emit(p, &e);
                return;
        }
        /* The process's errors are negative or positive errnos, or its own numbers. */
        if (ev->error != 0) {
                int en = ev->error < 0 && ev->error > -4096 ? -ev->error : ev->error;
                const char *name = en > 0 && en < 4096 ? strerrorname_np(en) : NULL;

                if (name)
                        snprintf(err, sizeof(err), " error=%s", name);
                else
                        snprintf(err, sizeof(err), " error=%d", (int) ev->error);
        }
        /* chan_parse() took only printable ASCII in actor and detail. */
        n = snprintf(e.detail, sizeof(e.detail), "actor=%s%s", ev->actor[0] ? ev->actor : "?", err);
        if (ev->kind == CHAN_ACTOR_FAILED && n > 0 && (size_t) n < sizeof(e.detail))
                n += snprintf(e.detail + n, sizeof(e.detail) - (size_t) n, " answer=%s%s",
                              answer < 5 && answers[answer] ? answers[answer] : "?",
                              ev->answer & ANSWER_RETRY ? "+retry" : "");
        if (ev->detail[0] && n > 0 && (size_t) n < sizeof(e.detail))
                snprintf(e.detail + n, sizeof(e.detail) - (size_t) n, " detail=\"%s\"", ev->detail);
        emit(p, &e);
}
