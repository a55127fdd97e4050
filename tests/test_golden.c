/*
 * test_golden.c: the decisions of the shipped scenarios and the tests/fixtures
 * cases do not drift. tests/golden/golden.sh runs the real binary over them
 * and prints one hash per output (traces, summaries, metrics, exported
 * manifests, explain and import outputs); every line must equal its line in
 * tests/golden/hashes.txt. A change that means to alter a decision
 * regenerates the file (KUBESIM_GOLDEN_WRITE=PATH writes what this run got)
 * and says why in its commit.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb.h"

/* Returns the line of `text` that starts with "key " (up to its newline), or
 * NULL. */
static const char *line_of(const char *text, const char *key, size_t *len)
{
    size_t k = strlen(key);
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n > k && strncmp(p, key, k) == 0 && p[k] == ' ') {
            *len = n;
            return p;
        }
        p = nl ? nl + 1 : NULL;
    }
    return NULL;
}

START_TEST(golden_hashes_match)
{
    const char *src = getenv("KUBESIM_SRC");
    ck_assert_msg(src != NULL, "KUBESIM_SRC is not set");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/golden/hashes.txt", src);
    char *want = tb_read(path, NULL);
    ck_assert_msg(want != NULL, "cannot read %s", path);

    /* tb_run prefixes the binary: --version is a no-op that lets the script follow. */
    int rc = tb_run("--version >/dev/null && sh '%s/tests/golden/golden.sh' '%s' '%s'", src, tb_bin(), src);
    ck_assert_msg(rc == 0, "golden.sh exit %d: %s", rc, tb_err());
    char *got = strdup(tb_out());
    ck_assert_ptr_nonnull(got);
    const char *w = getenv("KUBESIM_GOLDEN_WRITE");
    if (w && *w) {
        FILE *f = fopen(w, "w");
        ck_assert_msg(f && fputs(got, f) >= 0 && fclose(f) == 0, "cannot write %s", w);
    }

    int lines = 0, bad = 0;
    for (char *p = got; *p;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        char key[512];
        size_t klen = strcspn(p, " ");
        ck_assert_msg(klen > 0 && klen < sizeof key, "malformed line: %s", p);
        memcpy(key, p, klen);
        key[klen] = '\0';
        size_t n = 0;
        const char *exp = line_of(want, key, &n);
        if (!exp || n != strlen(p) || memcmp(exp, p, n) != 0) {
            fprintf(stderr, "golden: %s\n  want %.*s\n  got  %s\n", key, exp ? (int)n : 7,
                    exp ? exp : "(none)", p);
            bad++;
        }
        lines++;
        if (!nl)
            break;
        p = nl + 1;
    }
    size_t wlines = 0;
    for (const char *p = want; *p; p++)
        wlines += *p == '\n';
    ck_assert_msg(bad == 0, "%d of %d outputs differ from tests/golden/hashes.txt (see stderr)", bad, lines);
    ck_assert_msg((size_t)lines == wlines, "golden.sh printed %d lines, hashes.txt has %zu", lines, wlines);
    ck_assert_int_ge(lines, 150);
    free(got);
    free(want);
}
END_TEST

int main(void)
{
    if (tb_setup("golden") != 0)
        return 2;
    Suite *s = suite_create("golden");
    TCase *tc = tcase_create("golden");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, golden_hashes_match);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    tb_cleanup();
    return failed ? 1 : 0;
}
