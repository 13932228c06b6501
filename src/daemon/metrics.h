/*
 * metrics.h - the daemon's figures for GET /metrics, in Prometheus' text
 * exposition format (version 0.0.4): what the HTTP server answered, what the
 * store committed, what the delivery engine did, and how far behind the
 * deliveries are.
 *
 * Process-wide figures, and per webhook target (hookd_target_*: attempts by
 * result, their time, the last status) for a bounded set of targets (see
 * target_stats.h): those lines carry target and workspace ids, opaque
 * identifiers and nothing else of a tenant's (no URL, no customer). The route
 * is not authenticated, like /healthz: `hookd serve --metrics-target-labels 0`
 * leaves the per-target lines out for a scraper that must not see even ids.
 *
 * The backlog (hookd_deliveries_due, hookd_delivery_lag_seconds) is one read
 * of the store per render: an index seek per target with pending deliveries
 * (its oldest due one), and a count of the due ones that stops at
 * HK_METRICS_DUE_CAP. When that read
 * fails, the backlog lines are left out (a scraper then sees the series go
 * stale rather than a false zero) and the rest is still rendered.
 */
#ifndef HOOKD_DAEMON_METRICS_H
#define HOOKD_DAEMON_METRICS_H

#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "daemon/retention.h"
#include "delivery/dispatcher.h"
#include "store/store.h"

/* hookd_deliveries_due counts at most this many. */
#define HK_METRICS_DUE_CAP 100000

/* Why the HTTP server refused a request from its head, before reading its body. */
typedef enum hk_refused_kind {
    HK_REFUSED_UNAUTHENTICATED, /* 401: no key, or a wrong one */
    HK_REFUSED_FRAMING,         /* 400, 411, 501: its framing (http_framing.h) */
    HK_REFUSED_TOO_LARGE,       /* 413 */
    HK_REFUSED_BUDGET,          /* 503: the bodies held at once would pass the budget */
    HK_REFUSED_KINDS
} hk_refused_kind;

/* What the HTTP server counts itself. */
typedef struct hk_metrics_http {
    uint64_t responses[6];    /* by status class: [1] 1xx ... [5] 5xx; [0] anything else */
    unsigned in_flight;       /* requests received and not yet answered */
    uint64_t internal_errors; /* GraphQL answers reporting the server's failure (5xx or INTERNAL) */
    uint64_t refused[HK_REFUSED_KINDS];
    size_t body_bytes;      /* request bodies held now */
    size_t body_budget;     /* ... at most */
    unsigned connections;   /* open now */
    unsigned lingering;     /* closed, their unread input being drained */
    uint64_t cut_deadline;  /* shut down past a deadline */
    uint64_t shed_at_limit; /* shut down to make room for a new one */
} hk_metrics_http;

typedef struct hk_metrics_sources {
    hk_store *store;             /* borrowed; NULL: no store or backlog lines */
    hk_dispatcher *dispatcher;   /* borrowed; NULL: no delivery engine lines */
    hk_retention *retention;     /* borrowed; NULL (retention off): no retention lines */
    const hk_metrics_http *http; /* NULL: no HTTP lines */
    int64_t started_ms;          /* when the process started (Unix ms) */
} hk_metrics_sources;

/* The media type of the page. */
#define HK_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * Appends the page for `now_ms` to `out`. HK_ENOMEM or HK_ETOOBIG when `out`
 * cannot hold it (out then holds part of it; the caller discards it). A
 * failed backlog read is logged and is not an error (see above).
 */
HK_MUST_CHECK hk_status hk_metrics_render(const hk_metrics_sources *src, int64_t now_ms,
                                          hk_buf *out);

#endif
