/*
 * fileio.h: whole-file reads with a size cap, and file writes that either
 * complete or leave the destination as it was (prefix sim_file_).
 *
 * Every file kubesim reads whole goes through sim_file_read with the cap of
 * its kind, so /dev/zero, a FIFO that never ends or a huge file stops at the
 * cap with a message naming the file and the limit, instead of allocating
 * until the machine gives out. Every file it writes whole goes through
 * sim_file_replace, which checks every write, the flush and the close, so a
 * full disk is an error, never a short file reported as success.
 */
#ifndef KUBESIM_SIM_FILEIO_H
#define KUBESIM_SIM_FILEIO_H

#include <stddef.h>

#include "sim/sim.h"

/* The caps (README, "Safety"). Generous for real inputs, small enough that a
 * hostile one cannot exhaust memory. */
#define SIM_FILE_MAX_SCENARIO ((size_t)16 << 20)     /* a scenario .lua */
#define SIM_FILE_MAX_JSON ((size_t)64 << 20)         /* an explain case, a sweep shard, other inputs */
#define SIM_FILE_MAX_CALIBRATION ((size_t)1 << 20)   /* a calibration JSON */
#define SIM_FILE_MAX_CSV ((size_t)256 << 20)         /* backtest prices */

/* Reads the whole file at path, at most max bytes, into *out: len + 1 bytes
 * allocated through m, NUL-terminated; the caller frees them with
 * sim_mem_free(m, *out, *len + 1). what names the kind of file for the
 * message over the cap ("a scenario"). Returns SIM_OK, SIM_EIO (cannot open
 * or read it, a folder, over the cap) or SIM_ENOMEM, with a message that
 * starts with the path in err.
 *
 * For the test suite only: the environment variable KUBESIM_TEST_INPUT_CAP
 * (a byte count) lowers max to it, when it is smaller, for a device or FIFO
 * (whose size shows only as it is read; a regular file is refused by its
 * size before reading), and the message names the lowered cap. The sanitizer build's test_io sets it, so that its
 * /dev/zero cases run the same code without reading 256 MiB under
 * AddressSanitizer (a minute of CI). */
int sim_file_read(SimMem *m, const char *path, size_t max, const char *what, char **out, size_t *len, SimErr *err);

/* Writes len bytes of data as the file at path. A regular file (or a new
 * one) is written beside it as PATH.tmp-XXXXXX, synced and renamed over it,
 * so a failure leaves the old file (or none) and no temporary; a device or a
 * FIFO (/dev/stdout, /dev/full) is written in place; a folder is refused.
 * Returns SIM_OK, or SIM_EIO with "PATH: ...: reason" in err. */
int sim_file_replace(const char *path, const void *data, size_t len, SimErr *err);

#endif
