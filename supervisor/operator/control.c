/* control.c - the control socket: D-Bus peer-to-peer over a Unix stream
 * socket, with sd-bus, as systemd's private socket is (so that
 * `busctl --address=unix:path=SOCKET` can talk to it too).
 *
 * Each accepted connection is checked first (SO_PEERCRED: root, airsupd's
 * own uid, or a member of control_group; anyone else is told so in one
 * line and closed, whatever the socket's mode), then becomes an sd_bus in
 * server mode with anonymous authentication, attached to airsupd's one
 * event loop.  Objects (see airsupctl(1), "D-BUS INTERFACE"; the methods
 * are in control-methods.c, control-verbs.c and control-events.c, below
 * this file, which adds them to each connection):
 *
 *   /org/airsup1                 org.airsup1.Manager: Status, Tree, Start,
 *                                Stop, Restart, Signal, Shutdown
 *   /org/airsup1/node/NAME       org.airsup1.Node: a property per figure
 *                                (NAME escaped as sd_bus_path_encode() does)
 *
 * The credential check decides, not sd-bus: a connection that passed it
 * is marked trusted (sd_bus_set_trusted()), since sd-bus would otherwise
 * refuse every method to a caller with neither airsupd's uid nor
 * CAP_SYS_ADMIN, members of control_group included, and to every caller
 * outside airsupd's PID namespace (the host, airsupd a container's PID
 * 1): the peer's pid is 0 there, and sd-bus's creds lookups answer
 * ENODATA without one.  The check uses the uid and groups only, which
 * SO_PEERCRED gives across PID namespaces; no pid is checked.
 *
 * A client cannot hurt airsupd: sd-bus checks every argument's type, names
 * are looked up (never trusted), at most CONTROL_CLIENTS_MAX connections
 * are served at once, and what a client leaves unread is bounded in bytes
 * (see client_check(), control-reply.c): behind the message it is
 * reading, at most CONTROL_WQUEUE_MAX bytes or CONTROL_QUEUE_MAX
 * messages, and all clients together at most CONTROL_WQUEUE_TOTAL_MAX
 * bytes; past that the client is disconnected (for the total, the one
 * with the most piled up behind its reply, then the one that has waited
 * longest).  Bytes are counted
 * as sent; a message may hold up to twice that in memory (sd-bus grows
 * its buffers by doubling), so all clients pin at most about 32 MiB. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/control-proto.h"
#include "common/fds.h"
#include "common/time.h"
#include "supervisor/core/state.h"
#include "supervisor/operator/control.h"
#include "supervisor/operator/control-events.h"
#include "supervisor/operator/control-messages.h"
#include "supervisor/operator/control-methods.h"
#include "supervisor/operator/control-reply.h"
#include "supervisor/operator/control-verbs.h"
#include "supervisor/start/fdlimit.h"

/* How soon the same refused process connecting again is the same refusal. */
#define REFUSED_AGAIN_USEC (2 * USEC_PER_SEC)

static void client_free(client *cl) {
        control_waits_drop(cl);
        control_msgs_drop(cl);
        /* Never a flush: a client that stopped reading would block it. */
        sd_bus_close_unref(cl->bus);
        free(cl);
}

static int reap_clients(sd_event_source *s, void *userdata) {
        sup_control *c = userdata;

        (void) s;
        for (client **pp = &c->clients; *pp;) {
                client *cl = *pp;
                if (cl->closed || !sd_bus_is_open(cl->bus)) {
                        *pp = cl->next;
                        c->n_clients--;
                        c->unread -= cl->unread;
                        client_free(cl);
                } else
                        pp = &cl->next;
        }
        return 0;
}

/* The bytes of the reply sd-bus itself will make to MSG, at most, where
 * it can be large: introspection, properties and the object manager
 * grow with the tree.  0 for the calls answered here (measured when
 * sent) and the small ones. */
static uint64_t generated_reply_size(sup_control *c, sd_bus_message *msg) {
        const char *iface = sd_bus_message_get_interface(msg);

        if (!sd_bus_message_is_method_call(msg, NULL, NULL) || !iface || strcmp(iface, CONTROL_IFACE) == 0 ||
            strcmp(iface, "org.freedesktop.DBus") == 0 || strcmp(iface, "org.freedesktop.DBus.Peer") == 0)
                return 0;
        return 4096 + 512 * (uint64_t) c->m->cfg->n_nodes;
}

/* Every message a client sends, before it is dispatched: a client over
 * its bounds is not served (client_check()); the peer hung up (sd-bus
 * hands us its local Disconnected signal): freed from the reaper. */
static int on_message(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        client *cl = userdata;
        uint64_t size;

        (void) error;
        if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected")) {
                client_cut(cl);
                return 0;
        }
        if (client_check(cl))
                return 1;       /* not dispatched */
        size = generated_reply_size(cl->control, m);
        if (size > 0)
                client_sent(cl, size);
        return 0;
}

