/* idle-child - the trivial long-running program of bench/scale: it sleeps
 * until a signal ends it. */
#include <unistd.h>

int main(void) {
        for (;;)
                pause();
}
