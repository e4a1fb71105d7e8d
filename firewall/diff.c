/*
 * `diff FILE`: the running table and the policy's render, both printed by
 * render.c, compared line by line (longest common subsequence). Counters
 * and the contents of dynamic sets are run-time state, not policy, so they
 * are left out of the comparison.
 */
#include "firewall/diff.h"

#include "firewall/decompile.h"
#include "firewall/render.h"

#include <stdlib.h>
#include <string.h>

struct lines {
    char *text;
    char **v;
    size_t n;
};

static int split_lines(char *text, struct lines *out)
{
    out->text = text;
    out->n = 0;
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == '\n';
    out->v = calloc(cap, sizeof *out->v);
    if (!out->v)
        return -1;
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        out->v[out->n++] = l;
    return 0;
}

static char *render_to_string(const struct fw_ruleset *rs)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        return NULL;
    fw_render(out, rs);
    fclose(out);
    return buf;
}

/* Counters and dynamic set contents change by themselves: not a difference. */
static void strip_state(struct fw_ruleset *rs)
{
    for (size_t i = 0; i < rs->n_rules; i++)
        rs->rules[i].packets = rs->rules[i].bytes = 0;
    for (size_t i = 0; i < rs->n_sets; i++)
        if (rs->sets[i].dynamic)
            rs->sets[i].n_ranges = 0;
}

struct edit {
    char op; /* ' ', '-', '+' */
    const char *line;
};

static bool is_header(const char *line)
{
    return strncmp(line, "\tchain ", 7) == 0 || strncmp(line, "\tset ", 5) == 0;
}

/* Prints changed lines with FW_DIFF_CONTEXT lines around them and the set
 * or chain they belong to; "..." stands for the unchanged lines between. */
static void print_edits(FILE *out, const struct edit *e, size_t n)
{
    bool *keep = calloc(n ? n : 1, sizeof *keep);
    if (!keep)
        return;
    for (size_t k = 0; k < n; k++) {
        if (e[k].op == ' ')
            continue;
        for (size_t c = k >= FW_DIFF_CONTEXT ? k - FW_DIFF_CONTEXT : 0; c < n && c <= k + FW_DIFF_CONTEXT;
             c++)
            keep[c] = true;
        for (size_t h = k + 1; h-- > 0;)
            if (is_header(e[h].line) && e[h].op == ' ') {
                keep[h] = true;
                break;
            }
    }
    bool skipped = false;
    for (size_t k = 0; k < n; k++) {
        if (!keep[k]) {
            skipped = true;
            continue;
        }
        if (skipped)
            fputs(" ...\n", out);
        skipped = false;
        fprintf(out, "%c%s\n", e[k].op, e[k].line);
    }
    free(keep);
}

/* The edit script a -> b from a longest-common-subsequence table; prints
 * it and returns the number of changed lines. */
static int diff_lines(FILE *out, const struct lines *a, const struct lines *b)
{
    size_t n = a->n, m = b->n;
    unsigned *len = calloc((n + 1) * (m + 1), sizeof *len);
    struct edit *e = calloc(n + m + 1, sizeof *e);
    if (!len || !e) {
        free(len);
        free(e);
        return -1;
    }
#define L(i, j) len[(i) * (m + 1) + (j)]
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
            L(i, j) = strcmp(a->v[i], b->v[j]) == 0 ? L(i + 1, j + 1) + 1
                      : L(i + 1, j) >= L(i, j + 1)  ? L(i + 1, j)
                                                    : L(i, j + 1);
    int changes = 0;
    size_t i = 0, j = 0, k = 0;
    while (i < n || j < m) {
        if (i < n && j < m && strcmp(a->v[i], b->v[j]) == 0) {
            e[k++] = (struct edit){' ', a->v[i]};
            i++, j++;
        } else if (i < n && (j == m || L(i + 1, j) >= L(i, j + 1))) {
            e[k++] = (struct edit){'-', a->v[i++]}; /* removals first, as diff(1) */
            changes++;
        } else {
            e[k++] = (struct edit){'+', b->v[j++]};
            changes++;
        }
    }
#undef L
    print_edits(out, e, k);
    free(len);
    free(e);
    return changes;
}

int fw_diff_text(FILE *out, const char *old_text, const char *new_text)
{
    char *a_text = strdup(old_text), *b_text = strdup(new_text);
    struct lines a = {0}, b = {0};
    int rc = -1;
    if (a_text && b_text && split_lines(a_text, &a) == 0 && split_lines(b_text, &b) == 0)
        rc = diff_lines(out, &a, &b);
    free(a.v);
    free(b.v);
    free(a_text);
    free(b_text);
    return rc;
}

int fw_diff(const struct fw_ruleset *next, FILE *out, char *err)
{
    struct fw_running run;
    if (fw_running_read(&run, err) < 0)
        return -1;
    strip_state(&run.rs);
    char *old_text = run.exists ? render_to_string(&run.rs) : strdup("");
    char *new_text = render_to_string(next);
    fw_running_free(&run);
    int rc = -1;
    if (old_text && new_text) {
        fprintf(out, "--- running table inet %s\n+++ policy\n", FW_TABLE);
        rc = fw_diff_text(out, old_text, new_text);
    }
    if (rc < 0)
        snprintf(err, 256, "out of memory");
    free(old_text);
    free(new_text);
    return rc;
}