static bool peer_allowed(sup_control *c, int fd, struct ucred *cred) {
        socklen_t len = sizeof(*cred);
        gid_t groups[256];
        socklen_t glen = sizeof(groups);

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) < 0)
                return false;
        if (cred->uid == 0 || cred->uid == geteuid())
                return true;
        if (!c->have_group)
                return false;
        if (cred->gid == c->group)
                return true;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) < 0)
                return false;
        for (size_t i = 0; i < glen / sizeof(gid_t); i++)
                if (groups[i] == c->group)
                        return true;
        return false;
}

int control_serve_fd(sup_control *c, int fd_in) {
        _cleanup_close_ int fd = fd_in;
        struct ucred cred = {};
        client *cl;
        int r;

        if (!peer_allowed(c, fd, &cred)) {
                static const char refused[] = "airsupd: access denied\n";
                sup_event e = { .type = SUP_EVENT_CONTROL_REFUSED, .priority = LOG_WARNING, .node = "control",
                                .pid = cred.pid };
                uint64_t now = now_usec();

                snprintf(e.detail, sizeof(e.detail), "uid=%u reason=\"not root, airsupd's user or in control_group\"",
                         (unsigned) cred.uid);
                /* One event per refused client: the same process back
                 * within REFUSED_AGAIN_USEC asks why it was refused. */
                if (cred.pid != c->refused_pid || cred.uid != c->refused_uid ||
                    now - c->refused_usec >= REFUSED_AGAIN_USEC)
                        sup_events_emit(&c->m->events, &e);
                c->refused_pid = cred.pid;
                c->refused_uid = cred.uid;
                c->refused_usec = now;
                (void) !send(fd, refused, sizeof(refused) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
                return -EACCES;
        }
        if (c->n_clients >= CONTROL_CLIENTS_MAX) {
                sup_log(&c->m->events, LOG_WARNING, "control: %d clients already, refusing pid %d",
                        CONTROL_CLIENTS_MAX, (int) cred.pid);
                return -EUSERS;
        }
        /* Each client holds an fd for as long as it stays: none from the
         * reserve that stops need. */
        if (!fdlimit_reserve_full()) {
                sup_log(&c->m->events, LOG_WARNING, "control: out of file descriptors, refusing pid %d",
                        (int) cred.pid);
                return -EMFILE;
        }
        /* A client has no fds to pass: the kernel refuses them (6.16 and
         * later), and sd-bus does not offer to take them, so that none
         * is ever closed in the loop. */
        (void) fds_refuse(fd);
        cl = calloc(1, sizeof(client));
        if (!cl)
                return -ENOMEM;
        cl->control = c;
        cl->pid = cred.pid;
        cl->uid = cred.uid;
        r = sd_bus_new(&cl->bus);
        if (r >= 0)
                r = sd_bus_set_fd(cl->bus, fd, fd);
        if (r >= 0) {
                fd = -EBADF;            /* the bus owns it */
                r = sd_bus_set_server(cl->bus, 1, c->id);
        }
        if (r >= 0)
                r = sd_bus_set_anonymous(cl->bus, 1);
        /* peer_allowed() decided: sd-bus is not to refuse the methods to
         * members of control_group (it would, lacking CAP_SYS_ADMIN or
         * airsupd's uid). */
        if (r >= 0)
                r = sd_bus_set_trusted(cl->bus, 1);
        if (r >= 0)
                r = sd_bus_negotiate_fds(cl->bus, 0);
        if (r >= 0)
                r = control_add_objects(c, cl->bus);
        if (r >= 0)
                r = sd_bus_add_filter(cl->bus, NULL, on_message, cl);
        if (r >= 0)
                /* Ahead of the tree's own events: an operator's status or
                 * stop must not wait behind a crash loop of 1000 groups. */
                r = sd_bus_attach_event(cl->bus, c->m->event, SD_EVENT_PRIORITY_IMPORTANT);
        if (r >= 0)
                r = sd_bus_start(cl->bus);
        /* A small kernel buffer (sd_bus_start() made it 8 MB): what a
         * client does not read piles up in the queue that client_check()
         * counts, not unseen in the kernel. */
        if (r >= 0)
                (void) setsockopt(sd_bus_get_fd(cl->bus), SOL_SOCKET, SO_SNDBUF, &(int) { CONTROL_SNDBUF },
                                  sizeof(int));
        if (r < 0) {
                /* A peer that hung up before it said a word is another
                 * airsupd asking whether this one answers (control_open()),
                 * not a client this one failed. */
                if (r == -ECONNRESET || r == -EPIPE)
                        sup_log(&c->m->events, LOG_DEBUG, "control: pid %d hung up before it was served",
                                (int) cred.pid);
                else
                        sup_log(&c->m->events, LOG_WARNING, "control: cannot serve pid %d: %s", (int) cred.pid,
                                strerror(-r));
                client_free(cl);
                return r;
        }
        cl->next = c->clients;
        c->clients = cl;
        c->n_clients++;
        return 0;
}

static int on_listen_again(sd_event_source *s, uint64_t usec, void *userdata) {
        sup_control *c = userdata;

        (void) usec;
        (void) sd_event_source_set_enabled(c->source, SD_EVENT_ON);
        sd_event_source_unref(s);
        return 0;
}

static int on_connection(sd_event_source *s, int lfd, uint32_t revents, void *userdata) {
        sup_control *c = userdata;
        int fd;

        (void) revents;
        fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
                /* Out of fds, the connection stays queued and the socket
                 * readable: left there, this source would run again at
                 * once, for ever, ahead of the tree.  Taken with an fd
                 * from the reserve and closed, it is refused; with the
                 * reserve empty too, the socket is not looked at for
                 * 100 ms (a timer needs no fd). */
                if (fdlimit_reserve_lend()) {
                        fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                        if (fd >= 0)
                                sup_log(&c->m->events, LOG_WARNING,
                                        "control: out of file descriptors, a client refused");
                        safe_close(fd);
                } else if (sd_event_source_set_enabled(s, SD_EVENT_OFF) >= 0 &&
                           sd_event_add_time_relative(c->m->event, NULL, CLOCK_MONOTONIC, 100 * USEC_PER_MSEC,
                                                      0, on_listen_again, c) < 0)
                        (void) sd_event_source_set_enabled(s, SD_EVENT_ON);
                return 0;
        }
        if (fd >= 0)
                (void) control_serve_fd(c, fd);
        return 0;
}

