/*
 * buf.h - a growable byte buffer with a hard size limit.
 *
 * hk_buf is embeddable (callers put it on the stack or in a struct). The
 * data is always NUL-terminated after `len` bytes, so it can be used as a C
 * string when it holds text. Appends that would take `len` past `limit`, or
 * that cannot allocate, fail and leave the buffer unchanged; the first such
 * failure is also kept in `err` (sticky), so a long series of appends can be
 * checked once at the end: `if (b.err) ...`.
 *
 * Ownership: the buffer owns `data`; hk_buf_free releases it.
 */
#ifndef HOOKD_CORE_BUF_H
#define HOOKD_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/status.h"

#define HK_BUF_DEFAULT_LIMIT ((size_t)64 << 20) /* 64 MiB */

typedef struct hk_buf {
    char *data;    /* NULL until the first append; NUL-terminated after that */
    size_t len;    /* bytes in use, not counting the NUL */
    size_t cap;    /* bytes allocated */
    size_t limit;  /* maximum len */
    hk_status err; /* first failed append, HK_OK if none */
} hk_buf;

/* limit 0 means HK_BUF_DEFAULT_LIMIT. Never fails, allocates nothing. */
void hk_buf_init(hk_buf *b, size_t limit);
/* Releases the memory; the buffer is then empty and may be reused. Accepts NULL. */
void hk_buf_free(hk_buf *b);
/* Empties the buffer (len 0, err HK_OK) and keeps its memory. */
void hk_buf_reset(hk_buf *b);
/* Makes room for `extra` more bytes. HK_ETOOBIG past the limit, HK_ENOMEM. */
HK_MUST_CHECK hk_status hk_buf_reserve(hk_buf *b, size_t extra);

/* Appends; each returns HK_OK or the (now sticky) error. Callers that check
 * `err` at the end may ignore the result with (void). */
hk_status hk_buf_append(hk_buf *b, const void *data, size_t n);
hk_status hk_buf_puts(hk_buf *b, const char *s);
hk_status hk_buf_putc(hk_buf *b, char c);
hk_status hk_buf_printf(hk_buf *b, const char *fmt, ...) HK_PRINTF(2, 3);
hk_status hk_buf_vprintf(hk_buf *b, const char *fmt, va_list ap);
/* Appends the decimal form of v. */
hk_status hk_buf_put_i64(hk_buf *b, long long v);

/* Takes the data away from the buffer (caller frees with free()), leaving it
 * empty. Returns a NUL-terminated empty string when there was none; NULL only
 * on allocation failure. */
char *hk_buf_steal(hk_buf *b, size_t *len_out);

#endif
