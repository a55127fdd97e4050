/*
 * test_docs.c: scenarios/README.md cannot drift from the code. Every global
 * function a scenario sandbox offers beyond stock Lua has a `### name`
 * section, and every field a declaration's table documents is accepted by
 * that declaration (no "unknown field"). Every key of a table nested in a
 * declaration (scn_key_lists(): a deployment's strategy and serve, an hpa's
 * metrics and behavior, the pod-template's affinity, ...) is documented in
 * its declaration's section: in the row of the field that holds it, or as
 * `field.key`. README is read from $KUBESIM_SRC.
 */
#define _GNU_SOURCE   /* memmem */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenarios/scn.h"
#include "scenarios/scn_keys.h"

#include "tr.h"

#define MAX_ROWS 512

static char doc[1 << 18];
static char tmpdir[] = "/tmp/kubesim-docs-XXXXXX";

/* One documented field: the section (declaration) it belongs to. */
typedef struct Row {
    char decl[32], key[48];
    int required_string;         /* default "required", type string */
} Row;

static Row rows[MAX_ROWS];
static size_t nrows;

/* Functions whose sections list positional arguments, not table fields. */
static const char *const positional[] = {"param", "expect", "at", "every", NULL};

static int in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

static void add_row(const char *decl, const char *key, size_t klen, int required_string)
{
    ck_assert_uint_lt(nrows, MAX_ROWS);
    Row *r = &rows[nrows++];
    snprintf(r->decl, sizeof r->decl, "%s", decl);
    snprintf(r->key, sizeof r->key, "%.*s", (int)klen, key);
    r->required_string = required_string;
}

/* Reads "| `a`, `b` | type | default | ..." into rows of decl; nested keys
 * (with '.', '(' or '[') are described in prose and skipped. */
static void parse_row(const char *decl, const char *line)
{
    const char *end = strstr(line + 1, " |");
    if (end == NULL)
        return;
    const char *type = end + 3, *tend = strstr(type, " |");
    int req = tend && strncmp(type, "string", 6) == 0 && strncmp(tend + 3, "required", 8) == 0;
    for (const char *p = strchr(line, '`'); p && p < end; p = strchr(p + 1, '`')) {
        const char *q = strchr(p + 1, '`');
        if (q == NULL || q > end)
            return;
        size_t n = (size_t)(q - p - 1);
        if (strcspn(p + 1, ".([ ") >= n)
            add_row(decl, p + 1, n, req);
        p = q;
    }
}

static void parse_doc(void)
{
    char decl[32] = "";
    nrows = 0;
    for (const char *line = doc; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        size_t len = strcspn(line, "\n");
        if (strncmp(line, "### ", 4) == 0)
            snprintf(decl, sizeof decl, "%.*s", (int)(len - 4), line + 4);
        else if (strncmp(line, "## ", 3) == 0)   /* the pod-template fields: checked on deployment */
            snprintf(decl, sizeof decl, "%s", strncmp(line, "## Pod-template", 15) == 0 ? "deployment" : "");
        else if (strncmp(line, "| `", 3) == 0 && decl[0] && !in_list(positional, decl))
            parse_row(decl, line);
    }
}

static void setup(void)
{
    const char *src = getenv("KUBESIM_SRC");
    ck_assert_msg(src != NULL, "set KUBESIM_SRC to the source tree (ctest does)");
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/README.md", src);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = '\0';
    parse_doc();
}

static int documented(const char *name)
{
    char heading[96];
    snprintf(heading, sizeof heading, "\n### %s\n", name);
    return strstr(doc, heading) != NULL;
}

/* scn_api_names through a SimMem of its own, checked to free everything. */
static size_t api_names(char *buf, size_t buflen, const char **names)
{
    SimMem m;
    sim_mem_init(&m);
    size_t n;
    ck_assert_int_eq(scn_api_names(&m, buf, buflen, names, 256, &n), SIM_OK);
    ck_assert_int_eq(m.live, 0);
    return n;
}

/* Both Lua states of the name check allocate through the SimMem given: fail
 * allocation N for every N and each attempt either finds every name or says
 * SIM_ENOMEM with none (no abort from a Lua panic; Lua itself shrugs off a
 * few failures, such as growing its string table), and frees everything. */
