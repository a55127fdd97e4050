/*
 * test_validate.c: `kubesim validate` (the binary in KUBESIM_BIN) loads and
 * checks a scenario without running it: exit 0 with the declaration counts
 * for a valid one, exit 2 with file, line and field for a bad one, and no
 * output folder either way.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmp[] = "/tmp/kubesim-validate-XXXXXX";
static const char *bin;
static char out_text[1 << 16], err_text[1 << 16];

static void slurp(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(buf, 1, n - 1, f) : 0;
    buf[got] = '\0';
    if (f)
        fclose(f);
}

/* Runs `kubesim ARGS` in the temporary folder; keeps stdout and stderr; returns the exit code. */
static int ks(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int ks(const char *fmt, ...)
{
    char args[2048], cmd[4096], o[600], e[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(o, sizeof o, "%s/stdout", tmp);
    snprintf(e, sizeof e, "%s/stderr", tmp);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >'%s' 2>'%s' </dev/null", tmp, bin, args, o, e);
    int st = system(cmd);
    slurp(o, out_text, sizeof out_text);
    slurp(e, err_text, sizeof err_text);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_file(const char *name, const char *text)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static int no_runs_folder(void)
{
    char path[700];
    struct stat st;
    snprintf(path, sizeof path, "%s/runs", tmp);
    return stat(path, &st) != 0;
}

START_TEST(validate_default_scenario_is_ok)
{
    ck_assert_int_eq(ks("validate"), 0);
    ck_assert_msg(strstr(out_text, "market_open_surge.lua: ok (") != NULL, "%s", out_text);
    ck_assert_msg(strstr(out_text, " regions, ") && strstr(out_text, " node groups, ") &&
                  strstr(out_text, " workloads, ") && strstr(out_text, " params)"), "%s", out_text);
    ck_assert(no_runs_folder());
}
END_TEST

START_TEST(validate_counts_declarations)
{
    write_file("ok.lua",
               "local n = param(\"n\", 2, \"replicas\")\n"
               "region { name = \"r1\" }\n"
               "nodegroup { name = \"cpu\", region = \"r1\", cpu = \"8\", memory = \"32Gi\", min = 1, max = 2 }\n"
               "deployment { name = \"web\", replicas = n, cpu = \"1\", memory = \"1Gi\" }\n"
               "job { name = \"batch\", completions = 2, duration = \"1m\", cpu = \"1\", memory = \"1Gi\" }\n");
    ck_assert_int_eq(ks("validate ok.lua --set n=4"), 0);
    ck_assert_str_eq(out_text, "ok.lua: ok (1 regions, 1 node groups, 2 workloads, 1 params)\n");
}
END_TEST

START_TEST(validate_misspelt_field_exits_2_with_file_and_line)
{
    write_file("bad.lua",
               "region { name = \"r1\" }\n"
               "deployment { name = \"web\", replcas = 3, cpu = \"1\", memory = \"1Gi\" }\n");
    ck_assert_int_eq(ks("validate bad.lua"), 2);
    ck_assert_msg(strstr(err_text, "bad.lua:2:") != NULL, "%s", err_text);
    ck_assert_msg(strstr(err_text, "'replcas'") && strstr(err_text, "'replicas'"), "%s", err_text);
    ck_assert_str_eq(out_text, "");
    ck_assert(no_runs_folder());
}
END_TEST

START_TEST(validate_bad_usage_and_help)
{
    ck_assert_int_eq(ks("validate nosuch.lua"), 2);
    ck_assert_int_eq(ks("validate --set nosuch=1"), 2);
    ck_assert_msg(strstr(err_text, "nosuch") != NULL, "%s", err_text);
    ck_assert_int_eq(ks("validate a.lua b.lua"), 2);
    ck_assert_int_eq(ks("validate --help"), 0);
    ck_assert_msg(strstr(out_text, "usage: kubesim validate") != NULL, "%s", out_text);
    ck_assert_int_eq(ks("--help"), 0);
    ck_assert_msg(strstr(out_text, "validate") != NULL, "%s", out_text);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("validate");
    TCase *tc = tcase_create("binary");
    tcase_add_test(tc, validate_default_scenario_is_ok);
    tcase_add_test(tc, validate_counts_declarations);
    tcase_add_test(tc, validate_misspelt_field_exits_2_with_file_and_line);
    tcase_add_test(tc, validate_bad_usage_and_help);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    bin = getenv("KUBESIM_BIN");
    if (bin == NULL || mkdtemp(tmp) == NULL) {
        fprintf(stderr, "test_validate: set KUBESIM_BIN to the kubesim binary (ctest does)\n");
        return 2;
    }
    SRunner *sr = srunner_create(suite());
    srunner_set_fork_status(sr, CK_NOFORK);   /* tests share the folder */
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
    return failed ? 1 : 0;
}
