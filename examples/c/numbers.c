/*
 * numbers: take COUNT numbers from a seqfab card through the C ABI, check that they
 * strictly increase, and print them, one per line.
 *
 *   numbers TARGET NODE COUNT
 *
 * TARGET is a PCI address bound to vfio-pci (0000:03:00.0) or a simulated card's socket
 * (`seqfab-sim serve --nodes 3 --dir /tmp/sf --manager` makes /tmp/sf/card0.sock ...);
 * NODE is the card's node id on its fabric. The numbers are taken in a mix of the
 * calls a C program has: seqfab_next, seqfab_next_batch, and the pipelined
 * seqfab_submit + seqfab_wait / seqfab_poll. Right after start-up the card may not be
 * configured yet (the management process sets roles): SEQFAB_RESULT_NOT_CONFIGURED is
 * retried for up to 30 s.
 *
 * Exit status: 0 success, 1 a seqfab error (printed with seqfab_strerror and
 * seqfab_last_error), 2 usage, 3 numbers that do not strictly increase.
 *
 * Build: see Makefile (static: cc numbers.c -I../../userlib/include
 * ../../target/debug/libseqfab.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc).
 */

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "seqfab.h"

/* How long NOT_CONFIGURED is retried: the manager's CONFIG lands within seconds. */
#define CONFIGURE_WAIT_S 30

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

/* Prints a failed call: the code's static name and this thread's detailed message. */
static void report(const char *what, seqfab_result rc) {
    char detail[512];
    size_t n = seqfab_last_error(detail, sizeof detail);
    fprintf(stderr, "numbers: %s: %s (code %u)%s%s%s\n", what, seqfab_strerror(rc),
            (unsigned)rc, n ? ": " : "", detail, n >= sizeof detail ? " [...]" : "");
}

/*
 * Takes the next `want` (1..6) numbers into out[]; returns how many it took (a round
 * takes up to 6: one seqfab_next, a batch of 3, two tickets), or 0 with *rc set.
 */
static size_t take_round(const seqfab_sequencer *seq, size_t want, uint64_t *out,
                         seqfab_result *rc) {
    size_t got = 0;
    uint64_t start;

    /* One number. */
    if ((*rc = seqfab_next(seq, &out[got])) != SEQFAB_RESULT_OK) return 0;
    got++;
    if (got == want) return got;

    /* A batch: [start, start + k). */
    uint32_t k = want - got < 3 ? (uint32_t)(want - got) : 3;
    if ((*rc = seqfab_next_batch(seq, k, &start)) != SEQFAB_RESULT_OK) return 0;
    for (uint32_t i = 0; i < k; i++) out[got++] = start + i;
    if (got == want) return got;

    /* Two requests in flight; the first waited for, the second polled. Both go to this
     * thread's queue, which answers in order. Each ticket is released exactly once:
     * by seqfab_wait, or by seqfab_ticket_free after polling. */
    seqfab_ticket *first = NULL, *second = NULL;
    if ((*rc = seqfab_submit(seq, 1, &first)) != SEQFAB_RESULT_OK) return 0;
    if (want - got >= 2 && (*rc = seqfab_submit(seq, 1, &second)) != SEQFAB_RESULT_OK) {
        seqfab_ticket_free(first); /* gives its request up: a gap, not a duplicate */
        return 0;
    }
    *rc = seqfab_wait(seq, first, &start); /* releases `first` whatever it returns */
    if (*rc != SEQFAB_RESULT_OK) {
        seqfab_ticket_free(second);
        return 0;
    }
    out[got++] = start;
    if (second != NULL) {
        bool ready = false;
        double deadline = now_s() + 5.0;
        while (!ready) {
            *rc = seqfab_poll(seq, second, &start, &ready);
            if (*rc != SEQFAB_RESULT_OK) break;
            if (!ready && now_s() > deadline) {
                *rc = SEQFAB_RESULT_TIMEOUT;
                break;
            }
        }
        seqfab_ticket_free(second);
        if (*rc != SEQFAB_RESULT_OK) return 0;
        out[got++] = start;
    }
    return got;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s TARGET NODE COUNT\n  (seqfab %s)\n", argv[0],
                seqfab_version());
        return 2;
    }
    const char *target = argv[1];
    char *end;
    unsigned long node = strtoul(argv[2], &end, 10);
    if (*end != '\0' || node > 255) {
        fprintf(stderr, "numbers: NODE must be 0..255, not %s\n", argv[2]);
        return 2;
    }
    unsigned long long count = strtoull(argv[3], &end, 10);
    if (*end != '\0' || count == 0 || count > 100000000ULL) {
        fprintf(stderr, "numbers: COUNT must be 1..100000000, not %s\n", argv[3]);
        return 2;
    }

    seqfab_options options;
    seqfab_options_init(&options);
    options.timeout_ns = 2000000000ULL; /* 2 s: a simulated card is slow */

    seqfab_sequencer *seq = NULL;
    seqfab_result rc = seqfab_open(target, (uint8_t)node, &options, &seq);
    if (rc != SEQFAB_RESULT_OK) {
        report("seqfab_open", rc);
        return 1;
    }

    uint64_t *numbers = malloc(count * sizeof *numbers);
    if (numbers == NULL) {
        fprintf(stderr, "numbers: out of memory for %llu numbers\n", count);
        seqfab_close(seq);
        return 1;
    }
    size_t have = 0;
    double configure_deadline = now_s() + CONFIGURE_WAIT_S;
    unsigned retries = 0;
    while (have < count) {
        size_t want = count - have < 6 ? (size_t)(count - have) : 6;
        size_t got = take_round(seq, want, &numbers[have], &rc);
        if (got == 0) {
            if (rc == SEQFAB_RESULT_NOT_CONFIGURED && now_s() < configure_deadline) {
                retries++;
                sleep_ms(50);
                continue;
            }
            report("taking numbers", rc);
            free(numbers);
            seqfab_close(seq);
            return 1;
        }
        have += got;
    }

    int status = 0;
    for (size_t i = 0; i < have; i++) {
        if (i > 0 && numbers[i] <= numbers[i - 1]) {
            fprintf(stderr, "numbers: not strictly increasing: #%zu is %" PRIu64
                    " after %" PRIu64 "\n", i, numbers[i], numbers[i - 1]);
            status = 3;
        }
        printf("%" PRIu64 "\n", numbers[i]);
    }

    seqfab_stats stats;
    if ((rc = seqfab_get_stats(seq, &stats)) != SEQFAB_RESULT_OK) {
        report("seqfab_get_stats", rc);
        status = status ? status : 1;
    } else {
        fprintf(stderr,
                "numbers: %zu numbers from %s node %lu, %s; %u not-configured retries; "
                "%" PRIu64 " answered spinning, %" PRIu64 " sleeps, %" PRIu64 " timeouts\n",
                have, target, node, status ? "NOT strictly increasing" : "strictly increasing",
                retries, stats.completed_spinning, stats.sleeps, stats.timeouts);
    }
    free(numbers);
    seqfab_close(seq);
    return status;
}
