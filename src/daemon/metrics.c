#include "daemon/metrics.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "delivery/target_stats.h"
#include "daemon/cli.h" /* HOOKD_VERSION */
#include "domain/deliveries.h"

typedef enum kind { COUNTER, GAUGE, HISTOGRAM } kind;

/* One figure of hk_dispatcher_stats: its name, help and where it is. */
typedef struct dispatcher_line {
    const char *name;
    kind kind;
    const char *help;
    size_t offset;
    bool is_size; /* a size_t gauge, else a uint64_t counter */
} dispatcher_line;

#define COUNT(field, name, help)                                                                   \
    {                                                                                              \
        name, COUNTER, help, offsetof(hk_dispatcher_stats, field), false                           \
    }
#define LEVEL(field, name, help)                                                                   \
    {                                                                                              \
        name, GAUGE, help, offsetof(hk_dispatcher_stats, field), true                              \
    }

static const dispatcher_line dispatcher_lines[] = {
    COUNT(claimed, "hookd_deliveries_claimed_total", "Deliveries claimed from the store."),
    COUNT(attempts, "hookd_delivery_attempts_total", "Delivery attempts started."),
    COUNT(succeeded, "hookd_delivery_attempts_succeeded_total",
          "Delivery attempts answered with a 2xx."),
    COUNT(retries, "hookd_delivery_retries_scheduled_total",
          "Failed attempts with a retry scheduled."),
    COUNT(failed, "hookd_deliveries_failed_total",
          "Deliveries failed for good, after their last retry."),
    COUNT(dropped, "hookd_deliveries_dropped_total",
          "Deliveries dropped because their event or target is gone or disabled."),
    COUNT(
        deferred, "hookd_deliveries_deferred_total",
        "Claimed deliveries left to their lease (their target slowed down, or hookd is stopping)."),
    COUNT(aborted, "hookd_delivery_attempts_aborted_total",
          "Attempts cut short by a stop (sent again after the restart)."),
    COUNT(recorded, "hookd_delivery_results_recorded_total", "Attempt outcomes written."),
    COUNT(store_errors, "hookd_delivery_store_errors_total",
          "Claims, loads and records that the store failed."),
    COUNT(template_hits, "hookd_delivery_template_cache_hits_total",
          "Bodies rendered from a cached template."),
    COUNT(template_misses, "hookd_delivery_template_cache_misses_total",
          "Bodies whose template had to be built."),
    COUNT(targets_disabled, "hookd_targets_disabled_total",
          "Webhook targets disabled because every attempt failed for too long."),
    COUNT(scans, "hookd_delivery_scans_total",
          "Looks at every target with pending deliveries in the store."),
    LEVEL(in_flight, "hookd_delivery_attempts_in_flight", "Attempts running now."),
    LEVEL(queued, "hookd_deliveries_queued", "Claimed deliveries waiting for their target."),
    LEVEL(unrecorded, "hookd_delivery_results_unrecorded",
          "Finished attempts not yet written to the store."),
    LEVEL(targets_tracked, "hookd_delivery_targets_tracked",
          "Webhook targets the dispatcher follows: with attempts in hand or pending deliveries."),
};

static void header(hk_buf *out, const char *name, kind k, const char *help)
{
    hk_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
                  k == COUNTER ? "counter"
                  : k == GAUGE ? "gauge"
                               : "histogram");
}

static void line_u64(hk_buf *out, const char *name, kind k, const char *help, uint64_t v)
{
    header(out, name, k, help);
    hk_buf_printf(out, "%s %llu\n", name, (unsigned long long)v);
}

static void render_process(hk_buf *out, int64_t started_ms)
{
    header(out, "hookd_build_info", GAUGE, "Always 1; the version is a label.");
    hk_buf_printf(out, "hookd_build_info{version=\"%s\"} 1\n", HOOKD_VERSION);
    header(out, "process_start_time_seconds", GAUGE, "When hookd started, in Unix seconds.");
    hk_buf_printf(out, "process_start_time_seconds %.3f\n", (double)started_ms / 1000.0);
}

