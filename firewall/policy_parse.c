/*
 * Policy reader: libinih does the INI syntax; this file follows lines and
 * sections, makes sure each key is known and given once, and hands its
 * value to policy_values.c. Problems are "FILE:LINE: message". A custom
 * line reader counts lines (libinih's handler does not get them) and
 * reports lines libinih would only flag as "error somewhere".
 *
 * Cross-section checks (set references, families, shadowing) are in
 * policy_check.c, which policy_load runs after the reading.
 */
#include "firewall/policy_values.h"

#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

enum policy_section { SECTION_UNKNOWN, SECTION_POLICY, SECTION_SET, SECTION_RULE };

/* The state libinih's callbacks share. */
struct policy_reader {
    struct policy_values_ctx v; /* what the key parsers see */
    FILE *fp;
    char *buf;
    size_t cap;
    char section[POLICY_NAME_MAX + 16];
    enum policy_section kind;
    int index; /* set or rule being filled */
    unsigned seen_keys;
    bool skip_section; /* after a bad [header], until the next good one */
};

/* A refusal at `line` of the file being read. */
#define READER_ERR(line, ...) policy_error(r->v.diags, r->v.file, (line), __VA_ARGS__)

/* Reader: feeds libinih one line at a time and counts them. */
static char *reader_next(char *str, int num, void *stream)
{
    struct policy_reader *r = stream;
    ssize_t n = getline(&r->buf, &r->cap, r->fp);
    if (n < 0)
        return NULL;
    r->v.line++;
    if (n > 0 && r->buf[n - 1] == '\n')
        r->buf[--n] = '\0';
    const char *s = r->buf + strspn(r->buf, " \t\r");
    bool indented = s != r->buf;
    bool bad = true;
    if (n >= num - 1) {
        READER_ERR(r->v.line, "line too long (max %d characters)", num - 2);
    } else if (*s == '[') {
        const char *end = strrchr(s, ']');
        r->skip_section = !end || end[strspn(end + 1, " \t\r") + 1] != '\0';
        if (r->skip_section)
            READER_ERR(r->v.line, "section header must end with ']'");
        else
            bad = false, r->v.section_line = r->v.line;
    } else if (*s && *s != ';' && *s != '#' && !indented && !strchr(s, '=')) {
        READER_ERR(r->v.line, "expected 'key = value', '[section]' or a comment");
    } else {
        bad = false;
    }
    /* a bad line reaches libinih empty: it was reported once, here */
    snprintf(str, (size_t)num, "%s\n", bad ? "" : r->buf);
    return str;
}

/* Starts a new section when the name changes. */
static void section_enter(struct policy_reader *r, const char *section)
{
    if (strcmp(section, r->section) == 0)
        return;
    snprintf(r->section, sizeof r->section, "%s", section);
    r->seen_keys = 0;
    r->kind = SECTION_UNKNOWN;
    r->index = -1;
    struct policy *pol = r->v.pol;
    const char *name = NULL;
    if (section[0] == '\0')
        return; /* keys before any section: reported by the handler */
    if (strcmp(section, "policy") == 0) {
        r->kind = SECTION_POLICY;
        if (pol->seen_policy_section)
            READER_ERR(r->v.section_line, "[policy] given twice");
        pol->seen_policy_section = true;
        return;
    }
    if (strncmp(section, "set ", 4) == 0) {
        r->kind = SECTION_SET;
        name = section + 4;
    } else if (strncmp(section, "rule ", 5) == 0) {
        r->kind = SECTION_RULE;
        name = section + 5;
    } else {
        READER_ERR(r->v.section_line, "unknown section [%s] (expected [policy], [set NAME] or [rule NAME])",
                   section);
        return;
    }
    name += strspn(name, " ");
    char why[PARSE_WHY_MAX];
    if (policy_values_check_name(name, why) < 0) {
        READER_ERR(r->v.section_line, "[%s]: %s", section, why);
        r->kind = SECTION_UNKNOWN;
        return;
    }
    if (r->kind == SECTION_SET)
        r->index = policy_values_new_set(&r->v, name);
    else
        r->index = policy_values_new_rule(&r->v, name);
    if (r->index < 0)
        r->kind = SECTION_UNKNOWN;
}

/* Each key once per section (set elements excepted: they accumulate). */
static bool key_first_time(struct policy_reader *r, unsigned key_bit, const char *key)
{
    if (r->seen_keys & key_bit) {
        READER_ERR(r->v.line, "'%s' given twice in [%s]", key, r->section);
        return false;
    }
    r->seen_keys |= key_bit;
    return true;
}

