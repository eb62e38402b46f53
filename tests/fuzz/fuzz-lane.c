/* fuzz-lane - a receiver over lane and bell segments that a hostile peer
 * filled with the input's bytes: mapping either refuses the segment or
 * every receive and sweep returns (bounded work), never faulting or
 * looping. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shm/shm.h"

static void overwrite(int fd, const uint8_t *data, size_t size) {
        struct stat st;
        uint8_t *p;

        if (fstat(fd, &st) < 0 || st.st_size <= 0)
                return;
        p = mmap(NULL, (size_t) st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
                return;
        /* The input is a list of (offset, 8 bytes) patches, so that small
         * inputs reach every part of the segment. */
        for (size_t i = 0; i + 10 <= size; i += 10) {
                size_t off = ((size_t) data[i] | (size_t) data[i + 1] << 8) * 8 % (size_t) st.st_size;
                if (off + 8 <= (size_t) st.st_size)
                        memcpy(p + off, data + i + 2, 8);
        }
        munmap(p, (size_t) st.st_size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        int lane = -1, bell = -1, efd = -1;
        shm_mailbox *m = NULL;
        shm_tx *t = NULL;
        size_t half = size / 2;

        if (shm_lane_create(1024, 64, &lane) < 0 || shm_bell_create(2, &bell) < 0)
                goto out;
        efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (shm_mailbox_open(bell, efd, &m) < 0)
                goto out;
        /* A few honest messages first (plain, with the 16-byte header of
         * an address, to an entry of the address table), then the garbage
         * over them and over the table. */
        if (shm_tx_open(lane, bell, 0, efd, -1, &t) == 0) {
                int id = shm_tx_address(t, "count", 5);
                for (uint64_t i = 0; i < 6; i++) {
                        shm_envelope e = { .type = 1, .len = sizeof(i) }, p = { .type = 2, .to_len = 3, .len = 3 + 8 };
                        if (i % 3 == 0)
                                (void) shm_tx_send(t, &e, &i, SHM_FULL_FAIL, 0);
                        else if (i % 3 == 1)
                                (void) shm_tx_send_prefixed(t, &p, "a.b", &i, SHM_FULL_FAIL, 0);
                        else if (id >= 0)
                                (void) shm_tx_send_to(t, &e, (uint32_t) id, &i, SHM_FULL_FAIL, 0);
                }
        }
        (void) shm_mailbox_add_lane(m, 0, lane, -1);
        overwrite(lane, data, half);
        overwrite(bell, data + half, size - half);
        for (unsigned i = 0; i < 64; i++) {
                uint8_t buf[128];
                shm_envelope e;
                uint32_t l;
                /* The take (the general path when it must) and the
                 * receive (the common one), in turn. */
                int r = i % 2 ? shm_mailbox_recv(m, 0, &e, buf, sizeof(buf), &l)
                              : shm_mailbox_take(m, 0, &e, buf, sizeof(buf), &l);
                if (r > (int) sizeof(buf))
                        __builtin_trap();       /* more than was asked for */
                if (r >= 0 && i % 2 == 0)
                        (void) shm_mailbox_commit(m, l);
                else if (r == -EBADMSG)
                        (void) shm_mailbox_add_lane(m, 0, lane, -1);
                else if (r == -EAGAIN) {
                        /* Given up (armed and woken), then looked at
                         * whatever the bell says: the sweep, 100 ms on
                         * each time so that it looks. */
                        if (shm_mailbox_arm_fd(m) == 0)
                                shm_mailbox_disarm_fd(m);
                        if (shm_mailbox_sweep(m, (uint64_t) (i + 1) * 100000000u) < 0)
                                __builtin_trap();
                }
        }
        /* What airsupd does with a lane whose receiver is down. */
        {
                shm_dead_letter dl;
                (void) shm_lane_take_dead(lane, 0, &dl);
        }
out:
        shm_tx_free(t);
        shm_mailbox_free(m);
        if (lane >= 0)
                close(lane);
        if (bell >= 0)
                close(bell);
        if (efd >= 0)
                close(efd);
        return 0;
}
