/*
 * url_mask.h - how a webhook target's URL is shown through the API: the
 * credentials a URL may carry (SPEC §4) are never shown back in full.
 *
 *     https://user:secret@host/path   becomes   https://user:***@host/path
 *     https://token@host/path         becomes   "https://" "***@host/path"
 *     https://token:@host/path        becomes   the same
 *
 * With a password, the user name stays visible and the password goes. Without
 * one, the user name is the credential itself (API-key-as-user-name, as many
 * services use it), so it goes. Everything else is kept byte for byte.
 *
 * The userinfo ends at the authority's last '@', the way the domain splits
 * the URL when it validates it. A password with an unescaped '/', '?' or '#'
 * cuts the authority short and leaves a non-numeric "port" before it; then
 * everything up to the URL's last '@' is masked, erring on the side of
 * hiding too much.
 */
#ifndef HOOKD_API_URL_MASK_H
#define HOOKD_API_URL_MASK_H

#include "core/arena.h"

/* The masked copy of `url` in the arena; NULL when out of memory or `url` is
 * NULL. */
char *api_url_mask(hk_arena *a, const char *url);

#endif
