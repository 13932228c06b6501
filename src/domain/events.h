/*
 * events.h - the events hookd stored, as operators read them (hookd's own
 * hookdEvent and hookdEvents, the dashboard): one by id, a customer's, and
 * one event's deliveries.
 *
 * An event is a customer's data as it was then, so reading one needs
 * customer:read. Its payload is the customer (and the previous customer) as
 * Plain sends them, memberships and their groups included, so reading the
 * payload needs what reading those needs: customerGroupMembership:read and
 * customerGroup:read as well (hk_event_payload_read_check). An event's
 * deliveries are its targets': webhookTarget:read. Events of other
 * workspaces are invisible.
 */
#ifndef HOOKD_DOMAIN_EVENTS_H
#define HOOKD_DOMAIN_EVENTS_H

#include "domain/deliveries.h"
#include "domain/domain.h"

/* The event `event_id` into *out (strings in `arena`); *found false when ctx's
 * workspace has no such event (an id that cannot exist included). */
HK_MUST_CHECK hk_status hk_event_get(const hk_ctx *ctx, const char *event_id, hk_arena *arena,
                                     hk_event *out, bool *found, hk_error *err);

/* HK_OK when ctx may read an event's payload (customer:read,
 * customerGroupMembership:read, customerGroup:read), else HK_EFORBIDDEN
 * naming the first permission missing. */
HK_MUST_CHECK hk_status hk_event_payload_read_check(const hk_ctx *ctx, hk_error *err);

/*
 * One page of the events about customer `customer_id` (as it is now, or as
 * it was: a deleted customer's events are still listed), in commit order;
 * cursors are event ids, first/after and last/before as every list
 * (hk_page_check). A customer that never existed has none. Rows in `arena`.
 */
HK_MUST_CHECK hk_status hk_event_list_for_customer(const hk_ctx *ctx, const char *customer_id,
                                                   const hk_page_request *page, hk_arena *arena,
                                                   hk_event **out, size_t *n, hk_page_info *info,
                                                   hk_error *err);

/* The deliveries of event `event_id` to the workspace's webhook targets (not
 * to deleted ones), by target id; none for an unknown event. Needs
 * webhookTarget:read. Rows in `arena`. */
HK_MUST_CHECK hk_status hk_event_deliveries(const hk_ctx *ctx, const char *event_id,
                                            hk_arena *arena, hk_delivery **out, size_t *n,
                                            hk_error *err);

#endif
