/*
 * template_cache.h - a small bounded cache of webhook body templates by
 * event (internal to src/delivery/).
 *
 * An event usually goes to several targets and is retried, so its template
 * (the body around webhookMetadata, see webhook_body.h) is built once and
 * reused. At most `capacity` templates are kept; the oldest inserted is
 * evicted first, which suits deliveries claimed in event order.
 *
 * Not thread-safe: it belongs to the dispatcher thread.
 */
#ifndef HOOKD_DELIVERY_TEMPLATE_CACHE_H
#define HOOKD_DELIVERY_TEMPLATE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "json/webhook_body.h"

typedef struct delivery_template_cache delivery_template_cache;

/* NULL when out of memory; capacity 0 is taken as 1. */
delivery_template_cache *delivery_template_cache_new(size_t capacity);
void delivery_template_cache_free(delivery_template_cache *c); /* accepts NULL */

/* The template of `ev`, built on a miss. The pointer is borrowed and valid
 * until the next call. HK_EINVAL for an event webhook_body_template_init
 * refuses, HK_ENOMEM. */
HK_MUST_CHECK hk_status delivery_template_cache_get(delivery_template_cache *c, const hk_event *ev,
                                                    const webhook_body_template **out);

void delivery_template_cache_counts(const delivery_template_cache *c, uint64_t *hits,
                                    uint64_t *misses);

#endif
