/*
 * suggest.c - " Did you mean ...?" in error messages, chosen and worded as
 * graphql-js chooses and words them (suggestionList, didYouMean), so that
 * hookd's messages read like the reference implementation's (and Plain's):
 * the options within a third of the input's length in edit distance
 * (Damerau-Levenshtein, case changes counting as one edit), nearest first,
 * ties in natural order, at most five named.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/graphql_int.h"

#define MAX_SUGGESTIONS 5
#define MAX_NAME 256 /* longer names are never suggested (nor are they in schemas) */

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* graphql-js's LexicalDistance.measure: the distance, or -1 past threshold. */
static int distance(const char *input, const char *option, int threshold)
{
    size_t la = strlen(option), lb = strlen(input);
    char a[MAX_NAME], b[MAX_NAME];
    int rows[3][MAX_NAME + 1];
    if (strcmp(input, option) == 0)
        return 0;
    if (la >= MAX_NAME || lb >= MAX_NAME)
        return -1;
    for (size_t i = 0; i < la; i++)
        a[i] = lower(option[i]);
    for (size_t i = 0; i < lb; i++)
        b[i] = lower(input[i]);
    if (la == lb && memcmp(a, b, la) == 0)
        return 1; /* any case change counts as a single edit */
    const char *x = a, *y = b;
    if (la < lb) {
        x = b, y = a;
        size_t t = la;
        la = lb, lb = t;
    }
    if ((int)(la - lb) > threshold)
        return -1;
    for (size_t j = 0; j <= lb; j++)
        rows[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int *up = rows[(i - 1) % 3], *row = rows[i % 3];
        int smallest = row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int cost = x[i - 1] == y[j - 1] ? 0 : 1;
            int cell = up[j] + 1;
            if (row[j - 1] + 1 < cell)
                cell = row[j - 1] + 1;
            if (up[j - 1] + cost < cell)
                cell = up[j - 1] + cost;
            if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] &&
                rows[(i - 2) % 3][j - 2] + 1 < cell)
                cell = rows[(i - 2) % 3][j - 2] + 1; /* transposition */
            if (cell < smallest)
                smallest = cell;
            row[j] = cell;
        }
        if (smallest > threshold)
            return -1;
    }
    int d = rows[la % 3][lb];
    return d <= threshold ? d : -1;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int gql_natural_compare(const char *a, const char *b)
{
    size_t i = 0, k = 0, la = strlen(a), lb = strlen(b);
    while (i < la && k < lb) {
        if (is_digit(a[i]) && is_digit(b[k])) {
            /* graphql-js stops a number at its first leading zero: kept as is. */
            unsigned long long na = 0, nb = 0;
            do
                na = na * 10 + (unsigned)(a[i++] - '0');
            while (i < la && is_digit(a[i]) && na > 0);
            do
                nb = nb * 10 + (unsigned)(b[k++] - '0');
            while (k < lb && is_digit(b[k]) && nb > 0);
            if (na != nb)
                return na < nb ? -1 : 1;
        } else {
            if (a[i] != b[k])
                return (unsigned char)a[i] < (unsigned char)b[k] ? -1 : 1;
            i++, k++;
        }
    }
    return la < lb ? -1 : la > lb ? 1 : 0;
}

typedef struct scored {
    const char *name;
    int d;
} scored;

static int scored_cmp(const void *x, const void *y)
{
    const scored *a = x, *b = y;
    return a->d != b->d ? a->d - b->d : gql_natural_compare(a->name, b->name);
}

const char *gql_did_you_mean(hk_arena *a, const char *sub, const char *const *names, size_t n)
{
    hk_buf b;
    if (!n)
        return "";
    hk_buf_init(&b, 4096);
    (void)hk_buf_printf(&b, " Did you mean %s%s", sub ? sub : "", sub ? " " : "");
    size_t shown = n < MAX_SUGGESTIONS ? n : MAX_SUGGESTIONS;
    for (size_t i = 0; i < shown; i++) {
        const char *sep = i == 0 ? "" : shown == 2 ? " or " : i + 1 == shown ? ", or " : ", ";
        (void)hk_buf_printf(&b, "%s\"%s\"", sep, names[i]);
    }
    (void)hk_buf_putc(&b, '?');
    const char *s = b.err ? NULL : hk_arena_strndup(a, b.data, b.len);
    hk_buf_free(&b);
    return s ? s : "";
}

const char *gql_suggest(hk_arena *a, const char *sub, const char *input, const char *const *options,
                        size_t n)
{
    scored *list = hk_arena_calloc(a, n ? n : 1, sizeof *list);
    const char **names = hk_arena_calloc(a, n ? n : 1, sizeof *names);
    size_t k = 0;
    if (!list || !names)
        return "";
    int threshold = (int)(strlen(input) * 4 / 10) + 1;
    for (size_t i = 0; i < n; i++) {
        bool dup = false;
        for (size_t j = 0; j < k && !dup; j++) /* graphql-js keys a map by name */
            dup = strcmp(list[j].name, options[i]) == 0;
        int d = dup ? -1 : distance(input, options[i], threshold);
        if (d >= 0)
            list[k++] = (scored){options[i], d};
    }
    qsort(list, k, sizeof *list, scored_cmp);
    for (size_t i = 0; i < k; i++)
        names[i] = list[i].name;
    return gql_did_you_mean(a, sub, names, k);
}

const char *gql_suggest_named(hk_arena *a, const char *sub, const char *input, const void *items,
                              size_t n, size_t size)
{
    const char **names = hk_arena_calloc(a, n ? n : 1, sizeof *names);
    if (!names)
        return "";
    for (size_t i = 0; i < n; i++)
        memcpy(&names[i], (const char *)items + i * size, sizeof names[i]);
    return gql_suggest(a, sub, input, names, n);
}
