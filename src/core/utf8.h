/*
 * utf8.h - UTF-8 validation and counting for text limits (SPEC §2).
 */
#ifndef HOOKD_CORE_UTF8_H
#define HOOKD_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..n) is well-formed UTF-8 (no overlong forms, no surrogates,
 * nothing above U+10FFFF) and contains no NUL character. */
bool hk_utf8_valid(const char *s, size_t n);

/* Number of code points in well-formed UTF-8 s[0..n). */
size_t hk_utf8_count(const char *s, size_t n);

#endif
