/*
 * test_oom.c: the kubesim binary under an address-space limit (`ulimit -v`).
 *
 * OpenBLAS starts worker threads at load, each taking a 128 MiB buffer, and
 * its allocator retries forever when malloc fails: under 100-200 MB `kubesim
 * run` spun in a backtest's cblas_dsyrk or hung in exit() joining a worker.
 * It must say "out of memory", exit 2 and leave no output, promptly. Every
 * run goes through `timeout`, so a regression fails (exit 124) instead of
 * hanging the suite; the limit is never a timing.
 *
 * Skipped (exit 77, reported as skipped by CTest) in the AddressSanitizer
 * build: ASan reserves terabytes of virtual memory for its shadow, so no
 * `ulimit -v` leaves it room to start.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tb.h"
#include "tr.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif
#ifndef ASAN
#define ASAN 0
#endif

#define SKIP 77

static char err_text[8192];

/* `cd DIR && kubesim ARGS` under `ulimit -v kib`, through timeout: its exit
 * code (124 when it hung); its stderr in err_text. */
static int run_limited(long kib, const char *args)
{
    char cmd[2048], errpath[512];
    snprintf(errpath, sizeof errpath, "%s/oom-stderr", tb_dir());
    snprintf(cmd, sizeof cmd, "cd '%s' && timeout 120 sh -c 'ulimit -v %ld; exec \"$0\" %s' '%s' >/dev/null 2>'%s' "
             "</dev/null", tb_dir(), kib, args, tb_bin(), errpath);
    int st = system(cmd);
    tb_slurp(errpath, err_text, sizeof err_text);
    remove(errpath);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Limits on both sides of OpenBLAS's buffer: the one below the base the
 * binary needs, the others below what the default scenario's min-variance
 * backtest needs with it. */
static const long limits[] = {100000, 150000, 200000};

START_TEST(run_under_memory_limit_says_out_of_memory)
{
    char args[256];
    snprintf(args, sizeof args, "run --quiet --out oom-%d", _i);
    int rc = run_limited(limits[_i], args);
    ck_assert_msg(rc != 124, "kubesim run under ulimit -v %ld hung (killed after 120 s)", limits[_i]);
    ck_assert_msg(rc == 2, "kubesim run under ulimit -v %ld exited %d, want 2; stderr: %s", limits[_i], rc,
                  err_text);
    ck_assert_msg(strstr(err_text, "out of memory") != NULL, "stderr lacks \"out of memory\": %s", err_text);
    snprintf(args, sizeof args, "oom-%d", _i);
    ck_assert_msg(!tb_exists(args), "output left behind in %s", args);
}
END_TEST

/* The same binary with room to spare runs the scenario: the limit is what
 * failed above, not the re-exec that puts OpenBLAS on one thread. */
START_TEST(run_with_room_succeeds_under_a_limit)
{
    int rc = run_limited(4000000, "run --quiet --out roomy");
    ck_assert_msg(rc == 0, "kubesim run under ulimit -v 4000000 exited %d; stderr: %s", rc, err_text);
    ck_assert_msg(tb_exists("roomy/summary.json"), "no summary.json");
}
END_TEST

int main(void)
{
    if (ASAN) {
        printf("test_oom: skipped: AddressSanitizer reserves more address space than any ulimit -v leaves\n");
        return SKIP;
    }
    if (tb_setup("oom") != 0)
        return 2;
    Suite *s = suite_create("oom");
    TCase *tc = tcase_create("limits");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, run_under_memory_limit_says_out_of_memory, 0, (int)(sizeof limits / sizeof limits[0]));
    tcase_add_test(tc, run_with_room_succeeds_under_a_limit);
    suite_add_tcase(s, tc);
    int failed = tr_run(s, 1);
    tb_cleanup();
    return failed ? 1 : 0;
}
