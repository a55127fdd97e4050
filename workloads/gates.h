/*
 * gates.h: Kubernetes feature gates a scenario may turn on (prefix
 * wl_gate_), as `--feature-gates` on the cluster's components. A gate is one
 * row of the table in gates.c: its name as upstream spells it and its
 * default; a set of gates is a bit mask (WlGates, bit 1 << WlGate). To add a
 * gate: a new enum value before WL_GATE_COUNT, its row in gates.c, its line in
 * scenarios/README.md (tests/test_docs.c checks it), and the check where it
 * matters.
 */
#ifndef KUBESIM_WL_GATES_H
#define KUBESIM_WL_GATES_H

#include <stddef.h>
#include <stdint.h>

typedef enum WlGate {
    WL_GATE_HPA_SCALE_TO_ZERO = 0,   /* HPAScaleToZero (alpha): an HPA may have minReplicas 0 */
    WL_GATE_COUNT
} WlGate;

typedef uint32_t WlGates;            /* bit (1u << WlGate) set: the gate is on */
#define WL_GATE_BIT(g) ((WlGates)1u << (unsigned)(g))

/* The gates on by default (upstream's defaults for the modelled version). */
WlGates wl_gates_default(void);
/* The gate's upstream name; "unknown" past the last. */
const char *wl_gate_name(WlGate g);
/* The gate named name (case-sensitive, as upstream), or -1. */
int wl_gate_parse(const char *name);
/* The known gates' names, NULL-terminated (for the docs' check). */
extern const char *const wl_gate_names[];
/* "HPAScaleToZero, ..." into buf (n bytes) for messages; returns buf. */
const char *wl_gate_list(char *buf, size_t n);

#endif
