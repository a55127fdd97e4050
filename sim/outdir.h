/*
 * outdir.h: all-or-nothing output folders that never cost the user a file.
 *
 * A command writes into a temporary folder beside the destination and
 * renames it into place at the end, so a failed or interrupted run leaves no
 * half-written output. Every folder committed carries a marker file,
 * `.kubesim`, listing what kubesim wrote there. A destination is replaced only
 * when it does not exist, is an empty folder, or is a folder whose marker
 * lists everything in it (an earlier kubesim output nobody added to); with
 * force, any folder. That is checked when the temporary folder is made (so a
 * command fails before its work) and again at commit; replacing removes only
 * the entries the marker lists, unless forced.
 */
#ifndef KUBESIM_SIM_OUTDIR_H
#define KUBESIM_SIM_OUTDIR_H

#include <stddef.h>

#include "sim/sim.h"

#define SIM_OUTDIR_MARKER ".kubesim"

/* An output folder being written; begin fills it, commit or abort ends it. */
typedef struct SimOutdir {
    SimMem *mem;                 /* the marker's listing is allocated here */
    int force;                   /* replace any folder, not only one kubesim wrote */
    size_t made;                 /* length of the topmost parent folder begin created; 0: none */
    char dest[4096];             /* the destination, without trailing slashes */
    char tmp[4096];              /* the temporary folder beside it; "" when there is none */
    SimErr err;                  /* why begin or commit failed (sim_outdir_errmsg) */
} SimOutdir;

/* Whether dest may be replaced (see above): SIM_OK, or SIM_EINVAL (refused),
 * SIM_EIO or SIM_ENOMEM with a message naming dest, the reason and (when it
 * helps) that --force overrides, in err. */
int sim_outdir_check(SimMem *m, const char *dest, int force, SimErr *err);

/* Checks dest, creates its parent folders if needed and a fresh temporary
 * folder beside it (o->tmp, where the command writes). Returns SIM_OK, or a
 * SIM_E* with a message naming the folder on o (then nothing was created). */
int sim_outdir_begin(SimOutdir *o, SimMem *m, const char *dest, int force);
/* Writes the marker listing o->tmp's contents, checks dest again and
 * replaces it by o->tmp. Returns SIM_OK, or a SIM_E* with a message on o
 * (o->tmp is left for sim_outdir_abort). */
int sim_outdir_commit(SimOutdir *o);
/* Why the last begin or commit on o failed. */
const char *sim_outdir_errmsg(const SimOutdir *o);
/* Removes o->tmp with everything in it and the parent folders begin made
 * (error and signal paths). Safe to call twice, or after a failed begin. */
void sim_outdir_abort(SimOutdir *o);

/* Removes path and everything below it, following no symbolic link. Only for
 * a folder the caller created itself. */
void sim_remove_tree(const char *path);

/* True when name can be one component of a default output path: 1 to 255
 * printable ASCII characters, no '/', not starting with '.' (so neither "."
 * nor ".." nor a hidden file). */
int sim_outdir_plain_name(const char *name);

/* Writes len bytes to path. Returns SIM_OK, or SIM_EIO with a message naming
 * path in err. */
int sim_write_file(const char *path, const void *data, size_t len, SimErr *err);

#endif
