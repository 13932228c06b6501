/*
 * status.h - the one status enum every fallible hookd function returns.
 *
 * Functions that can fail return hk_status and are marked HK_MUST_CHECK, so
 * a caller cannot silently drop an error. HK_OK is zero: `if (st) goto out;`.
 */
#ifndef HOOKD_CORE_STATUS_H
#define HOOKD_CORE_STATUS_H

#define HK_MUST_CHECK __attribute__((warn_unused_result))
#define HK_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

typedef enum hk_status {
    HK_OK = 0,
    HK_ENOMEM,     /* an allocation failed */
    HK_EINVAL,     /* input rejected by validation (names the field in hk_error) */
    HK_ENOTFOUND,  /* the entity does not exist (in this workspace) */
    HK_ECONFLICT,  /* a uniqueness rule would be broken */
    HK_ESTATE,     /* not valid in the entity's current state (already spam, has members) */
    HK_ELIMIT,     /* a quota is reached (25 webhook targets per workspace) */
    HK_EFORBIDDEN, /* the actor lacks a permission */
    HK_ETOOBIG,    /* a hard size limit (buffer, arena, body) would be exceeded */
    HK_EPARSE,     /* malformed text: timestamp, duration, JSON */
    HK_EIO,        /* the store or the OS failed; nothing was changed */
    HK_EINTERNAL,  /* a bug or broken invariant */
    HK_STATUS_COUNT
} hk_status;

/* Static, never NULL: "ok", "out of memory", ... */
const char *hk_status_str(hk_status st);

#endif
