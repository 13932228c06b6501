/*
 * keys.h - the operator's API key commands: hookd key-create, key-list and
 * key-revoke, on the store of a data directory (see hk_admin_key_* in
 * domain/domain.h). Each prints JSON lines on standard output (key-list a
 * table with --format text) and errors on standard error.
 */
#ifndef HOOKD_DAEMON_KEYS_H
#define HOOKD_DAEMON_KEYS_H

#include "daemon/cli.h"
#include "store/store.h"

/* Runs o->command (HK_CMD_KEY_*) on `store`. Returns a process exit code:
 * HK_EXIT_OK, HK_EXIT_USAGE for a rejected argument (a malformed id or a
 * description out of bounds), HK_EXIT_FAILURE otherwise (an unknown
 * workspace or key included). */
int hk_keys_run(const hk_cli_options *o, hk_store *store);

#endif
