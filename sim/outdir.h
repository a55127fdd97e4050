/*
 * outdir.h: all-or-nothing output folders. A run writes into a temporary
 * folder beside the destination and renames it into place at the end, so a
 * failed or interrupted run leaves no half-written output.
 */
#ifndef KUBESIM_SIM_OUTDIR_H
#define KUBESIM_SIM_OUTDIR_H

#include <stddef.h>

/* Creates the destination's parent folders if needed and a fresh temporary
 * folder beside dest; its path goes to tmp (tmplen bytes). Returns 0, or -1
 * with a message naming the folder in err. */
int sim_outdir_begin(const char *dest, char *tmp, size_t tmplen, char *err, size_t errlen);
/* Replaces dest (if it exists) by tmp. Returns 0, or -1 with a message. */
int sim_outdir_commit(const char *tmp, const char *dest, char *err, size_t errlen);
/* Removes tmp and everything in it (error paths). */
void sim_outdir_abort(const char *tmp);

/* Writes len bytes to path. Returns 0, or -1 with a message naming path. */
int sim_write_file(const char *path, const void *data, size_t len, char *err, size_t errlen);

#endif
