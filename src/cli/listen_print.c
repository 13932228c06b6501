/*
 * listen_print.c - one delivery for people or for scripts (see listen_print.h).
 *
 * For people:
 *
 *   14:02:11  200  customer.customer_updated  pEv_01J...  attempt 1  whTarget_01J...
 *             ann@example.com  Ann Changed  c_01J...
 *             full name: "Ann Example" -> "Ann Changed"
 *   14:02:12  400  the signature does not match
 *             headers (unverified): pEv_01J... customer.customer_created attempt 2
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/listen_print.h"
#include "core/clock.h"

#define INDENT "          " /* under the event type, past "HH:MM:SS  " */
#define SHOWN_MAX 120       /* code points of one value in a change line */
#define FIELD_BUF 512

const char *listen_error_code(hk_verify_result r)
{
    switch (r) {
    case HK_VERIFY_OK:
        return "ok";
    case HK_VERIFY_BAD_SIGNATURE:
        return "bad_signature";
    case HK_VERIFY_STALE:
        return "stale_timestamp";
    case HK_VERIFY_MALFORMED_JSON:
        return "malformed_json";
    case HK_VERIFY_SCHEMA_VIOLATION:
        return "schema_violation";
    case HK_VERIFY_UNKNOWN_EVENT:
        return "unknown_event";
    case HK_VERIFY_VERSION_MISMATCH:
        return "version_mismatch";
    case HK_VERIFY_NO_MEMORY:
        return "no_memory";
    case HK_VERIFY_INVALID_ARGUMENT:
        return "invalid_argument";
    case HK_VERIFY_TOO_LARGE:
        return "too_large";
    default:
        /* A result added to the library later: still a failure a script can test for. */
        return "error";
    }
}

/* ---- what changed between previousCustomer and customer ---- */

/* One changed field: its name in the payload, a label and both values as shown. */
typedef void (*change_fn)(void *ctx, const char *field, const char *label, const char *before,
                          const char *after);

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* A string value as shown in a change line: quoted, or "-" for null. */
static void quote(char *out, const char *s)
{
    if (s)
        snprintf(out, FIELD_BUF, "\"%s\"", s);
    else
        snprintf(out, FIELD_BUF, "-");
}

static void diff_string(const char *field, const char *label, const char *a, const char *b,
                        change_fn fn, void *ctx)
{
    char before[FIELD_BUF], after[FIELD_BUF];
    if (same(a, b))
        return;
    quote(before, a);
    quote(after, b);
    fn(ctx, field, label, before, after);
}

static void diff_flag(const char *field, const char *label, bool a, bool b, change_fn fn, void *ctx)
{
    if (a != b)
        fn(ctx, field, label, a ? "yes" : "no", b ? "yes" : "no");
}

/* The keys of a customer's groups, "vip, beta" ("-" for none). */
static void group_keys(char *out, const hk_webhook_customer *c)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < c->n_memberships && n < FIELD_BUF; i++) {
        const char *key = c->memberships[i].customer_group.key;
        n += (size_t)snprintf(out + n, FIELD_BUF - n, "%s%s", i ? ", " : "", key ? key : "?");
    }
    if (!out[0])
        snprintf(out, FIELD_BUF, "-");
}

/* Calls fn for each field that differs; the timestamps and actors that change with every
 * update are left out: they would be noise on every line. */
static void diff_customers(const hk_webhook_customer *a, const hk_webhook_customer *b, change_fn fn,
                           void *ctx)
{
    char before[FIELD_BUF], after[FIELD_BUF];
    diff_string("email", "email", a->email.email, b->email.email, fn, ctx);
    diff_flag("email.isVerified", "email verified", a->email.is_verified, b->email.is_verified, fn,
              ctx);
    diff_string("externalId", "external id", a->external_id, b->external_id, fn, ctx);
    diff_string("fullName", "full name", a->full_name, b->full_name, fn, ctx);
    diff_string("shortName", "short name", a->short_name, b->short_name, fn, ctx);
    diff_flag("markedAsSpamAt", "spam", a->marked_as_spam_at != HK_WEBHOOK_TIME_NONE,
              b->marked_as_spam_at != HK_WEBHOOK_TIME_NONE, fn, ctx);
    group_keys(before, a);
    group_keys(after, b);
    if (strcmp(before, after) != 0)
        fn(ctx, "customerGroupMemberships", "groups", before, after);
}

/* The group that is in `in` and not in `out`: the one a memberships event added or removed. */
static const hk_webhook_customer_group *group_between(const hk_webhook_customer *in,
                                                      const hk_webhook_customer *out)
{
    for (size_t i = 0; in && i < in->n_memberships; i++) {
        const char *id = in->memberships[i].customer_group_id;
        bool found = false;
        for (size_t j = 0; out && j < out->n_memberships && !found; j++)
            found = same(id, out->memberships[j].customer_group_id);
        if (!found)
            return &in->memberships[i].customer_group;
    }
    return NULL;
}