static size_t clients_now(void *userdata) {
        sup_control *c = userdata;

        return c->n_clients;
}

metrics_source control_metrics_source(sup_control *c) {
        return c ? c->metrics : (metrics_source) {};
}

int control_default_path(char *buf, size_t size) {
        const char *runtime = getenv("XDG_RUNTIME_DIR");
        int n;

        if (geteuid() == 0)
                n = snprintf(buf, size, "/run/airsup/control");
        else if (runtime && runtime[0] == '/')
                n = snprintf(buf, size, "%s/airsup/control", runtime);
        else
                n = snprintf(buf, size, "/tmp/airsup-%u/control", (unsigned) geteuid());
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

/* Whether an airsupd answers on the socket at SA. */
static bool socket_live(const struct sockaddr_un *sa) {
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        return fd >= 0 && connect(fd, (const struct sockaddr *) sa, sizeof(*sa)) == 0;
}

int control_new(sup_manager *m, const char *group, sup_control **ret, char *err, size_t err_size) {
        _cleanup_(control_freep) sup_control *c = calloc(1, sizeof(sup_control));
        int r;

        if (!c)
                return -ENOMEM;
        c->m = m;
        c->fd = -EBADF;
        c->subscription = -1;
        c->metrics = (metrics_source) { .m = m, .control_clients = clients_now, .userdata = c };
        if (group) {
                struct group *g = getgrnam(group);
                if (!g) {
                        snprintf(err, err_size, "control_group: no such group '%s'", group);
                        return -ESRCH;
                }
                c->group = g->gr_gid;
                c->have_group = true;
        }
        r = sd_id128_randomize(&c->id);
        if (r >= 0)
                r = sd_event_add_defer(m->event, &c->reap, reap_clients, c);
        /* Ahead of the clients themselves: what a client cut off had
         * queued is freed before any other client is served, not once
         * a flood of calls has been answered (its bytes no longer count
         * against the bounds, so they must not linger). */
        if (r >= 0)
                r = sd_event_source_set_priority(c->reap, SD_EVENT_PRIORITY_IMPORTANT - 1);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->reap, SD_EVENT_OFF);
        /* Just after the tree's run queue: the waiting verbs are looked
         * at once what an event set going has run, and not starved, as an
         * idle source would be, by a busy loop. */
        if (r >= 0)
                r = sd_event_add_defer(m->event, &c->settle, control_settle, c);
        if (r >= 0)
                r = sd_event_source_set_priority(c->settle, SD_EVENT_PRIORITY_NORMAL + 1);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->settle, SD_EVENT_OFF);
        if (r >= 0)
                r = c->subscription = sup_events_subscribe(&m->events, control_on_event, c);
        if (r < 0) {
                snprintf(err, err_size, "cannot set up the control socket: %s", strerror(-r));
                return r;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

/* The socket's directory, DIR: made where missing, trusted (see
 * state_mkdir_trusted()) or refused.  With a control group its members
 * must reach the socket: a directory made by airsupd (here, or above
 * the state directory) is 0750 and the group's, and so is the default
 * one, airsupd's own, when an older airsupd left it 0700; anything else
 * is the operator's, left as it is, with a warning if members cannot
 * pass it. */
static int control_dir(sup_control *c, const char *dir, const char *group, char *err, size_t err_size) {
        char dflt[sizeof(c->path)], *slash, why[PATH_MAX + 128];
        struct stat st;
        bool made = false;
        int r;

        r = state_mkdir_trusted(dir, group ? 0750 : 0700, group, &made, why, sizeof(why));
        if (r < 0) {
                snprintf(err, err_size, "the control socket's directory: %s", why);
                return r;
        }
        if (!group || stat(dir, &st) < 0)
                return 0;
        if (!made && control_default_path(dflt, sizeof(dflt)) >= 0 && (slash = strrchr(dflt, '/')) &&
            (*slash = '\0', strcmp(dflt, dir) == 0) && st.st_uid == geteuid() && (st.st_mode & 07777) == 0700 &&
            chown(dir, (uid_t) -1, c->group) == 0 && chmod(dir, 0750) == 0)
                st.st_gid = c->group, st.st_mode = (st.st_mode & ~07777) | 0750;
        if (!(st.st_mode & S_IXOTH) && !(st.st_gid == c->group && (st.st_mode & S_IXGRP)))
                sup_log(&c->m->events, LOG_WARNING, "control_group: members of %s cannot reach the control socket: "
                        "%s is mode %04o, group %u", group, dir, (unsigned) (st.st_mode & 07777),
                        (unsigned) st.st_gid);
        return 0;
}

int control_open(sup_manager *m, const char *path, const char *group, sup_control **ret, char *err, size_t err_size) {
        _cleanup_(control_freep) sup_control *c = NULL;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char dir[sizeof(sa.sun_path)], *slash;
        mode_t mode = group ? 0660 : 0600;
        int r;

        if (strlen(path) >= sizeof(sa.sun_path)) {
                snprintf(err, err_size, "control socket path too long: %s", path);
                return -ENAMETOOLONG;
        }
        r = control_new(m, group, &c, err, err_size);
        if (r < 0)
                return r;
        strcpy(sa.sun_path, path);
        strcpy(c->path, path);
        /* Its directory, made absolute for the check. */
        if (path[0] == '/')
                snprintf(dir, sizeof(dir), "%s", path);
        else if (!getcwd(dir, sizeof(dir)) || strlen(dir) + 1 + strlen(path) >= sizeof(dir)) {
                snprintf(err, err_size, "control socket path too long: %s", path);
                return -ENAMETOOLONG;
        } else
                strcat(strcat(dir, "/"), path);
        slash = strrchr(dir, '/');
        *slash = '\0';
        r = control_dir(c, dir[0] ? dir : "/", group, err, err_size);
        if (r < 0)
                return r;
        if (socket_live(&sa)) {
                snprintf(err, err_size, "another airsupd answers on %s", path);
                return -EADDRINUSE;
        }
        (void) unlink(path);            /* stale: its airsupd is gone */
        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (c->fd < 0)
                return -errno;
        {
                mode_t old = umask(0777 & ~mode);
                r = bind(c->fd, (struct sockaddr *) &sa, sizeof(sa));
                umask(old);
        }
        if (r < 0 || (group && chown(path, (uid_t) -1, c->group) < 0) || chmod(path, mode) < 0 ||
            listen(c->fd, SOMAXCONN) < 0) {
                r = -errno;
                snprintf(err, err_size, "cannot create the control socket %s: %s", path, strerror(-r));
                c->fd = safe_close(c->fd);
                return r;
        }
        r = sd_event_add_io(m->event, &c->source, c->fd, EPOLLIN, on_connection, c);
        if (r >= 0)
                r = sd_event_source_set_priority(c->source, SD_EVENT_PRIORITY_IMPORTANT);
        if (r < 0) {
                snprintf(err, err_size, "cannot watch the control socket: %s", strerror(-r));
                return r;               /* control_free() closes and unlinks it */
        }
        *ret = TAKE_PTR(c);
        return 0;
}

sup_control *control_free(sup_control *c) {
        if (!c)
                return NULL;
        if (c->subscription >= 0)
                sup_events_unsubscribe(&c->m->events, c->subscription);
        while (c->clients) {
                client *cl = c->clients;
                c->clients = cl->next;
                client_free(cl);
        }
        c->reap = sd_event_source_disable_unref(c->reap);
        c->settle = sd_event_source_disable_unref(c->settle);
        c->source = sd_event_source_disable_unref(c->source);
        if (c->fd >= 0) {
                safe_close(c->fd);
                (void) unlink(c->path);
        }
        free(c);
        return NULL;
}

