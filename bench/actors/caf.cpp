// caf.cpp - bench/actors' CAF peer (Debian's libcaf-dev 0.17): the same
// four measures as the C side, on a scheduler of one thread.  Built with
// g++ by `make bench` only, as BUILD/bench/actors-caf; bench/actors runs
//
//   actors-caf SPAWN ONEWAY RTT SKYNET
//
// and reads the one line it prints:
//
//   caf spawn_us=F bytes_per_actor=F oneway_mps=F rtt_p50_ns=F skynet_ms=F
//
// Every measure runs in actors on the scheduler's one thread; the main
// thread only starts a driver actor and waits for its figure.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>
#include <vector>

#include <caf/all.hpp>

using namespace caf;

struct msg64 {
        char b[64];
};
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(msg64)

using go_atom = atom_constant<atom("go")>;
using done_atom = atom_constant<atom("done")>;
using sum_atom = atom_constant<atom("sum")>;

static constexpr int BATCH = 256;       // one-way: messages per turn of the sender, as bench/actors.c

static int64_t now_ns() {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                .count();
}

static long rss_bytes() {
        long pages = 0, rss = 0;
        FILE *f = std::fopen("/proc/self/statm", "re");
        if (f) {
                if (std::fscanf(f, "%ld %ld", &pages, &rss) != 2)
                        rss = 0;
                std::fclose(f);
        }
        return rss * sysconf(_SC_PAGESIZE);
}

// ---- spawn: N idle actors from one actor; the time of the spawns, then
// the memory once each has run its first turn (its start) ----

static behavior idle(event_based_actor *) {
        return { [](done_atom) {} };
}

struct spawn_state {
        std::vector<actor> kids;
        long rss0 = 0;
        double us = 0;
};

static behavior spawner(stateful_actor<spawn_state> *self, int n, actor parent) {
        return {
                [=](go_atom) {
                        self->state.rss0 = rss_bytes();
                        self->state.kids.reserve(static_cast<size_t>(n));
                        int64_t t0 = now_ns();
                        for (int i = 0; i < n; i++)
                                self->state.kids.push_back(self->spawn(idle));
                        self->state.us = static_cast<double>(now_ns() - t0) / 1e3 / n;
                        self->send(self, done_atom::value);     // after the children's first turns
                },
                [=](done_atom) {
                        double bytes = static_cast<double>(rss_bytes() - self->state.rss0) / n;
                        for (auto &k : self->state.kids)
                                self->send_exit(k, exit_reason::user_shutdown);
                        self->state.kids.clear();
                        self->send(parent, self->state.us, bytes);
                        self->quit();
                },
        };
}

// ---- one way: a sender telling BATCH at a time, a receiver counting ----

static behavior counter(event_based_actor *self, int n, actor parent, int64_t t0) {
        auto left = std::make_shared<int>(n);
        return { [=](const msg64 &) {
                if (--*left == 0) {
                        self->send(parent, static_cast<double>(n) / (static_cast<double>(now_ns() - t0) / 1e9));
                        self->quit();
                }
        } };
}

static behavior sender(event_based_actor *self, int n, actor rx) {
        auto sent = std::make_shared<int>(0);
        return { [=](go_atom) {
                msg64 m;
                std::memset(&m, 0, sizeof(m));
                for (int i = 0; i < BATCH && *sent < n; i++, ++*sent)
                        self->send(rx, m);
                if (*sent < n)
                        self->send(self, go_atom::value);
                else
                        self->quit();
        } };
}

// ---- round trip: ping measures each exchange with echo ----

static behavior echo(event_based_actor *self) {
        return { [=](const msg64 &m, const actor &back) { self->send(back, m); } };
}

struct ping_state {
        std::vector<int64_t> lat;
        int64_t t0 = 0;
        int warm = 0;
};

