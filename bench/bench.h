/* bench.h - what the benchmarks share: the clock, naps, medians, starting
 * and stopping a peer supervisor, and the folders they run from.  Each
 * benchmark is one program; these helpers live in bench/lib.c. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The helpers sit beside the benchmark's binary, airsupd one level up. */
extern char bench_bindir[PATH_MAX], bench_builddir[PATH_MAX], bench_tmpdir[PATH_MAX];

int64_t bench_mono_ns(void);
/* LEN bytes of BUF to FD, or _exit(3); LEN bytes from FD within SECONDS:
 * whether they came (pipes between a bench and its children). */
void bench_write_all(int fd, const void *buf, size_t len);
bool bench_read_within(int fd, void *buf, size_t len, double seconds);
void bench_nap_ms(long ms);
int bench_cmp_double(const void *a, const void *b);
_Noreturn void bench_die(const char *what);

/* Finds the folders and makes a temporary one named after NAME
 * ("/tmp/airsup-bench-NAME.XXXXXX"), which becomes AIRSUP_RUNTIME_DIR for
 * every airsupd and airsupctl the bench starts; exits on failure. */
void bench_dirs_init(const char *name);

/* Starts ARGV (ENVP, or this program's environment) in a process group of
 * its own: stdin /dev/null; stdout appended to OUT_PATH, or /dev/null;
 * stderr to ERR_FD if >= 0, else where stdout goes.  -1 with errno set on
 * failure. */
pid_t bench_spawn(char *const argv[], char *const envp[], const char *out_path, int err_fd);
/* The same in a session of its own, as systemd starts a service and a
 * container runtime its PID 1: an airsupd whose share of the CPU against
 * its groups is measured (each group a session, an autogroup, of its own;
 * see [airsupd] nice in airsup.conf(5)). */
pid_t bench_spawn_session(char *const argv[], char *const envp[], const char *out_path, int err_fd);

/* A process on this machine, as /proc/PID/stat has it. */
typedef struct bench_proc {
        pid_t pid, ppid;
        char state;                     /* 'R', 'S', 'Z', ... */
        char comm[32];
} bench_proc;

/* Every process on the machine now, into *RET (malloc'd: free it); exits
 * when /proc cannot be read or memory runs out. */
size_t bench_procs(bench_proc **ret);

/* SIGTERM, then after SECONDS SIGKILL to its whole tree (every
 * descendant, whatever its session) and its process group; returns the
 * milliseconds it took to exit. */
double bench_stop(pid_t pid, double seconds);

/* Pins this process to the NTH of the CPUs it was started with (read at
 * the first call; NTH -1 only reads them), so that the two sides of an
 * exchange run on CPUs of their own; nothing with one CPU.  bench_unpin()
 * puts it back on all of them. */
void bench_pin(int nth);
void bench_unpin(void);

/* Whether airsupd could have cgroups here (cgroup = required): cgroup v2
 * mounted and this process's cgroup writable. */
bool bench_cgroups(void);

/* A datagram socket bound at PATH, for airsupd's READY=1 to the bench
 * (its NOTIFY_SOCKET); exits on failure. */
int bench_notify_socket(const char *path);

/* READY=1 on FD (a bench_notify_socket()) within SECONDS. */
bool bench_wait_ready(int fd, double seconds);
/* [--quick] [--groups N] (1..MAX; NOTE after the range in the usage):
 * exits 2 on anything else. */
void bench_args(int argc, char **argv, const char *name, size_t max, const char *note, bool *quick, size_t *groups);

/* A result file a role under airsupd writes: PATH.tmp, then renamed, so
 * that a reader sees all of it or nothing; _exit(3) on failure. */
void bench_write_result(const char *path, const char *text);
/* Runs airsupd on CONF_TEXT (written into the temporary folder) until one
 * of its groups wrote RESULT (one or two numbers, into A and B; up to 120
 * s), then stops it; whether RESULT came. */
bool bench_under_airsupd(const char *conf_text, const char *result, double *a, double *b);

/* The table and the last line, as the benchmarks print them. */
double bench_median(double *v, unsigned n);
/* A figure with PREC decimals in a column of 12, or "-" for none (< 0). */
void bench_cell(double v, int prec);
/* " 1.23x" (A / B) in a column of 8, or "-" when either is unknown. */
void bench_ratio(double a, double b);
/* A goal: "met", "NOT met", or "unknown" when a figure is missing. */
const char *bench_met(bool known, bool ok);
/* ,"KEY":V with PREC decimals, or null for none (< 0). */
void bench_json_num(const char *key, double v, int prec);
/* PROG's path on PATH into RET (PATH_MAX + 16 bytes); whether found. */
bool bench_on_path(const char *prog, char *ret);

/* Throughput while neither side is preempted.  A one-way run is cut into
 * chunks of CHUNK messages timed by the receiver, and a chunk counts only
 * if neither side was preempted meanwhile (involuntary context switches
 * of the calling thread, getrusage(); a side that chooses to sleep -- a
 * pipe reader, a lane receiver that waits -- pays for it in its chunk).
 * The receiver counts its own; the sender's count travels in its messages
 * (bytes 8-15: its count when it began the chunk; bench_stamp_put()), and
 * a chunk counts when that count did not move from the chunk before to
 * the chunk after: messages queued in the previous chunk, up to a chunk
 * of them (a 256 KiB lane holds 3640 of 64 bytes), are read in this one.
 * A queue deeper than a chunk (a pipe of 1 MiB: 16384) may let a reader
 * drain, at full speed, what was queued before its sender was preempted:
 * that errs in that transport's favour.  Chunk 0 warms up and never
 * counts. */
#define BENCH_COUNTED_MIN 5

typedef struct bench_stamp {
        uint32_t chunk;                 /* messages */
        uint64_t sw;
} bench_stamp;

/* The sender, before it sends message I (at least 16 bytes in BUF). */
void bench_stamp_put(bench_stamp *st, uint64_t i, uint8_t *buf);

typedef struct bench_meter {
        uint32_t chunk;
        int64_t t0;                     /* the current chunk's start */
        uint64_t own0;                  /* our count then */
        uint64_t sw[3];                 /* the sender's at the last three chunk starts, newest last */
        double last_rate;               /* the chunk before the current one */
        bool last_own_clean;
        double *rates;                  /* of the chunks that count */
        size_t n, max;
} bench_meter;

/* For a run of N_MSGS messages in chunks of CHUNK; exits on failure. */
void bench_meter_init(bench_meter *m, uint64_t n_msgs, uint32_t chunk);
/* Message I (from 0, in order) has arrived in BUF. */
void bench_meter_on(bench_meter *m, uint64_t i, const uint8_t *buf);
/* The median msgs/s of the chunks that counted, or -1 with fewer than
 * BENCH_COUNTED_MIN; *RET_COUNTED (may be NULL) how many. */
double bench_meter_done(bench_meter *m, size_t *ret_counted);
