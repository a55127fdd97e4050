/*
 * tf.h: fixture folders of the source tree (prefix tf_).
 *
 * A fixture suite runs one looped Check test over the files of a folder below
 * $KUBESIM_SRC (ctest sets it), in name order so that _i names the same
 * fixture on every run.
 */
#ifndef KUBESIM_TESTS_TF_H
#define KUBESIM_TESTS_TF_H

#include <stddef.h>

#define TF_MAX 128

typedef struct TfList {
    int n;
    char dir[512];              /* $KUBESIM_SRC/subdir */
    char name[TF_MAX][256];     /* file names, sorted */
} TfList;

/* $KUBESIM_SRC, or NULL after telling stderr that `suite` needs it. */
const char *tf_src(const char *suite);
/* Lists the files of $KUBESIM_SRC/subdir whose names end in ext (".json"),
 * at most TF_MAX; returns how many (0 if the folder cannot be read). */
int tf_list(TfList *l, const char *subdir, const char *ext);
/* Reads a whole file (at most 1 MiB) into a buffer that the next call
 * overwrites; asserts it can be opened. */
char *tf_slurp(const char *path, size_t *len);
/* tf_slurp of fixture i. */
char *tf_read(const TfList *l, int i, size_t *len);

#endif
