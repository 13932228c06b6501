/*
 * instance_lock.h - one `hookd serve` per data directory.
 *
 * Two servers on one store would each release the other's delivery leases
 * at start and both dispatch: every delivery could go out twice. serve
 * therefore holds an exclusive flock(2) on DATA_DIR/serve.lock for its whole
 * life; the kernel drops it when the process ends, however it ends (a
 * SIGKILL leaves no stale lock, only the file). The file holds the holder's
 * pid, for the message, and is removed on a clean release. The operator commands key-* and backup
 * do not take it: they are meant to run beside a server; restore takes it, to be sure none runs.
 */
#ifndef HOOKD_DAEMON_INSTANCE_LOCK_H
#define HOOKD_DAEMON_INSTANCE_LOCK_H

#include "core/error.h"

/* Creates data_dir if needed (0700) and takes the lock: *fd_out is the
 * descriptor to keep open. HK_ECONFLICT with a message naming the other
 * process when another server holds it; HK_EIO when the directory or file
 * cannot be made or locked. */
HK_MUST_CHECK hk_status hk_instance_lock(const char *data_dir, int *fd_out, hk_error *err);

/* Releases the lock: removes DATA_DIR/serve.lock (still holding it, so a
 * process waiting on the old file notices it is gone: see hk_instance_lock)
 * and closes the descriptor. Accepts -1. */
void hk_instance_unlock(const char *data_dir, int fd);

#endif
