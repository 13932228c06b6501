/*
 * target_stats.h - per-target delivery figures for /metrics, with a bounded
 * label set: the first `max` targets to make an attempt get a series of their
 * own for the life of the process, every later one is counted under the
 * label "_other". A Prometheus counter must never go down, so a target keeps
 * its label once given one (no "top N" that would move counts between
 * series), and the number of series stays at most max + 1 however many
 * targets there are.
 *
 * Thread-safe: the dispatcher thread records, the HTTP thread that renders
 * the page takes a snapshot; both under one mutex, held for a few words.
 */
#ifndef HOOKD_DELIVERY_TARGET_STATS_H
#define HOOKD_DELIVERY_TARGET_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ids.h"

#define HK_TARGET_STATS_OTHER "_other"

typedef struct hk_target_figures {
    char target_id[HK_ID_MAX];    /* or HK_TARGET_STATS_OTHER */
    char workspace_id[HK_ID_MAX]; /* "" for the _other series */
    uint64_t succeeded, failed;   /* attempts */
    uint64_t duration_ms;         /* summed over the attempts */
    int64_t last_status;          /* HTTP status of the last attempt, 0: none came */
    bool failing;                 /* its last attempt failed */
} hk_target_figures;

typedef struct hk_target_stats hk_target_stats;

/* Room for `max` labelled targets (0: none, everything is _other). NULL when out of memory. */
hk_target_stats *hk_target_stats_new(size_t max);
void hk_target_stats_free(hk_target_stats *s); /* accepts NULL */

/* One attempt's outcome. */
void hk_target_stats_record(hk_target_stats *s, const char *workspace_id, const char *target_id,
                            bool succeeded, int status, int64_t duration_ms);

/* Copies the series (labelled ones in the order they were given, _other last when it has
 * counted anything) into out[cap]; returns how many there are (may exceed cap). */
size_t hk_target_stats_snapshot(hk_target_stats *s, hk_target_figures *out, size_t cap);

#endif
