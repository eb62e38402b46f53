/* fuzz-airsup - libairsup's side of the channel: what "airsupd" sends a
 * process is the input, as records (the input cut at 0xff bytes, each
 * piece one datagram, with a real lane or bell memfd beside it when its
 * first byte says so), after an honest BELL.  The library takes each or
 * refuses it, and its receives return, never faulting or looping. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child/airsup.h"
#include "common/channel.h"
#include "common/fds.h"
#include "shm/shm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        int sv[2], bell = -1, efd = -1, lane = -1;
        chan_record r;
        airsup *a = NULL;
        char env[16];

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return 0;
        if (shm_bell_create(64, &bell) < 0 || (efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
            shm_lane_create(4096, 64, &lane) < 0)
                goto out;
        chan_init(&r, CHAN_BELL);
        r.bell.lanes = 64;
        {
                /* The interest page: any fd will do, the library maps
                 * what it can. */
                int fds[3] = { bell, efd, lane };
                if (fds_send(sv[1], &r, r.h.len, fds, 3) < 0)
                        goto out;
        }
        snprintf(env, sizeof(env), "%d", sv[0]);
        setenv("AIRSUP_FD", env, 1);
        if (airsup_attach(&a) < 0)
                goto out;
        /* The rest: datagrams of what "airsupd" says, sent in bursts of at
         * most 8 (what the socket queues), each burst then taken in. */
        for (size_t i = 0, burst = 0; i < size;) {
                size_t j = i;
                int fds[4] = { lane, bell, efd, efd };
                size_t n_fds;

                while (j < size && data[j] != 0xff && j - i < CHAN_RECORD_MAX)
                        j++;
                n_fds = j > i ? data[i] % 5 : 0;
                if (j > i + 1)
                        (void) fds_send(sv[1], data + i + 1, j - i - 1, fds, n_fds);
                i = j + 1;
                if (++burst % 8 == 0 || i >= size) {
                        airsup_msg m;
                        uint8_t buf[64];
                        (void) airsup_process(a);
                        for (int k = 0; k < 4; k++)
                                if (airsup_recv(a, &m, buf, sizeof(buf), 0) >= 0)
                                        (void) airsup_commit(a, &m);
                }
        }
out:
        airsup_detach(a);
        close(sv[0]);
        close(sv[1]);
        if (bell >= 0)
                close(bell);
        if (efd >= 0)
                close(efd);
        if (lane >= 0)
                close(lane);
        return 0;
}
