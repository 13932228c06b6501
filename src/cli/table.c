/*
 * table.c - aligned columns (see table.h).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli/table.h"

typedef struct cell {
    char *text; /* cleaned */
    cli_style style;
} cell;

struct cli_table {
    size_t ncols;
    const char *const *headers;
    cell *cells; /* rows * ncols */
    size_t rows, cap_rows;
    size_t next_col; /* of the current (last) row */
    bool failed;
};

cli_table *table_new(size_t ncols, const char *const *headers)
{
    if (ncols == 0 || ncols > TABLE_MAX_COLUMNS)
        return NULL;
    cli_table *t = calloc(1, sizeof *t);
    if (t) {
        t->ncols = ncols;
        t->headers = headers;
    }
    return t;
}

void table_free(cli_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->rows * t->ncols; i++)
        free(t->cells[i].text);
    free(t->cells);
    free(t);
}

void table_row(cli_table *t)
{
    if (t->failed)
        return;
    if (t->rows == t->cap_rows) {
        size_t cap = t->cap_rows ? t->cap_rows * 2 : 16;
        cell *grown = realloc(t->cells, cap * t->ncols * sizeof *grown);
        if (!grown) {
            t->failed = true;
            return;
        }
        t->cells = grown;
        t->cap_rows = cap;
    }
    memset(&t->cells[t->rows * t->ncols], 0, t->ncols * sizeof *t->cells);
    t->rows++;
    t->next_col = 0;
}

void table_cell(cli_table *t, const char *text, cli_style style)
{
    if (t->failed || t->rows == 0 || t->next_col == t->ncols)
        return;
    bool absent = !text || !*text;
    cell *c = &t->cells[(t->rows - 1) * t->ncols + t->next_col++];
    c->text = out_clean(absent ? "-" : text, TABLE_MAX_CELL);
    c->style = absent ? STYLE_DIM : style;
    if (!c->text)
        t->failed = true;
}

static size_t cell_width(const cell *c)
{
    return c->text ? out_width(c->text) : 0;
}

static void print_cell(const cli_out *o, const char *text, cli_style style, size_t width, bool last)
{
    out_text(o, style, text);
    if (!last)
        fprintf(o->f, "%*s", (int)(width - out_width(text) + 2), "");
}

int table_print(const cli_out *o, const cli_table *t)
{
    if (t->failed) {
        out_error("out of memory while formatting the table");
        return -1;
    }
    size_t width[TABLE_MAX_COLUMNS];
    for (size_t c = 0; c < t->ncols; c++) {
        width[c] = strlen(t->headers[c]);
        for (size_t r = 0; r < t->rows; r++) {
            size_t w = cell_width(&t->cells[r * t->ncols + c]);
            width[c] = w > width[c] ? w : width[c];
        }
    }
    for (size_t c = 0; c < t->ncols; c++)
        print_cell(o, t->headers[c], STYLE_HEADER, width[c], c + 1 == t->ncols);
    fputc('\n', o->f);
    for (size_t r = 0; r < t->rows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const cell *cl = &t->cells[r * t->ncols + c];
            print_cell(o, cl->text ? cl->text : "", cl->style, width[c], c + 1 == t->ncols);
        }
        fputc('\n', o->f);
    }
    return 0;
}