START_TEST(docs_api_names_fail_cleanly_at_every_allocation)
{
    char buf[4096], want_buf[4096];
    const char *names[256], *want[256];
    size_t want_n = api_names(want_buf, sizeof want_buf, want);
    uint64_t k_done = 0;
    for (uint64_t k = 1;; k++) {
        k_done = k;
        ck_assert_msg(k < 100000, "the sweep does not end");
        SimMem m;
        sim_mem_init(&m);
        m.fail_at = k;
        size_t n;
        int rc = scn_api_names(&m, buf, sizeof buf, names, 256, &n);
        ck_assert_int_eq(m.live, 0);
        ck_assert_msg(rc == SIM_OK || m.count >= m.fail_at, "allocation %llu: rc %d", (unsigned long long)k, rc);
        if (rc != SIM_OK) {
            ck_assert_int_eq(rc, SIM_ENOMEM);
            ck_assert_uint_eq(n, 0);
            continue;
        }
        ck_assert_uint_eq(n, want_n);
        for (size_t i = 0; i < n; i++)
            ck_assert_str_eq(names[i], want[i]);
        if (m.count < m.fail_at)
            break;
    }
    ck_assert_uint_gt(k_done, 600);   /* both states came out of m: the sandbox alone takes about 400 */
}
END_TEST

START_TEST(docs_every_scenario_function_has_a_section)
{
    char buf[4096];
    const char *names[256];
    size_t n = api_names(buf, sizeof buf, names);
    ck_assert_msg(n >= 20, "only %zu API functions found", n);
    static const char *const known[] = {"scenario", "region", "deployment", "expect", "param", "hpa", NULL};
    for (size_t k = 0; known[k]; k++) {
        int found = 0;
        for (size_t i = 0; i < n; i++)
            found |= strcmp(names[i], known[k]) == 0;
        ck_assert_msg(found, "scn_api_names lacks %s", known[k]);
    }
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(documented(names[i]), "scenarios/README.md has no '### %s' section", names[i]);
}
END_TEST

/* Every function of a hook's `k` table has a row `k.NAME(` in the docs. */
START_TEST(docs_every_hook_function_is_documented)
{
    size_t n = 0;
    for (const char *k; (k = scn_hook_function_name(n)) != NULL; n++) {
        char row[96];
        snprintf(row, sizeof row, "| `k.%s", k);
        ck_assert_msg(strstr(doc, row) != NULL, "scenarios/README.md has no row for k.%s", k);
    }
    ck_assert_uint_ge(n, 13);
}
END_TEST

START_TEST(docs_sandbox_hides_stock_lua)
{
    char buf[4096];
    const char *names[256];
    size_t n = api_names(buf, sizeof buf, names);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(strcmp(names[i], "print") != 0 && strcmp(names[i], "pairs") != 0, "%s", names[i]);
}
END_TEST

/* A value for a required string field, so the declaration reaches its key check. */
static const char *ident(const char *key)
{
    static const char *const map[][2] = {{"name", "zz"}, {"deployment", "x"}, {"target", "x"},
                                         {"queue", "q"}, {"site", "s"}, {"from", "s"}, {"to", "r1"},
                                         {"service", "svc"}, {"schedule", "@hourly"},
                                         {"strategy", "ma_cross"}, {NULL, NULL}};
    for (size_t i = 0; map[i][0]; i++)
        if (strcmp(map[i][0], key) == 0)
            return map[i][1];
    return NULL;
}