static const hk_webhook_customer_group *changed_group(const hk_webhook *wh)
{
    bool added = wh->change_type && strcmp(wh->change_type, "ADDED") == 0;
    return added ? group_between(wh->customer, wh->previous_customer)
                 : group_between(wh->previous_customer, wh->customer);
}

/* The customer an event is about: as it is now, or as it was before it was deleted. */
static const hk_webhook_customer *subject(const hk_webhook *wh)
{
    return wh->customer ? wh->customer : wh->previous_customer;
}

/* ---- for people ---- */

static void print_clock(const cli_out *o, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char text[16] = "--:--:--";
    if (localtime_r(&t, &tm))
        strftime(text, sizeof text, "%H:%M:%S", &tm);
    out_text(o, STYLE_DIM, text);
    fputs("  ", o->f);
}

static void print_status(const cli_out *o, int status)
{
    char text[8];
    snprintf(text, sizeof text, "%d", status);
    out_text(o, status < 300 ? STYLE_OK : STYLE_BAD, text);
    fputs("  ", o->f);
}

static cli_style event_style(hk_webhook_event e)
{
    switch (e) {
    case HK_WEBHOOK_CUSTOMER_CREATED:
        return STYLE_OK;
    case HK_WEBHOOK_CUSTOMER_DELETED:
        return STYLE_BAD;
    case HK_WEBHOOK_CUSTOMER_UPDATED:
        return STYLE_WARN;
    default:
        return STYLE_HEADER;
    }
}

/* Writes words separated by two spaces, each in its style; NULL words are skipped. */
static void print_words(const cli_out *o, const char *const *words, const cli_style *styles,
                        size_t n)
{
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (!words[i])
            continue;
        if (!first)
            fputs("  ", o->f);
        out_text(o, styles[i], words[i]);
        first = false;
    }
    fputc('\n', o->f);
}

static void print_change_line(void *ctx, const char *field, const char *label, const char *before,
                              const char *after)
{
    const cli_out *o = ctx;
    char *b = out_clean(before, SHOWN_MAX), *a = out_clean(after, SHOWN_MAX);
    fputs(INDENT, o->f);
    out_text(o, STYLE_LABEL, label);
    fputs(": ", o->f);
    out_text(o, STYLE_DIM, b ? b : "?");
    fputs(" -> ", o->f);
    out_text(o, STYLE_PLAIN, a ? a : "?");
    fputc('\n', o->f);
    free(b);
    free(a);
}

static void print_membership(const cli_out *o, const hk_webhook *wh)
{
    const hk_webhook_customer_group *g = changed_group(wh);
    bool added = wh->change_type && strcmp(wh->change_type, "ADDED") == 0;
    char line[FIELD_BUF];
    if (g)
        snprintf(line, sizeof line, "%s group %s (%s)", added ? "added to" : "removed from",
                 g->key ? g->key : "?", g->name ? g->name : "?");
    else
        snprintf(line, sizeof line, "group membership %s", wh->change_type ? wh->change_type : "?");
    fputs(INDENT, o->f);
    out_text(o, added ? STYLE_OK : STYLE_WARN, line);
    fputc('\n', o->f);
}

static void print_verified(const cli_out *o, const listen_delivery *d)
{
    const hk_webhook *wh = d->wh;
    const hk_webhook_customer *c = subject(wh);
    char attempt[32];
    snprintf(attempt, sizeof attempt, "attempt %u", wh->metadata.webhook_delivery_attempt_number);
    const char *head[] = {wh->event_type, wh->id, attempt, wh->metadata.webhook_target_id};
    const cli_style head_styles[] = {event_style(wh->event), STYLE_PLAIN, STYLE_PLAIN, STYLE_DIM};
    print_words(o, head, head_styles, 4);
    if (!c)
        return;
    bool deleted = wh->event == HK_WEBHOOK_CUSTOMER_DELETED;
    const char *who[] = {c->email.email, c->full_name, c->id, deleted ? "(deleted)" : NULL};
    const cli_style who_styles[] = {STYLE_HEADER, STYLE_PLAIN, STYLE_DIM, STYLE_BAD};
    fputs(INDENT, o->f);
    print_words(o, who, who_styles, 4);
    if (wh->event == HK_WEBHOOK_CUSTOMER_UPDATED && wh->previous_customer && wh->customer)
        diff_customers(wh->previous_customer, wh->customer, print_change_line, (void *)o);
    else if (wh->event == HK_WEBHOOK_CUSTOMER_GROUP_MEMBERSHIPS_CHANGED)
        print_membership(o, wh);
}

static void print_rejected(const cli_out *o, const listen_delivery *d)
{
    out_text(o, STYLE_BAD, d->message);
    fputc('\n', o->f);
    if (!d->event_id && !d->event_type && !d->attempt)
        return;
    char attempt[48];
    snprintf(attempt, sizeof attempt, "attempt %.32s", d->attempt ? d->attempt : "?");
    const char *words[] = {"headers (unverified):", d->event_id, d->event_type, attempt};
    const cli_style styles[] = {STYLE_LABEL, STYLE_DIM, STYLE_DIM, STYLE_DIM};
    fputs(INDENT, o->f);
    print_words(o, words, styles, 4);
}