static void render_http(hk_buf *out, const hk_metrics_http *http)
{
    static const char *const classes[6] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
    header(out, "hookd_http_responses_total", COUNTER, "HTTP responses sent, by status class.");
    for (size_t i = 0; i < 6; i++)
        hk_buf_printf(out, "hookd_http_responses_total{code=\"%s\"} %llu\n", classes[i],
                      (unsigned long long)http->responses[i]);
    line_u64(out, "hookd_http_requests_in_flight", GAUGE, "Requests received and not yet answered.",
             http->in_flight);
    static const char *const refused[HK_REFUSED_KINDS] = {"unauthenticated", "framing", "too_large",
                                                          "busy"};
    header(out, "hookd_http_refused_total", COUNTER,
           "Requests refused from their head, their body never read, by reason.");
    for (size_t i = 0; i < HK_REFUSED_KINDS; i++)
        hk_buf_printf(out, "hookd_http_refused_total{reason=\"%s\"} %llu\n", refused[i],
                      (unsigned long long)http->refused[i]);
    line_u64(out, "hookd_http_body_bytes", GAUGE, "Bytes of request bodies held now.",
             http->body_bytes);
    line_u64(out, "hookd_http_body_budget_bytes", GAUGE,
             "Bytes of request bodies held at once, at most (--max-buffered-body-bytes).",
             http->body_budget);
    line_u64(out, "hookd_http_connections", GAUGE, "Client connections open now.",
             http->connections);
    line_u64(out, "hookd_http_connections_lingering", GAUGE,
             "Closed connections whose unread input is being drained.", http->lingering);
    header(out, "hookd_http_connections_cut_total", COUNTER,
           "Connections shut down by hookd: past a deadline, or to make room at the limit.");
    hk_buf_printf(out, "hookd_http_connections_cut_total{reason=\"deadline\"} %llu\n",
                  (unsigned long long)http->cut_deadline);
    hk_buf_printf(out, "hookd_http_connections_cut_total{reason=\"limit\"} %llu\n",
                  (unsigned long long)http->shed_at_limit);
    line_u64(out, "hookd_graphql_internal_errors_total", COUNTER,
             "GraphQL answers reporting the server's own failure: a 5xx, or an INTERNAL error "
             "answered 200 as Plain's format does (a mutation the store failed).",
             http->internal_errors);
}

static void render_store(hk_buf *out, hk_store *store)
{
    hk_store_stats stats;
    hk_store_get_stats(store, &stats);
    hk_store_write_health w;
    hk_store_get_write_health(store, &w);
    bool fsync_failed = !hk_store_healthy(store, NULL);
    line_u64(out, "hookd_store_healthy", GAUGE,
             "1 when /healthz answers 200: 0 after a failed fsync (until a restart) and while "
             "writes are failing.",
             !fsync_failed && !w.failing ? 1 : 0);
    line_u64(out, "hookd_store_fsync_failed", GAUGE,
             "1 once a commit's or checkpoint's fsync failed: writes are refused until a restart.",
             fsync_failed ? 1 : 0);
    line_u64(out, "hookd_store_writes_failing", GAUGE,
             "1 while the last write transaction failed on an I/O error (disk full, read-only, "
             "EIO); 0 again once one commits.",
             w.failing ? 1 : 0);
    line_u64(out, "hookd_store_write_failures_total", COUNTER,
             "Write transactions that failed on an I/O error.", w.failures);
    line_u64(out, "hookd_store_commits_total", COUNTER, "Transactions the writer committed.",
             stats.commits);
    line_u64(out, "hookd_store_mutations_total", COUNTER,
             "Mutations run by the writer, committed or rolled back.", stats.mutations);
}

/* A histogram in seconds from one in milliseconds: cumulative buckets, sum, count. */
static void histogram(hk_buf *out, const char *name, const char *help,
                      const hk_latency_histogram *h)
{
    header(out, name, HISTOGRAM, help);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < HK_LATENCY_BOUNDS; i++) {
        cumulative += h->buckets[i];
        hk_buf_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name,
                      (double)hk_dispatcher_latency_bounds_ms[i] / 1000.0,
                      (unsigned long long)cumulative);
    }
    hk_buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)h->count);
    hk_buf_printf(out, "%s_sum %.3f\n%s_count %llu\n", name, (double)h->sum_ms / 1000.0, name,
                  (unsigned long long)h->count);
}

static void render_dispatcher(hk_buf *out, hk_dispatcher *d)
{
    hk_dispatcher_stats stats;
    hk_dispatcher_get_stats(d, &stats);
    histogram(out, "hookd_delivery_attempt_duration_seconds",
              "How long delivery attempts took, from the request's start to its outcome.",
              &stats.attempt_ms);
    histogram(out, "hookd_delivery_latency_seconds",
              "From an event's commit to the 2xx that delivered it, retries included.",
              &stats.delivered_ms);
    for (size_t i = 0; i < sizeof dispatcher_lines / sizeof dispatcher_lines[0]; i++) {
        const dispatcher_line *l = &dispatcher_lines[i];
        const char *at = (const char *)&stats + l->offset;
        uint64_t v;
        if (l->is_size) {
            size_t n;
            memcpy(&n, at, sizeof n);
            v = n;
        } else {
            memcpy(&v, at, sizeof v);
        }
        line_u64(out, l->name, l->kind, l->help, v);
    }
}

