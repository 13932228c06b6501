/*
 * webhook_body.h - webhook request bodies (SPEC §3, §5).
 *
 * A body is {timestamp, workspaceId, payload, id, webhookMetadata, type}, in
 * that order, compact JSON, exactly the field set and order of Plain's
 * examples. The customer parts are the same for every webhook version: only
 * webhookMetadata differs per target and attempt. So an event is rendered
 * in three steps, each done once where it belongs:
 *
 *  1. webhook_render_payload: the "payload" object, when the event is
 *     created (inside the mutation's transaction); it is stored with the event.
 *  2. webhook_body_template: the body around the metadata, once per event
 *     (cached by the dispatcher): prefix = everything up to
 *     `"webhookMetadata":`, suffix = `,"type":"..."}`.
 *  3. webhook_body_assemble: prefix + this attempt's metadata + suffix, a
 *     memcpy and a few short strings per attempt.
 *
 * Strings are escaped as JSON requires; valid UTF-8 passes through unchanged,
 * invalid bytes (which validation keeps out of the store) become U+FFFD.
 */
#ifndef HOOKD_JSON_WEBHOOK_BODY_H
#define HOOKD_JSON_WEBHOOK_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "domain/model.h"

/*
 * Appends the payload object for an event to `out`:
 *   created:  {"eventType":..,"customer":C}
 *   updated:  {"eventType":..,"customer":C,"previousCustomer":P}
 *   deleted:  {"eventType":..,"previousCustomer":P}
 *   memberships_changed: {"eventType":..,"changeType":"ADDED|REMOVED","customer":C,"previousCustomer":P}
 * `customer` / `previous` may be NULL where the event has none. HK_EINVAL when
 * one the event needs is missing or change_type does not fit the event.
 */
HK_MUST_CHECK hk_status webhook_render_payload(hk_buf *out, hk_event_type type,
                                               hk_change_type change, const hk_customer *customer,
                                               const hk_customer *previous);

/* Appends one customer object (the schema's `customer` definition). */
HK_MUST_CHECK hk_status webhook_render_customer(hk_buf *out, const hk_customer *c);

/* Appends one actor object ({"actorType":"machineUser","machineUserId":..}). */
HK_MUST_CHECK hk_status webhook_render_actor(hk_buf *out, const hk_actor *a);

/* The per-event part of a body. Owns its memory. */
typedef struct webhook_body_template {
    hk_buf text;          /* prefix immediately followed by suffix */
    size_t prefix_len;    /* text.data[0..prefix_len) is the prefix */
} webhook_body_template;

/* Builds the template of `ev` (its payload_json is copied in verbatim).
 * On failure *tpl is left empty. Free with webhook_body_template_free. */
HK_MUST_CHECK hk_status webhook_body_template_init(webhook_body_template *tpl, const hk_event *ev);
void webhook_body_template_free(webhook_body_template *tpl); /* accepts NULL */

/* What changes per attempt. */
typedef struct webhook_attempt_meta {
    const char *target_id;
    const char *target_version;
    const char *attempt_id;
    uint32_t attempt_number; /* from 1 */
    int64_t attempt_timestamp;
} webhook_attempt_meta;

/* Appends the webhookMetadata object. */
HK_MUST_CHECK hk_status webhook_render_metadata(hk_buf *out, const webhook_attempt_meta *m);

/* Appends a whole body: prefix + metadata + suffix. */
HK_MUST_CHECK hk_status webhook_body_assemble(hk_buf *out, const webhook_body_template *tpl,
                                              const webhook_attempt_meta *m);

#endif
