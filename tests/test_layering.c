/*
 * test_layering.c: the ownership rule of sim/model.h, checked on the source.
 * Upper layers get const views of the model and change it only through sim_*
 * setters; the compiler refuses a write through a view, so what is left to
 * catch is a way around it. Every .c and .h outside sim/ is scanned for
 *   - an include of sim/sim_int.h or sim/evq_int.h (the engine's layout and
 *     the sim_*_mut accessors), allowed only in tests/support/tm.h, the
 *     tests' one door to writable objects;
 *   - a cast to a non-const pointer to a Sim* type, the way to drop the
 *     const of a view;
 *   - a call of a sim_*_mut accessor outside tests/.
 * (this file, which spells the patterns, is skipped). The test lists every
 * violation with its file and line. It runs the same
 * scanner on planted files first, so it cannot pass by finding nothing.
 */
#include <check.h>
#include <dirent.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tr.h"

/* The layers above sim/: every folder of the tree but sim/, hidden ones and
 * build folders (build, build-asan...), so a new layer is scanned too. */
static int above_sim(const char *name)
{
    return name[0] != '.' && strcmp(name, "sim") != 0 && strncmp(name, "build", 5) != 0;
}
#define TM_H "tests/support/tm.h"
#define SELF "tests/test_layering.c"   /* holds the patterns it looks for */

typedef struct Scan {
    regex_t inc, cast, mut;
    char report[8192];
    size_t len;
    int found;
} Scan;

static void scan_init(Scan *s)
{
    memset(s, 0, sizeof *s);
    ck_assert_int_eq(regcomp(&s->inc, "#[[:space:]]*include[[:space:]]*[\"<]sim/(sim|evq)_int\\.h[\">]",
                             REG_EXTENDED | REG_NOSUB), 0);
    /* "(SimPod *)", "( struct SimNode* )": no const inside the parentheses */
    ck_assert_int_eq(regcomp(&s->cast, "\\([[:space:]]*(struct[[:space:]]+)?Sim[A-Za-z0-9_]*[[:space:]]*\\*+[[:space:]]*\\)",
                             REG_EXTENDED | REG_NOSUB), 0);
    ck_assert_int_eq(regcomp(&s->mut, "(^|[^A-Za-z0-9_])sim_[a-z_]+_mut[[:space:]]*\\(", REG_EXTENDED | REG_NOSUB), 0);
}

static void scan_free(Scan *s)
{
    regfree(&s->inc);
    regfree(&s->cast);
    regfree(&s->mut);
}

static void flag(Scan *s, const char *rel, int line, const char *what)
{
    s->found++;
    if (s->len < sizeof s->report - 1)
        s->len += (size_t)snprintf(s->report + s->len, sizeof s->report - s->len, "  %s:%d: %s\n", rel, line,
                                   what);
    if (s->len > sizeof s->report - 1)
        s->len = sizeof s->report - 1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* rel is the path below the source root: what the report names and what
 * decides the exceptions. */
static void scan_file(Scan *s, const char *path, const char *rel)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    int in_tests = strncmp(rel, "tests/", 6) == 0;
    char line[4096];
    for (int n = 1; fgets(line, sizeof line, f) != NULL; n++) {
        if (regexec(&s->inc, line, 0, NULL, 0) == 0 && strcmp(rel, TM_H) != 0)
            flag(s, rel, n, "includes the engine's internal header (use the const views of sim/model.h)");
        if (regexec(&s->cast, line, 0, NULL, 0) == 0)
            flag(s, rel, n, "casts to a non-const Sim* pointer (change the model through a sim_* setter)");
        if (regexec(&s->mut, line, 0, NULL, 0) == 0 && !in_tests)
            flag(s, rel, n, "calls a sim_*_mut accessor (sim/ only)");
    }
    fclose(f);
}