/* "-> forwarded: 200 in 3 ms" or "-> forwarded: connection refused (answered 502)". */
static void print_forward(const cli_out *o, const listen_delivery *d)
{
    char text[192];
    if (d->forward_status)
        snprintf(text, sizeof text, "forwarded: %d in %lld ms", d->forward_status,
                 (long long)d->forward_ms);
    else
        snprintf(text, sizeof text, "forwarded: %s (answered %d)",
                 d->forward_error ? d->forward_error : "no answer", d->status);
    fputs(INDENT, o->f);
    bool ok = d->forward_status >= 200 && d->forward_status <= 299;
    out_text(o, ok ? STYLE_OK : STYLE_BAD, text);
    fputc('\n', o->f);
}

static void print_text(const cli_out *o, const listen_delivery *d)
{
    print_clock(o, d->received_ms);
    print_status(o, d->status);
    if (d->wh)
        print_verified(o, d);
    else
        print_rejected(o, d);
    if (d->forwarded)
        print_forward(o, d);
}

/* ---- for scripts ---- */

static void add_changed(void *ctx, const char *field, const char *label, const char *before,
                        const char *after)
{
    json_array_append_new(ctx, json_string(field));
}

static json_t *opt_string(const char *s)
{
    return s ? json_string(s) : json_null();
}

static void add_verified(json_t *j, const hk_webhook *wh)
{
    const hk_webhook_customer *c = subject(wh);
    json_object_set_new(j, "eventId", json_string(wh->id));
    json_object_set_new(j, "eventType", json_string(wh->event_type));
    json_object_set_new(j, "attempt", json_integer(wh->metadata.webhook_delivery_attempt_number));
    json_object_set_new(j, "targetId", json_string(wh->metadata.webhook_target_id));
    json_object_set_new(j, "customerId", opt_string(c ? c->id : NULL));
    json_object_set_new(j, "customerEmail", opt_string(c ? c->email.email : NULL));
    if (wh->event == HK_WEBHOOK_CUSTOMER_UPDATED && wh->previous_customer && wh->customer) {
        json_t *changed = json_array();
        diff_customers(wh->previous_customer, wh->customer, add_changed, changed);
        json_object_set_new(j, "changed", changed);
    } else if (wh->event == HK_WEBHOOK_CUSTOMER_GROUP_MEMBERSHIPS_CHANGED) {
        const hk_webhook_customer_group *g = changed_group(wh);
        json_object_set_new(j, "changeType", opt_string(wh->change_type));
        json_object_set_new(j, "groupKey", opt_string(g ? g->key : NULL));
    }
}

/* The attempt number from a header: a number when it is one, else null. */
static json_t *header_number(const char *s)
{
    char *end;
    long v = s ? strtol(s, &end, 10) : -1;
    return s && *s && !*end && v >= 0 ? json_integer(v) : json_null();
}

/* A header value as a JSON string: cleaned, since it may be any bytes (jansson takes UTF-8
 * only, and a script printing it should not get control characters either). */
static json_t *header_string(const char *s)
{
    char *clean = s ? out_clean(s, 0) : NULL;
    json_t *v = clean ? json_string(clean) : json_null();
    free(clean);
    return v;
}

static void add_rejected(json_t *j, const listen_delivery *d)
{
    json_object_set_new(j, "error", json_string(d->error));
    json_object_set_new(j, "message", json_string(d->message));
    /* Unverified, but what tells an operator which delivery failed. */
    json_object_set_new(j, "eventId", header_string(d->event_id));
    json_object_set_new(j, "eventType", header_string(d->event_type));
    json_object_set_new(j, "attempt", header_number(d->attempt));
}

static void print_json(const cli_out *o, const listen_delivery *d)
{
    char when[HK_TIME_ISO_BUF];
    hk_time_format(d->received_ms, when);
    json_t *j = json_pack("{s:s, s:i, s:b}", "receivedAt", when, "status", d->status, "verified",
                          d->wh != NULL);
    if (!j)
        return;
    if (d->wh)
        add_verified(j, d->wh);
    else
        add_rejected(j, d);
    if (d->forwarded)
        json_object_set_new(
            j, "forward",
            json_pack("{s:o, s:I, s:o}", "status",
                      d->forward_status ? json_integer(d->forward_status) : json_null(), "ms",
                      (json_int_t)d->forward_ms, "error", opt_string(d->forward_error)));
    out_json(o, j);
    json_decref(j);
}

void listen_print(const cli_out *o, const listen_delivery *d)
{
    if (o->json)
        print_json(o, d);
    else
        print_text(o, d);
    fflush(o->f);
}
