/*
 * kx_yaml.h: writing Kubernetes YAML with libyaml's emitter (prefix
 * kx_yaml_). A KxYaml is a stream of documents built by nested calls
 * (map/seq begin and end, scalars); the text goes to a buffer kept through
 * the SimMem hook.
 *
 * Strings are typed the way Kubernetes' decoder reads YAML 1.1: a string
 * that would read as something else (a number, true/yes/on, null, a
 * timestamp) is double-quoted, so "1", "on" and "1e3" stay strings.
 * Errors stick: after the first failure every call does nothing, and
 * kx_yaml_text reports it once.
 */
#ifndef KUBESIM_KX_YAML_H
#define KUBESIM_KX_YAML_H

#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

typedef struct KxYaml KxYaml;

/* NULL on out of memory. */
KxYaml *kx_yaml_new(SimMem *m);
void kx_yaml_free(KxYaml *y);

void kx_yaml_doc_begin(KxYaml *y);
void kx_yaml_doc_end(KxYaml *y);
void kx_yaml_map_begin(KxYaml *y);
void kx_yaml_map_end(KxYaml *y);
void kx_yaml_seq_begin(KxYaml *y);
void kx_yaml_seq_end(KxYaml *y);

void kx_yaml_str(KxYaml *y, const char *s);          /* a string, quoted when it must be */
void kx_yaml_int(KxYaml *y, int64_t v);
void kx_yaml_bool(KxYaml *y, int v);
void kx_yaml_block(KxYaml *y, const char *text);     /* a literal block (|), for scripts */

/* A key and a scalar value in the current map. */
void kx_yaml_kv_str(KxYaml *y, const char *key, const char *value);
void kx_yaml_kv_int(KxYaml *y, const char *key, int64_t value);
void kx_yaml_kv_bool(KxYaml *y, const char *key, int value);

/* Ends the stream; the text (NUL-terminated, owned by y) and its length.
 * SIM_OK, or SIM_ENOMEM / SIM_EINVAL (libyaml refused an event; the message
 * on y, kx_yaml_errmsg). */
int kx_yaml_text(KxYaml *y, const char **text, size_t *len);
const char *kx_yaml_errmsg(const KxYaml *y);

#endif
