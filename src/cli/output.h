/*
 * output.h - how hookctl writes: human text on stdout (key-value blocks,
 * styled words), the raw JSON data with --json, and errors on stderr.
 *
 * Text that came from the server (names, descriptions, a receiver's response
 * excerpt) is shown through out_clean/out_text, which replace control
 * characters: a webhook receiver must not be able to move the cursor or
 * recolour the operator's terminal. Colour escapes are only written when
 * cli_out.color is set, which out_color_wanted decides once.
 */
#ifndef HOOKD_CLI_OUTPUT_H
#define HOOKD_CLI_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "core/status.h"

typedef enum cli_style {
    STYLE_PLAIN,
    STYLE_HEADER, /* table headers, section titles */
    STYLE_LABEL,  /* the left column of a key-value block */
    STYLE_OK,     /* succeeded, enabled, CREATED */
    STYLE_BAD,    /* failed, spam, disabled */
    STYLE_WARN,   /* pending, deprecated */
    STYLE_DIM,    /* absent values, cancelled */
} cli_style;

typedef struct cli_out {
    FILE *f;    /* stdout */
    bool json;  /* --json: print only the data document */
    bool color; /* write ANSI colour escapes */
} cli_out;

/* Width of the label column of key-value blocks. */
#define OUT_LABEL_WIDTH 16

/* Colour only on a terminal: stdout is a TTY, NO_COLOR is unset, TERM is not
 * "dumb" and --no-color was not given. */
bool out_color_wanted(bool no_color_flag);

/*
 * A copy of `s` (NULL gives "-") that is safe to print: C0/C1 control
 * characters and DEL are written as visible escapes (\n, \r, \t, \x1b,
 * \u0085), as are bytes that are not UTF-8, so "ok\n" reads as sent and
 * nothing reaches the terminal raw. With max_points > 0, text longer than that
 * many code points is cut and ends in "...". NULL when out of memory.
 * The caller frees it.
 */
char *out_clean(const char *s, size_t max_points);
/* Display width of clean text, in code points. */
size_t out_width(const char *clean);

/* Writes `text` (cleaned) in a style. */
void out_text(const cli_out *o, cli_style style, const char *text);
/* One line of a key-value block: "label           value". NULL or "" value shows "-". */
void out_kv(const cli_out *o, const char *label, const char *value);
void out_kv_styled(const cli_out *o, const char *label, const char *value, cli_style style);
/* A blank line, then a styled title: separates the sections of a block. */
void out_section(const cli_out *o, const char *title);

/* --json: writes `data` as one compact JSON document and a newline. */
void out_json(const cli_out *o, json_t *data);

/* "hookctl: <message>" on stderr; each line of a multi-line message is prefixed. */
void out_error(const char *fmt, ...) HK_PRINTF(1, 2);
/* A MutationError on stderr: its code and message, then one line per field at fault. */
void out_mutation_error(json_t *error);

#endif