/* Loads `decl { <required strings>, key = 1 }` after a small world; returns the error ("" if none). */
static const char *try_key(const Row *r, SimErr *err)
{
    char script[4096], fields[1024] = "", path[600];
    for (size_t i = 0; i < nrows; i++) {
        const Row *o = &rows[i];
        size_t used = strlen(fields);
        if (strcmp(o->decl, r->decl) == 0 && o->required_string && strcmp(o->key, r->key) != 0 && ident(o->key))
            snprintf(fields + used, sizeof fields - used, "%s = \"%s\", ", o->key, ident(o->key));
    }
    snprintf(script, sizeof script,
             "region { name = \"r1\" }\n"
             "deployment { name = \"x\", cpu = \"1\", memory = \"1Gi\" }\n"
             "site { name = \"s\" }\n"
             "queue { name = \"q\" }\n"
             "%s { %s%s = 1 }\n", r->decl, fields, r->key);
    snprintf(path, sizeof path, "%s/k.lua", tmpdir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(script, f);
    fclose(f);
    SimMem m;
    sim_mem_init(&m);
    ScnOptions o = {.path = path, .seed = 1};
    *err = (SimErr)SIM_ERR_INIT;
    ScnScenario *s = scn_load(&m, &o, err);
    scn_free(s);
    return sim_err_msg(err);
}

START_TEST(docs_every_documented_field_is_accepted)
{
    ck_assert_msg(nrows > 100, "only %zu documented fields parsed", nrows);
    char unknown[128];
    SimErr err = SIM_ERR_INIT;
    for (size_t i = 0; i < nrows; i++) {
        try_key(&rows[i], &err);
        snprintf(unknown, sizeof unknown, "unknown field '%s'", rows[i].key);
        ck_assert_msg(strstr(sim_err_msg(&err), unknown) == NULL,
                      "scenarios/README.md documents %s.%s, which is refused: %s",
                      rows[i].decl, rows[i].key, sim_err_msg(&err));
    }
}
END_TEST

START_TEST(docs_field_check_catches_a_wrong_key)
{
    Row r = {"deployment", "replcas", 0};
    SimErr err = SIM_ERR_INIT;
    ck_assert_msg(strstr(try_key(&r, &err), "unknown field 'replcas'") != NULL, "%s", sim_err_msg(&err));
}
END_TEST

START_TEST(docs_tiny_scenario_loads)
{
    Row r = {"deployment", "replicas", 0};
    SimErr err = SIM_ERR_INIT;
    ck_assert_str_eq(try_key(&r, &err), "");
}
END_TEST

/* ---- nested keys ------------------------------------------------------------ */
/* The text of a section: from its heading to the next heading of level <= its own. */
static const char *section(const char *heading, size_t *len)
{
    char h[96];
    snprintf(h, sizeof h, "\n%s\n", heading);
    const char *p = strstr(doc, h);
    if (p == NULL)
        return NULL;
    p++;
    const char *end = p + strlen(h) - 1;
    for (;;) {
        end = strstr(end, "\n#");
        if (end == NULL) {
            end = p + strlen(p);
            break;
        }
        if (strncmp(end, "\n## ", 4) == 0 || (heading[2] == '#' && strncmp(end, "\n### ", 5) == 0))
            break;
        end++;
    }
    *len = (size_t)(end - p);
    return p;
}

static int ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '/';
}

/* key occurs in text[0, len) as a whole word (not inside a longer name). */
static int has_word(const char *text, size_t len, const char *key)
{
    size_t k = strlen(key);
    for (const char *p = text; p + k <= text + len; p++)
        if (memcmp(p, key, k) == 0 && (p == text || !ident_char(p[-1])) &&
            (p + k == text + len || !ident_char(p[k])))
            return 1;
    return 0;
}

/* The row of a section's table whose first cell names field. */
static const char *field_row(const char *sec, size_t len, const char *field, size_t *rlen)
{
    char cell[64];
    snprintf(cell, sizeof cell, "`%s`", field);
    for (const char *l = sec; l && l < sec + len; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        size_t n = strcspn(l, "\n");
        if (strncmp(l, "| ", 2) != 0)
            continue;
        const char *first_end = strstr(l + 2, " |");
        if (first_end == NULL || first_end > l + n)
            continue;
        const char *c = strstr(l, cell);
        if (c && c < first_end) {
            *rlen = n;
            return l;
        }
    }
    return NULL;
}

