/*
 * test_docs.c: scenarios/README.md cannot drift from the code. Every global
 * function a scenario sandbox offers beyond stock Lua has a `### name`
 * section, and every field a declaration's table documents is accepted by
 * that declaration (no "unknown field"). README is read from $KUBESIM_SRC.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenarios/scn.h"

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

START_TEST(docs_every_scenario_function_has_a_section)
{
    char buf[4096];
    const char *names[256];
    size_t n = scn_api_names(buf, sizeof buf, names, 256);
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

START_TEST(docs_sandbox_hides_stock_lua)
{
    char buf[4096];
    const char *names[256];
    size_t n = scn_api_names(buf, sizeof buf, names, 256);
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
static const char *try_key(const Row *r, char *err, size_t errlen)
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
    err[0] = '\0';
    ScnScenario *s = scn_load(&m, &o, err, errlen);
    scn_free(s);
    return err;
}

START_TEST(docs_every_documented_field_is_accepted)
{
    ck_assert_msg(nrows > 100, "only %zu documented fields parsed", nrows);
    char err[1024], unknown[128];
    for (size_t i = 0; i < nrows; i++) {
        try_key(&rows[i], err, sizeof err);
        snprintf(unknown, sizeof unknown, "unknown field '%s'", rows[i].key);
        ck_assert_msg(strstr(err, unknown) == NULL, "scenarios/README.md documents %s.%s, which is refused: %s",
                      rows[i].decl, rows[i].key, err);
    }
}
END_TEST

START_TEST(docs_field_check_catches_a_wrong_key)
{
    Row r = {"deployment", "replcas", 0};
    char err[1024];
    ck_assert_msg(strstr(try_key(&r, err, sizeof err), "unknown field 'replcas'") != NULL, "%s", err);
}
END_TEST

START_TEST(docs_tiny_scenario_loads)
{
    Row r = {"deployment", "replicas", 0};
    char err[1024];
    ck_assert_str_eq(try_key(&r, err, sizeof err), "");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("docs");
    TCase *tc = tcase_create("readme");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, docs_every_scenario_function_has_a_section);
    tcase_add_test(tc, docs_sandbox_hides_stock_lua);
    tcase_add_test(tc, docs_every_documented_field_is_accepted);
    tcase_add_test(tc, docs_field_check_catches_a_wrong_key);
    tcase_add_test(tc, docs_tiny_scenario_loads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (mkdtemp(tmpdir) == NULL)
        return 2;
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return failed ? 1 : 0;
}
