/* airsupd-spawner.c - the spawner (supervisor/start/spawner.c) as a
 * program of its own, installed beside airsupd.
 *
 * airsupd exec'ing itself as its spawner loads every library airsupd
 * links (libsystemd and what it needs, libmicrohttpd and GnuTLS, json-c,
 * libbsd): about 4 MB of resident library pages in a process that only
 * receives a plan, clones and answers.  This program is linked with
 * --gc-sections from the spawner's objects and needs nothing but libc,
 * so the spawner costs about 1 MB.  airsupd falls back to "airsupd
 * --spawner" when this file is not beside it. */
#include <string.h>

#include "supervisor/start/spawner.h"

int main(int argc, char **argv) {
        if (argc == 2 && strcmp(argv[1], "--spawner") == 0)
                sup_spawner_main(3);
        return 2;
}
