/*
 * kube_int.h: the reader's layout, shared by kube/'s files only (reader.c,
 * v1.c); no other module includes it.
 */
#ifndef KUBESIM_KUBE_INT_H
#define KUBESIM_KUBE_INT_H

#include "kube/kube.h"

#define KUBE_ERRLEN 512

struct KubeReader {
    SimArena *arena;
    int failed;
    char err[KUBE_ERRLEN];   /* "$.path: message" */
};

/* Is v a whole number in [lo, hi]? (checked on the double, before any cast) */
int kube_whole_in(double v, int64_t lo, int64_t hi);

/* A metav1.LabelSelector at j (NULL: absent, the empty selector) into sel:
 * matchLabels as In requirements, in the order written, then matchExpressions. */
void kube_label_selector(KubeReader *c, const cJSON *j, const char *path, SimSelector *sel);

/* Paths are built in fixed buffers as the readers descend; a path deeper than
 * KUBE_PATH is cut short in the message, which is harmless, so gcc's
 * truncation warning is off in kube/'s files. */
#if !defined(__clang__)   /* clang has no such warning */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#endif
