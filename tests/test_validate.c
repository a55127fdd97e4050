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

#include "tb.h"
#include "tr.h"

static int no_runs_folder(void)
{
    char path[700];
    struct stat st;
    snprintf(path, sizeof path, "%s/runs", tb_dir());
    return stat(path, &st) != 0;
}

START_TEST(validate_default_scenario_is_ok)
{
    ck_assert_int_eq(tb_run("validate"), 0);
    ck_assert_msg(strstr(tb_out(), "market_open_surge.lua: ok (") != NULL, "%s", tb_out());
    ck_assert_msg(strstr(tb_out(), " regions, ") && strstr(tb_out(), " node groups, ") &&
                  strstr(tb_out(), " workloads, ") && strstr(tb_out(), " params)"), "%s", tb_out());
    ck_assert(no_runs_folder());
}
END_TEST

START_TEST(validate_counts_declarations)
{
    tb_write("ok.lua",
               "local n = param(\"n\", 2, \"replicas\")\n"
               "region { name = \"r1\" }\n"
               "nodegroup { name = \"cpu\", region = \"r1\", cpu = \"8\", memory = \"32Gi\", min = 1, max = 2 }\n"
               "deployment { name = \"web\", replicas = n, cpu = \"1\", memory = \"1Gi\" }\n"
               "job { name = \"batch\", completions = 2, duration = \"1m\", cpu = \"1\", memory = \"1Gi\" }\n");
    ck_assert_int_eq(tb_run("validate ok.lua --set n=4"), 0);
    ck_assert_str_eq(tb_out(), "ok.lua: ok (1 regions, 1 node groups, 2 workloads, 1 params)\n");
}
END_TEST

START_TEST(validate_misspelt_field_exits_2_with_file_and_line)
{
    tb_write("bad.lua",
               "region { name = \"r1\" }\n"
               "deployment { name = \"web\", replcas = 3, cpu = \"1\", memory = \"1Gi\" }\n");
    ck_assert_int_eq(tb_run("validate bad.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "bad.lua:2:") != NULL, "%s", tb_err());
    ck_assert_msg(strstr(tb_err(), "'replcas'") && strstr(tb_err(), "'replicas'"), "%s", tb_err());
    ck_assert_str_eq(tb_out(), "");
    ck_assert(no_runs_folder());
}
END_TEST

START_TEST(validate_bad_usage_and_help)
{
    ck_assert_int_eq(tb_run("validate nosuch.lua"), 2);
    ck_assert_int_eq(tb_run("validate --set nosuch=1"), 2);
    ck_assert_msg(strstr(tb_err(), "nosuch") != NULL, "%s", tb_err());
    ck_assert_int_eq(tb_run("validate a.lua b.lua"), 2);
    ck_assert_int_eq(tb_run("validate --help"), 0);
    ck_assert_msg(strstr(tb_out(), "usage: kubesim validate") != NULL, "%s", tb_out());
    ck_assert_int_eq(tb_run("--help"), 0);
    ck_assert_msg(strstr(tb_out(), "validate") != NULL, "%s", tb_out());
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
    if (tb_setup("validate") != 0)
        return 2;
    int failed = tr_run(suite(), 1);   /* tests share the folder */
    tb_cleanup();
    return failed ? 1 : 0;
}