static int key_index(const char *const *keys, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i], key) == 0)
            return (int)i;
    return -1;
}

static const char *const policy_keys[] = {"name", "input", "forward", "output", "log-drops", "family"};
static const char *const set_keys[] = {"type", "elements", "dynamic", "timeout"};
static const char *const rule_keys[] = {"direction", "iif",     "oif",   "source",  "destination",
                                        "protocol",  "sport",   "dport", "state",   "action",
                                        "limit",     "counter", "log",   "comment", "user"};

#define N_KEYS(a) (sizeof(a) / sizeof((a)[0]))

static int handler(void *user, const char *section, const char *key, const char *value)
{
    struct policy_reader *r = user;
    if (r->skip_section)
        return 1;
    section_enter(r, section);
    const char *const *keys = NULL;
    size_t n = 0;
    switch (r->kind) {
    case SECTION_POLICY: keys = policy_keys, n = N_KEYS(policy_keys); break;
    case SECTION_SET: keys = set_keys, n = N_KEYS(set_keys); break;
    case SECTION_RULE: keys = rule_keys, n = N_KEYS(rule_keys); break;
    case SECTION_UNKNOWN:
        if (section[0] == '\0')
            READER_ERR(r->v.line, "'%s' outside of any section", key);
        return 1; /* the section was reported once */
    }
    int k = key_index(keys, n, key);
    if (k < 0) {
        READER_ERR(r->v.line, "unknown key '%s' in [%s]", key, section);
        return 1;
    }
    bool repeatable = r->kind == SECTION_SET && strcmp(key, "elements") == 0;
    if (!repeatable && !key_first_time(r, 1u << k, key))
        return 1;
    if (r->kind == SECTION_POLICY)
        policy_values_policy_key(&r->v, key, value);
    else if (r->kind == SECTION_SET)
        policy_values_set_key(&r->v, &r->v.pol->sets[r->index], key, value);
    else
        policy_values_rule_key(&r->v, &r->v.pol->rules[r->index], key, value);
    return 1;
}

static void policy_init(struct policy *pol, const char *name)
{
    snprintf(pol->file, sizeof pol->file, "%s", name);
    pol->dflt[POLICY_DIR_IN] = POLICY_DROP;
    pol->dflt[POLICY_DIR_FORWARD] = POLICY_DROP;
    pol->dflt[POLICY_DIR_OUT] = POLICY_ACCEPT;
}

struct policy *policy_parse(const char *name, FILE *fp, struct policy_diags *diags)
{
    struct policy *pol = calloc(1, sizeof *pol);
    if (!pol) {
        policy_error(diags, name, 0, "out of memory");
        return NULL;
    }
    policy_init(pol, name);
    struct policy_reader r = {
        .v = {.pol = pol, .diags = diags, .file = pol->file}, .fp = fp, .kind = SECTION_UNKNOWN, .index = -1};
    r.section[0] = '\x01'; /* differs from every real section, even "" */
    ini_parse_stream(reader_next, &r, handler, &r);
    free(r.buf);
    if (!pol->seen_policy_section)
        policy_error(diags, pol->file, 1, "missing [policy] section");
    return pol;
}

/* Parses and checks the open stream, then closes it: a policy with any
 * error is never returned. */
static struct policy *policy_load_stream(const char *name, FILE *fp, struct policy_diags *diags)
{
    struct policy *pol = policy_parse(name, fp, diags);
    fclose(fp);
    if (!pol)
        return NULL;
    policy_check(pol, diags);
    if (diags->errors) {
        policy_free(pol);
        return NULL;
    }
    return pol;
}

struct policy *policy_load(const char *path, struct policy_diags *diags)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        policy_error(diags, path, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    return policy_load_stream(path, fp, diags);
}

struct policy *policy_load_text(const char *name, const char *text, struct policy_diags *diags)
{
    if (!*text)
        text = "\n"; /* fmemopen refuses an empty buffer */
    FILE *fp = fmemopen((void *)text, strlen(text), "r");
    if (!fp) {
        policy_error(diags, name, 0, "out of memory");
        return NULL;
    }
    return policy_load_stream(name, fp, diags);
}

void policy_free(struct policy *pol)
{
    if (!pol)
        return;
    for (unsigned i = 0; i < pol->n_sets; i++)
        free(pol->sets[i].elems);
    free(pol);
}
