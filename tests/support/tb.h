/*
 * tb.h: driving the real kubesim binary from a Check suite (prefix tb_).
 *
 * End-to-end suites run `kubesim ARGS` in a temporary folder of their own,
 * keep what it printed, and write scenario files there. The binary comes from
 * KUBESIM_BIN (ctest sets it). One folder per process: suites that run their
 * cases in forked children share it, so cases name their files apart.
 */
#ifndef KUBESIM_TESTS_TB_H
#define KUBESIM_TESTS_TB_H

#include <stddef.h>

/* Reads KUBESIM_BIN and makes the folder /tmp/kubesim-SUITE-XXXXXX. Returns 0,
 * or prints why to stderr and returns 2 (main returns that). */
int tb_setup(const char *suite);
/* Removes the folder and everything in it. */
void tb_cleanup(void);

const char *tb_dir(void);
const char *tb_bin(void);

/* Runs `cd DIR && kubesim ARGS </dev/null` (ARGS is a shell fragment) and
 * keeps its stdout and stderr; returns its exit code, -1 if it did not exit. */
int tb_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* What the last tb_run printed (NUL-terminated; valid until the next run). */
const char *tb_out(void);
const char *tb_err(void);

/* Writes text to DIR/name and returns that path (valid until the next call). */
const char *tb_write(const char *name, const char *text);
/* Reads a whole file into a NUL-terminated buffer the caller frees; NULL if
 * it cannot be read. *len gets its length when len is not NULL. */
char *tb_read(const char *path, size_t *len);
/* Reads at most n - 1 bytes of a file into buf (empty if unreadable). */
void tb_slurp(const char *path, char *buf, size_t n);
/* How many entries (not . and ..) the folder path holds; -1 when it cannot
 * be opened (absent). */
int tb_count_entries(const char *path);
/* Does DIR/name exist? */
int tb_exists(const char *name);
/* The run of shipped scenario scn (default seed, from SRC/scenarios) in the
 * suite's folder run-SCN: made by the first caller and reused by the rest
 * (a scenario and seed always give the same run; callers only read it).
 * Returns the folder's name (static storage), or NULL when the run failed
 * (tb_err() has why). */
const char *tb_shipped_run(const char *src, const char *scn);

#endif