static void scan_tree(Scan *s, const char *root, const char *rel)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    DIR *d = opendir(path);
    ck_assert_msg(d != NULL, "cannot open %s", path);
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (ent->d_name[0] == '.')
            continue;
        char child_rel[1024], child[2048];
        snprintf(child_rel, sizeof child_rel, "%s/%s", rel, ent->d_name);
        snprintf(child, sizeof child, "%s/%s", root, child_rel);
        struct stat st;
        if (stat(child, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            scan_tree(s, root, child_rel);
        else if ((ends_with(ent->d_name, ".c") || ends_with(ent->d_name, ".h")) &&
                 strcmp(child_rel, SELF) != 0)
            scan_file(s, child, child_rel);
    }
    closedir(d);
}

static const char *src_root(void)
{
    const char *src = getenv("KUBESIM_SRC");
    ck_assert_msg(src != NULL, "set KUBESIM_SRC to the source tree (ctest does)");
    return src;
}

START_TEST(no_layer_above_sim_writes_the_model)
{
    Scan s;
    scan_init(&s);
    DIR *d = opendir(src_root());
    ck_assert_ptr_nonnull(d);
    struct dirent *ent;
    char path[2048];
    int layers = 0;
    while ((ent = readdir(d)) != NULL) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", src_root(), ent->d_name);
        if (above_sim(ent->d_name) && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            scan_tree(&s, src_root(), ent->d_name);
            layers++;
        }
    }
    closedir(d);
    ck_assert_int_ge(layers, 7);   /* cli k8s-export render scenarios scheduler workloads tests... */
    ck_assert_msg(s.found == 0, "%d ownership violation(s) outside sim/:\n%s", s.found, s.report);
    scan_free(&s);
}
END_TEST

/* The scanner finds each kind of violation it looks for, and lets the
 * allowed forms through (a const cast, tm.h's include, _mut in a test). */
static const char *plant(const char *dir, const char *name, const char *text)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

START_TEST(scanner_catches_each_violation)
{
    char dir[] = "/tmp/kubesim-layering-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    Scan s;
    scan_init(&s);
    scan_file(&s, plant(dir, "a.c", "#include \"sim/sim_int.h\"\n"), "scheduler/a.c");
    ck_assert_int_eq(s.found, 1);
    scan_file(&s, plant(dir, "b.c", "    ((SimPod *)sim_pod(e, 1))->node = 3;\n"), "workloads/b.c");
    ck_assert_int_eq(s.found, 2);
    scan_file(&s, plant(dir, "c.c", "    SimNode *n = ( struct SimNode* )p;\n"), "render/c.c");
    ck_assert_int_eq(s.found, 3);
    scan_file(&s, plant(dir, "d.c", "    sim_pod_mut(e, 1)->node = 3;\n"), "cli/d.c");
    ck_assert_int_eq(s.found, 4);
    ck_assert_ptr_nonnull(strstr(s.report, "scheduler/a.c:1:"));
    ck_assert_ptr_nonnull(strstr(s.report, "cli/d.c:1:"));
    /* allowed: */
    scan_file(&s, plant(dir, "e.c", "    const SimPod *p = (const SimPod *)v;\n"), "workloads/e.c");
    scan_file(&s, plant(dir, "f.h", "#include \"sim/sim_int.h\"\n"), TM_H);
    scan_file(&s, plant(dir, "g.c", "    sim_pod_mut(e, 1)->node = 3;\n"), "tests/test_x.c");
    ck_assert_int_eq(s.found, 4);
    scan_free(&s);
    const char *names[] = {"a.c", "b.c", "c.c", "d.c", "e.c", "f.h", "g.c"};
    char path[1024];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        remove(path);
    }
    ck_assert_int_eq(remove(dir), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("layering");
    TCase *t = tcase_create("ownership");
    tcase_add_test(t, scanner_catches_each_violation);
    tcase_add_test(t, no_layer_above_sim_writes_the_model);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tr_run(suite(), 0) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
