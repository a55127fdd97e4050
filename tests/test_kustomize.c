/*
 * test_kustomize.c: every region folder that `kubesim export` writes for
 * every shipped scenario, with either provisioner, builds with `kubectl
 * kustomize` (as `kubectl apply -k` builds it) into exactly the objects the
 * folder's files hold, and what it builds passes the offline validator
 * (../shared/validate-manifests; Karpenter's NodePools are a CRD it does
 * not know, so the Karpenter builds are checked by kustomize only). A
 * folder whose kustomization names a missing file fails, so the check can
 * fail. Without kubectl the suite exits 77 and CTest reports it skipped
 * (SKIP_RETURN_CODE), never passed.
 */
#include <check.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tb.h"
#include "tr.h"

/* Runs cmd in the suite's folder; its exit code. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[8192];
    int k = snprintf(cmd, sizeof cmd, "cd '%s' && ", tb_dir());
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd + k, sizeof cmd - (size_t)k, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* DIR.SUFFIX's text (for a message; the test ends when it is shown). */
static char *read_in(const char *dir, const char *suffix)
{
    char p[8300];
    snprintf(p, sizeof p, "%.4095s/%.4095s.%.64s", tb_dir(), dir, suffix);
    char *t = tb_read(p, NULL);
    return t ? t : (char *)"(unreadable)";
}

static const char *validator(void)
{
    const char *mjs = getenv("KUBESIM_VALIDATOR");
    FILE *probe = mjs ? fopen(mjs, "r") : NULL;
    ck_assert_msg(probe != NULL, "no validator at %s: run scripts/validator.sh (scripts/test.sh does)",
                  mjs ? mjs : "(KUBESIM_VALIDATOR unset)");
    fclose(probe);
    return mjs;
}

/* kubectl kustomize DIR into DIR.built.yaml; the build must hold one object
 * per document of the folder's files (the kustomization aside). */
static void build_one(const char *dir)
{
    ck_assert_msg(sh("kubectl kustomize %s > %s.built.yaml 2> %s.err", dir, dir, dir) == 0, "%s: kubectl kustomize: %s",
                  dir, read_in(dir, "err"));
    /* The files the kustomization lists (its only "- " lines at column 0):
     * eksctl's and Helm's files beside them are for other tools. */
    ck_assert_msg(sh("test $(grep -c '^kind: ' %s.built.yaml) -eq "
                     "$(cd %s && cat $(sed -n 's/^- //p' kustomization.yaml) | grep -c '^kind: ')", dir, dir) == 0,
                  "%s: the build does not hold every object of the folder", dir);
    ck_assert_msg(sh("test $(ls %s/*.yaml | grep -v -e /kustomization.yaml -e /eksctl-cluster.yaml -e -values.yaml | wc -l) "
                     "-eq $(sed -n 's/^- //p' %s/kustomization.yaml | wc -l)", dir, dir) == 0,
                  "%s: the kustomization does not list every manifest of the folder", dir);
}

static void build_all(const char *out)
{
    char pat[4096];
    snprintf(pat, sizeof pat, "%s/%s/*/kustomization.yaml", tb_dir(), out);
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char dir[4096];
        const char *rel = g.gl_pathv[i] + strlen(tb_dir()) + 1;
        snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(rel, '/') - rel), rel);
        build_one(dir);
    }
    globfree(&g);
}

START_TEST(kustomize_builds_every_shipped_export)
{
    char pat[4096];
    snprintf(pat, sizeof pat, "%s/scenarios/*.lua", getenv("KUBESIM_SRC"));
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    ck_assert_uint_ge(g.gl_pathc, 6);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char out[32];
        snprintf(out, sizeof out, "k%zu", i);
        ck_assert_msg(tb_run("export '%s' --out %s --quiet", g.gl_pathv[i], out) == 0, "%s: %.1500s", g.gl_pathv[i],
                      tb_err());
        build_all(out);
        snprintf(out, sizeof out, "karp%zu", i);
        ck_assert_msg(tb_run("export '%s' --out %s --provisioner karpenter --quiet", g.gl_pathv[i], out) == 0,
                      "%s: %.1500s", g.gl_pathv[i], tb_err());
        build_all(out);
    }
    globfree(&g);
    /* Every build of the cluster-autoscaler exports at once (one node start-up). */
    ck_assert_msg(sh("node '%s' k[0-9]*/*.built.yaml > all.val 2>&1", validator()) == 0, "validator: %.3000s",
                  read_in("all", "val"));
    ck_assert_msg(sh("tail -1 all.val | grep -q ' passed, 0 failed$'") == 0, "%.3000s", read_in("all", "val"));
}
END_TEST

/* The check can fail: a kustomization naming a file that is not there. */
START_TEST(kustomize_check_fails_on_a_broken_folder)
{
    ck_assert_int_eq(tb_run("export --out broken --quiet"), 0);
    ck_assert_int_eq(sh("rm broken/us-east/deployments.yaml"), 0);
    ck_assert_int_ne(sh("kubectl kustomize broken/us-east > /dev/null 2>&1"), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("kustomize");
    TCase *tc = tcase_create("kubectl");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, kustomize_builds_every_shipped_export);
    tcase_add_test(tc, kustomize_check_fails_on_a_broken_folder);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (system("command -v kubectl > /dev/null 2>&1") != 0) {
        fprintf(stderr, "test_kustomize: kubectl is not installed: skipped\n");
        return 77;
    }
    if (tb_setup("kustomize") != 0)
        return 2;
    int failed = tr_run(suite(), 1);   /* tests share the folder */
    tb_cleanup();
    return failed ? 1 : 0;
}