static behavior ping(stateful_actor<ping_state> *self, int n, actor peer, actor parent) {
        self->state.warm = n / 10;
        self->state.lat.reserve(static_cast<size_t>(n));
        return {
                [=](go_atom) {
                        msg64 m;
                        std::memset(&m, 0, sizeof(m));
                        self->state.t0 = now_ns();
                        self->send(peer, m, actor_cast<actor>(self));
                },
                [=](const msg64 &m) {
                        auto &st = self->state;
                        int64_t d = now_ns() - st.t0;
                        if (st.warm > 0)
                                st.warm--;
                        else
                                st.lat.push_back(d);
                        if (st.lat.size() < static_cast<size_t>(n)) {
                                st.t0 = now_ns();
                                self->send(peer, m, actor_cast<actor>(self));
                                return;
                        }
                        std::sort(st.lat.begin(), st.lat.end());
                        self->send(parent, static_cast<double>(st.lat[st.lat.size() / 2]));
                        self->send_exit(peer, exit_reason::user_shutdown);
                        self->quit();
                },
        };
}

// ---- skynet: leaves send their number, inner actors spawn ten and sum ----

static behavior sky(event_based_actor *self, actor parent, int64_t num, int64_t size) {
        if (size == 1) {
                self->send(parent, sum_atom::value, num);
                self->quit();
                return {};
        }
        auto sum = std::make_shared<int64_t>(0);
        auto left = std::make_shared<int>(10);
        int64_t sub = size / 10;
        for (int i = 0; i < 10; i++)
                self->spawn(sky, actor_cast<actor>(self), num + i * sub, sub);
        return { [=](sum_atom, int64_t x) {
                *sum += x;
                if (--*left == 0) {
                        self->send(parent, sum_atom::value, *sum);
                        self->quit();
                }
        } };
}

int main(int argc, char **argv) {
        if (argc != 5) {
                std::fprintf(stderr, "usage: actors-caf SPAWN ONEWAY RTT SKYNET\n");
                return 2;
        }
        int n_spawn = std::atoi(argv[1]), n_one = std::atoi(argv[2]), n_rtt = std::atoi(argv[3]);
        int64_t n_sky = std::atoll(argv[4]);
        if (n_spawn <= 0 || n_one <= 0 || n_rtt <= 0 || n_sky <= 0) {
                std::fprintf(stderr, "actors-caf: counts must be > 0\n");
                return 2;
        }

        actor_system_config cfg;
        cfg.set("scheduler.max-threads", 1);
        cfg.set("scheduler.policy", atom("sharing"));
        cfg.set("logger.verbosity", atom("quiet"));
        actor_system sys{cfg};
        scoped_actor self{sys};
        double spawn_us = 0, bytes = 0, mps = 0, p50 = 0, sky_ms = 0;
        int64_t sky_sum = 0;

        self->send(sys.spawn(spawner, n_spawn, actor_cast<actor>(self)), go_atom::value);
        self->receive([&](double us, double b) {
                spawn_us = us;
                bytes = b;
        });

        auto rx = sys.spawn(counter, n_one, actor_cast<actor>(self), now_ns());
        self->send(sys.spawn(sender, n_one, rx), go_atom::value);
        self->receive([&](double x) { mps = x; });

        self->send(sys.spawn(ping, n_rtt, sys.spawn(echo), actor_cast<actor>(self)), go_atom::value);
        self->receive([&](double x) { p50 = x; });

        int64_t t0 = now_ns();
        sys.spawn(sky, actor_cast<actor>(self), int64_t{0}, n_sky);
        self->receive([&](sum_atom, int64_t x) { sky_sum = x; });
        sky_ms = static_cast<double>(now_ns() - t0) / 1e6;
        if (sky_sum != n_sky * (n_sky - 1) / 2) {
                std::fprintf(stderr, "actors-caf: skynet summed %lld\n", static_cast<long long>(sky_sum));
                return 1;
        }
        std::printf("caf spawn_us=%.4f bytes_per_actor=%.1f oneway_mps=%.0f rtt_p50_ns=%.0f skynet_ms=%.2f\n",
                    spawn_us, bytes, mps, p50, sky_ms);
        std::fflush(stdout);
        return 0;
}
