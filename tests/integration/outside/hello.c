/* hello - a program outside this tree, built against the installed
 * libairsup with pkg-config: it sends itself a message through airsupd
 * and writes what came back to the file named by its argument. */
#include <airsup.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
        airsup *a;
        airsup_dest *self;
        airsup_msg m;
        char buf[64] = "";
        FILE *f;
        int n;

        if (argc != 2 || airsup_attach(&a) < 0 || airsup_lookup(a, "hello", 5000000000u, &self) < 0 ||
            airsup_send(self, 1, "hello", 5, NULL) < 0)
                return 1;
        n = airsup_recv(a, &m, buf, sizeof(buf) - 1, 5000000000u);
        if (n < 0 || airsup_commit(a, &m) < 0)
                return 1;
        f = fopen(argv[1], "w");
        if (!f)
                return 1;
        fprintf(f, "%.*s from %s\n", n, buf, m.sender);
        fclose(f);
        for (;;)
                pause();
}
