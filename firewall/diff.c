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

/* Prints the edit script of a -> b with " ", "-", "+" markers. */
static int print_lcs_diff(FILE *out, const struct lines *a, const struct lines *b)
{
    size_t n = a->n, m = b->n;
    unsigned *len = calloc((n + 1) * (m + 1), sizeof *len);
    if (!len)
        return -1;
#define L(i, j) len[(i) * (m + 1) + (j)]
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
            L(i, j) = strcmp(a->v[i], b->v[j]) == 0 ? L(i + 1, j + 1) + 1
                      : L(i + 1, j) >= L(i, j + 1)  ? L(i + 1, j)
                                                    : L(i, j + 1);
    int changes = 0;
    size_t i = 0, j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && strcmp(a->v[i], b->v[j]) == 0) {
            fprintf(out, " %s\n", a->v[i]);
            i++, j++;
        } else if (j < m && (i == n || L(i, j + 1) >= L(i + 1, j))) {
            fprintf(out, "+%s\n", b->v[j++]);
            changes++;
        } else {
            fprintf(out, "-%s\n", a->v[i++]);
            changes++;
        }
    }
#undef L
    free(len);
    return changes;
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
    struct lines a = {0}, b = {0};
    int rc = -1;
    if (old_text && new_text && split_lines(old_text, &a) == 0 && split_lines(new_text, &b) == 0) {
        fprintf(out, "--- running table inet %s\n+++ policy\n", FW_TABLE);
        rc = print_lcs_diff(out, &a, &b);
    }
    if (rc < 0)
        snprintf(err, 256, "out of memory");
    free(a.v);
    free(b.v);
    free(old_text);
    free(new_text);
    return rc;
}
