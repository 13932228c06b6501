/*
 * histogram.h - the latency histogram the bench tools share (http_load,
 * webhook_sink): exact below 256 us, then 128 buckets per power of two
 * (< 0.8% wide), so percentiles of millions of samples need no sorting.
 * Header-only: each bench program is built on its own.
 */
#ifndef HOOKD_BENCH_HISTOGRAM_H
#define HOOKD_BENCH_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define HIST_SUB_BITS 8
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_HALF (HIST_SUB / 2)
#define HIST_MAX_BIT 40 /* 2^41 us is 25 days: anything longer is clamped */
#define HIST_BUCKETS (HIST_SUB + (HIST_MAX_BIT - HIST_SUB_BITS + 1) * HIST_HALF)

typedef struct hist {
    uint64_t counts[HIST_BUCKETS];
    uint64_t n, max, sum;
} hist;

static inline size_t hist_index(uint64_t v)
{
    if (v < HIST_SUB)
        return (size_t)v;
    int m = 63 - __builtin_clzll(v);
    if (m > HIST_MAX_BIT) {
        m = HIST_MAX_BIT;
        v = ((uint64_t)1 << (HIST_MAX_BIT + 1)) - 1;
    }
    int shift = m - (HIST_SUB_BITS - 1); /* leaves the top HIST_SUB_BITS bits: HALF..SUB-1 */
    return HIST_SUB + (size_t)(m - HIST_SUB_BITS) * HIST_HALF + (size_t)((v >> shift) - HIST_HALF);
}

/* The largest value bucket i holds: percentiles err on the slow side. */
static inline uint64_t hist_upper(size_t i)
{
    if (i < HIST_SUB)
        return i;
    size_t k = i - HIST_SUB;
    int m = (int)(k / HIST_HALF) + HIST_SUB_BITS;
    uint64_t top = k % HIST_HALF + HIST_HALF;
    int shift = m - (HIST_SUB_BITS - 1);
    return ((top + 1) << shift) - 1;
}

static inline void hist_record(hist *h, uint64_t us)
{
    h->counts[hist_index(us)]++;
    h->n++;
    h->sum += us;
    if (us > h->max)
        h->max = us;
}

/* The value at percentile p (0..100): the smallest bucket reaching ceil(p% of n) samples. */
static inline uint64_t hist_percentile(const hist *h, double p)
{
    if (h->n == 0)
        return 0;
    uint64_t rank = (uint64_t)((p / 100.0) * (double)h->n + 0.999999);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank)
            return hist_upper(i) < h->max ? hist_upper(i) : h->max;
    }
    return h->max;
}

#endif