/* Per target, bounded (target_stats.h). */
static void render_targets(hk_buf *out, hk_dispatcher *d)
{
    hk_target_stats *ts = hk_dispatcher_target_stats(d);
    if (!ts)
        return;
    size_t cap = 1024;
    hk_target_figures *f = malloc(cap * sizeof *f);
    if (!f)
        return;
    size_t n = hk_target_stats_snapshot(ts, f, cap);
    if (n > cap)
        n = cap;
    header(out, "hookd_target_attempts_total", COUNTER,
           "Delivery attempts per webhook target, by result (the first "
           "--metrics-target-labels targets; later ones as target=\"_other\").");
    for (size_t i = 0; i < n; i++)
        hk_buf_printf(
            out,
            "hookd_target_attempts_total{target=\"%s\",workspace=\"%s\",result=\"success\"} "
            "%llu\nhookd_target_attempts_total{target=\"%s\",workspace=\"%s\",result="
            "\"failure\"} %llu\n",
            f[i].target_id, f[i].workspace_id, (unsigned long long)f[i].succeeded, f[i].target_id,
            f[i].workspace_id, (unsigned long long)f[i].failed);
    header(out, "hookd_target_attempt_seconds_total", COUNTER,
           "Time spent in delivery attempts per webhook target.");
    for (size_t i = 0; i < n; i++)
        hk_buf_printf(out,
                      "hookd_target_attempt_seconds_total{target=\"%s\",workspace=\"%s\"} %.3f\n",
                      f[i].target_id, f[i].workspace_id, (double)f[i].duration_ms / 1000.0);
    header(out, "hookd_target_failing", GAUGE, "1 when the webhook target's last attempt failed.");
    for (size_t i = 0; i < n; i++)
        hk_buf_printf(out, "hookd_target_failing{target=\"%s\",workspace=\"%s\"} %d\n",
                      f[i].target_id, f[i].workspace_id, f[i].failing ? 1 : 0);
    free(f);
}

static void render_backlog(hk_buf *out, hk_store *store, int64_t now_ms)
{
    hk_delivery_backlog b;
    hk_error err;
    if (hk_delivery_backlog_read(store, now_ms, HK_METRICS_DUE_CAP, &b, &err) != HK_OK) {
        hk_log_warn("metrics: the delivery backlog is left out: %s", err.message);
        return;
    }
    line_u64(out, "hookd_deliveries_due", GAUGE,
             "Pending deliveries due and not yet claimed (counted up to 100000).", b.due);
    int64_t lag = b.oldest_due == HK_TIME_NONE || b.oldest_due > now_ms ? 0 : now_ms - b.oldest_due;
    header(out, "hookd_delivery_lag_seconds", GAUGE,
           "How long the oldest due, unclaimed delivery has waited; 0 when none waits.");
    hk_buf_printf(out, "hookd_delivery_lag_seconds %.3f\n", (double)lag / 1000.0);
}

static void render_retention(hk_buf *out, hk_retention *r)
{
    hk_retention_stats st;
    hk_retention_get_stats(r, &st);
    header(out, "hookd_retention_seconds", GAUGE, "Events older than this are deleted.");
    hk_buf_printf(out, "hookd_retention_seconds %.3f\n", (double)st.keep_ms / 1000.0);
    line_u64(out, "hookd_retention_events_deleted_total", COUNTER,
             "Events deleted for being older than the retention period.", st.events);
    line_u64(out, "hookd_retention_deliveries_deleted_total", COUNTER,
             "Deliveries deleted with their events.", st.deliveries);
    line_u64(out, "hookd_retention_attempts_deleted_total", COUNTER,
             "Attempts deleted with their deliveries.", st.attempts);
    line_u64(out, "hookd_retention_errors_total", COUNTER,
             "Retention transactions that failed (retried at the next round).", st.errors);
}

hk_status hk_metrics_render(const hk_metrics_sources *src, int64_t now_ms, hk_buf *out)
{
    render_process(out, src->started_ms);
    if (src->http)
        render_http(out, src->http);
    if (src->store) {
        render_store(out, src->store);
        render_backlog(out, src->store, now_ms);
    }
    if (src->dispatcher) {
        render_dispatcher(out, src->dispatcher);
        render_targets(out, src->dispatcher);
    }
    if (src->retention)
        render_retention(out, src->retention);
    return out->err;
}
