/*
 * tr.h: running a Check suite from main (prefix tr_).
 */
#ifndef KUBESIM_TESTS_TR_H
#define KUBESIM_TESTS_TR_H

#include <check.h>

/* Runs every test of s and frees the runner; returns how many failed. The
 * tests run forked (a crash or hang fails one test, not the suite) unless
 * nofork, for suites whose tests share files and run in order. */
int tr_run(Suite *s, int nofork);
/* main of a suite whose tests write below tmpdir, a mkdtemp template
 * ("/tmp/kubesim-NAME-XXXXXX") that becomes the folder: makes it, runs s
 * forked, removes it. Returns the exit code: 0 if every test passed and the
 * folder went, 1 if not, 2 if the folder could not be made. */
int tr_main(Suite *s, char *tmpdir);
/* Writes text to dir/name, asserting it was written, and returns the path
 * (valid until the next call). */
const char *tr_write(const char *dir, const char *name, const char *text);

#endif
