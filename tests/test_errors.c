/*
 * test_errors.c: the error convention of sim/sim.h holds. A failure's message
 * lives on a handle (or in a SimErr where no handle exists yet); no function
 * takes a caller's char buffer and its length for the message. This suite
 * scans every C header and source of the tree ($KUBESIM_SRC) for such a
 * parameter pair and fails listing each offender, and checks the SimErr
 * holder and a handle's message themselves.
 */
#define _XOPEN_SOURCE 700   /* nftw */
#include <check.h>
#include <ftw.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/fileio.h"
#include "sim/outdir.h"
#include "sim/sim.h"

#include "tr.h"

/* A message parameter: `char *err, size_t errlen`, `char *why, size_t n`,
 * `char *msg, size_t len`, ... (any spacing, across lines). Filter reasons
 * (`char *reason, size_t len` in scheduler/) are results, not errors, and
 * are not matched. */
#define SP "[[:space:]]*"
#define MESSAGE_PAIR "char" SP "\\*" SP "(err|why|msg|errbuf|errmsg)[A-Za-z0-9_]*" SP "," SP "size_t"

static regex_t pair_re;

/* Appends "path:line" to out for each message pair in text; returns how many. */
static int scan_text(const char *path, const char *text, char *out, size_t outlen)
{
    int n = 0;
    regmatch_t m;
    for (const char *p = text; regexec(&pair_re, p, 1, &m, p == text ? 0 : REG_NOTBOL) == 0; p += m.rm_eo) {
        int line = 1;
        for (const char *q = text; q < p + m.rm_so; q++)
            line += *q == '\n';
        size_t used = strlen(out);
        snprintf(out + used, outlen - used, "  %s:%d: %.*s\n", path, line, (int)(m.rm_eo - m.rm_so), p + m.rm_so);
        n++;
    }
    return n;
}

/* What the walk found (nftw passes its callback no context). */
static char offenders[1 << 16];
static int noffenders;
static size_t nscanned;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    size_t len = strlen(path);
    if (type != FTW_F || len < 2 || path[len - 2] != '.' || (path[len - 1] != 'c' && path[len - 1] != 'h'))
        return 0;
    static const char self[] = "/tests/test_errors.c";   /* its samples of the pattern */
    if (len >= sizeof self - 1 && strcmp(path + len - (sizeof self - 1), self) == 0)
        return 0;
    SimMem m;
    sim_mem_init(&m);
    char *text;
    size_t n;
    SimErr err = SIM_ERR_INIT;
    ck_assert_msg(sim_file_read(&m, path, SIM_FILE_MAX_JSON, "a source file", &text, &n, &err) == SIM_OK, "%s",
                  sim_err_msg(&err));
    noffenders += scan_text(path, text, offenders, sizeof offenders);
    nscanned++;
    sim_mem_free(&m, text, n + 1);
    return 0;
}

START_TEST(errors_no_function_takes_a_message_buffer)
{
    static const char *const dirs[] = {"sim", "scheduler", "workloads", "scenarios", "render", "k8s-export",
                                       "cli", "tests"};
    const char *src = getenv("KUBESIM_SRC");
    ck_assert_msg(src != NULL, "set KUBESIM_SRC (ctest does)");
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/%s", src, dirs[i]);
        ck_assert_int_eq(nftw(dir, visit, 16, FTW_PHYS), 0);
    }
    ck_assert_msg(nscanned > 200, "only %zu files scanned", nscanned);
    ck_assert_msg(noffenders == 0,
                  "%d message buffer parameter(s); report on the handle or take a SimErr (sim/sim.h):\n%s",
                  noffenders, offenders);
}
END_TEST

/* The scan itself: it finds the pair however it is spelled, and only it. */
START_TEST(errors_scan_catches_a_message_buffer)
{
    char out[1024] = "";
    ck_assert_int_eq(scan_text("a.h", "int f(const char *p, char *err, size_t errlen);", out, sizeof out), 1);
    ck_assert_str_eq(out, "  a.h:1: char *err, size_t\n");
    out[0] = '\0';
    ck_assert_int_eq(scan_text("b.c", "int g(void);\nint f(int x, char*why,\n      size_t n)\n", out, sizeof out),
                     1);
    ck_assert_msg(strstr(out, "b.c:2:") != NULL, "%s", out);
    out[0] = '\0';
    ck_assert_int_eq(scan_text("c.c", "int f(char *errbuf, size_t a); int g(char *msg, size_t b);", out,
                               sizeof out), 2);
    out[0] = '\0';
    ck_assert_int_eq(scan_text("d.c", "int f(SimErr *err); void g(char *buf, size_t n, char *reason, size_t len);",
                               out, sizeof out), 0);
}
END_TEST

/* SimErr: set returns the code, keeps code and message, tolerates NULL. */
START_TEST(errors_simerr_holds_code_and_message)
{
    SimErr er = SIM_ERR_INIT;
    ck_assert_str_eq(sim_err_msg(&er), "");
    ck_assert_int_eq(sim_err_code(&er), SIM_OK);
    ck_assert_int_eq(sim_err_set(&er, SIM_EIO, "%s: cannot write: %s", "x.csv", "disk full"), SIM_EIO);
    ck_assert_str_eq(sim_err_msg(&er), "x.csv: cannot write: disk full");
    ck_assert_int_eq(sim_err_code(&er), SIM_EIO);
    ck_assert_int_eq(sim_err_set(NULL, SIM_EINVAL, "nobody listens"), SIM_EINVAL);
    ck_assert_str_eq(sim_err_msg(NULL), "");
    SimErr copy = SIM_ERR_INIT;
    ck_assert_int_eq(sim_err_copy(&copy, &er), SIM_EIO);
    ck_assert_str_eq(sim_err_msg(&copy), "x.csv: cannot write: disk full");
    char big[2 * SIM_ERR_LEN];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    sim_err_set(&er, SIM_EINVAL, "%s", big);
    ck_assert_uint_eq(strlen(sim_err_msg(&er)), SIM_ERR_LEN - 1);   /* cut, never overrun */
}
END_TEST

/* A handle keeps its own failure: an output folder that cannot be made says
 * why on the SimOutdir, with no buffer from the caller. */
START_TEST(errors_outdir_message_is_on_the_handle)
{
    SimMem m;
    sim_mem_init(&m);
    SimOutdir o;
    ck_assert_int_eq(sim_outdir_begin(&o, &m, "", 0), SIM_EINVAL);
    ck_assert_str_eq(sim_outdir_errmsg(&o), "--out '': not a usable folder name");
    ck_assert_int_eq(m.live, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("errors");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, errors_no_function_takes_a_message_buffer);
    tcase_add_test(tc, errors_scan_catches_a_message_buffer);
    tcase_add_test(tc, errors_simerr_holds_code_and_message);
    tcase_add_test(tc, errors_outdir_message_is_on_the_handle);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (regcomp(&pair_re, MESSAGE_PAIR, REG_EXTENDED) != 0) {
        fprintf(stderr, "test_errors: the pattern does not compile\n");
        return EXIT_FAILURE;
    }
    int failed = tr_run(suite(), 0);
    regfree(&pair_re);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