/* Where a list's keys are documented, and whether key is. */
static int nested_documented(const ScnKeyList *kl, const char *key, char *where, size_t wlen)
{
    char heading[64];
    size_t len = 0, rlen = 0;
    const char *sec;
    if (strcmp(kl->decl, "selector") == 0) {
        sec = strstr(doc, "**Selectors**");
        len = sec ? strcspn(sec, "#") : 0;
        const char *blank = sec ? strstr(sec, "\n\n") : NULL;
        if (blank && (size_t)(blank - sec) < len)
            len = (size_t)(blank - sec);
        snprintf(where, wlen, "the **Selectors** paragraph");
        return sec && has_word(sec, len, key);
    }
    if (strcmp(kl->decl, "pod-template") == 0)
        snprintf(heading, sizeof heading, "## Pod-template fields");
    else
        snprintf(heading, sizeof heading, "### %s", kl->decl);
    snprintf(where, wlen, "section '%s', row `%s`", heading, kl->field);
    sec = section(heading, &len);
    if (sec == NULL)
        return 0;
    const char *row = field_row(sec, len, kl->field, &rlen);
    if (row && has_word(row, rlen, key))
        return 1;
    char dotted[128];
    snprintf(dotted, sizeof dotted, "`%s.%s`", kl->field, key);
    if (memmem(sec, len, dotted, strlen(dotted)) != NULL)
        return 1;
    /* A row that defers to another declaration ("`job`'s fields"): its table. */
    char defer[64];
    snprintf(defer, sizeof defer, "`%s`'s fields", kl->field);
    if (row && memmem(row, rlen, defer, strlen(defer)) != NULL) {
        snprintf(heading, sizeof heading, "### %s", kl->field);
        const char *other = section(heading, &len);
        size_t olen;
        return other && field_row(other, len, key, &olen) != NULL;
    }
    return 0;
}

START_TEST(docs_every_nested_key_is_documented)
{
    size_t n, total = 0;
    const ScnKeyList *kl = scn_key_lists(&n);
    ck_assert_msg(n >= 20, "only %zu nested key lists", n);
    char where[160];
    for (size_t i = 0; i < n; i++) {
        ck_assert_ptr_nonnull(kl[i].keys);
        for (size_t k = 0; kl[i].keys[k]; k++, total++)
            ck_assert_msg(nested_documented(&kl[i], kl[i].keys[k], where, sizeof where),
                          "scenarios/README.md does not document %s %s.%s (looked in %s)", kl[i].decl,
                          kl[i].path, kl[i].keys[k], where);
    }
    ck_assert_msg(total > 80, "only %zu nested keys", total);
}
END_TEST

/* The check is not vacuous: an undocumented key in each kind of place fails. */
START_TEST(docs_nested_check_catches_an_undocumented_key)
{
    static const char *const bogus[] = {"max_surge", "zz_undocumented", NULL};
    static const ScnKeyList lists[] = {
        {"deployment", "strategy", "strategy", bogus}, {"deployment", "serve", "serve", bogus},
        {"pod-template", "affinity", "affinity", bogus}, {"selector", NULL, "selector", bogus},
        {"cronjob", "job", "job", bogus}, {"hpa", "behavior", "behavior", bogus}};
    char where[160];
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        ck_assert_msg(!nested_documented(&lists[i], "zz_undocumented", where, sizeof where), "%s %s", lists[i].decl,
                      lists[i].path);
    ck_assert(nested_documented(&lists[0], "max_surge", where, sizeof where));
    ck_assert(nested_documented(&lists[4], "completions", where, sizeof where));
    ck_assert(nested_documented(&lists[5], "stabilization_window", where, sizeof where));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("docs");
    TCase *tc = tcase_create("readme");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, docs_every_scenario_function_has_a_section);
    tcase_add_test(tc, docs_every_hook_function_is_documented);
    tcase_add_test(tc, docs_sandbox_hides_stock_lua);
    tcase_add_test(tc, docs_api_names_fail_cleanly_at_every_allocation);
    tcase_add_test(tc, docs_every_documented_field_is_accepted);
    tcase_add_test(tc, docs_field_check_catches_a_wrong_key);
    tcase_add_test(tc, docs_tiny_scenario_loads);
    tcase_add_test(tc, docs_every_nested_key_is_documented);
    tcase_add_test(tc, docs_nested_check_catches_an_undocumented_key);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tr_main(suite(), tmpdir);
}
