/*
 * gates.c: the feature-gate table (gates.h). One row per gate kubesim
 * models; a scenario turns gates on with scenario { feature_gates = {...} }.
 */
#include "workloads/gates.h"

#include <stdio.h>
#include <string.h>

/* The table, indexed by WlGate: a gate's name (also the docs' key list,
 * hence NULL-terminated) and its row. HPAScaleToZero: alpha since v1.16, off
 * by default (upstream pkg/features/kube_features.go). */
const char *const wl_gate_names[WL_GATE_COUNT + 1] = {
    [WL_GATE_HPA_SCALE_TO_ZERO] = "HPAScaleToZero",
    [WL_GATE_COUNT] = NULL,
};

typedef struct GateRow {
    const char *stage;           /* alpha, beta, GA: for messages */
    int on_by_default;
} GateRow;

static const GateRow gates[WL_GATE_COUNT] = {
    [WL_GATE_HPA_SCALE_TO_ZERO] = {"alpha", 0},
};

WlGates wl_gates_default(void)
{
    WlGates g = 0;
    for (unsigned i = 0; i < WL_GATE_COUNT; i++)
        if (gates[i].on_by_default)
            g |= WL_GATE_BIT(i);
    return g;
}

const char *wl_gate_name(WlGate g)
{
    return (unsigned)g < WL_GATE_COUNT ? wl_gate_names[g] : "unknown";
}

int wl_gate_parse(const char *name)
{
    for (int i = 0; name && i < WL_GATE_COUNT; i++)
        if (strcmp(wl_gate_names[i], name) == 0)
            return i;
    return -1;
}

const char *wl_gate_list(char *buf, size_t n)
{
    size_t len = 0;
    if (n == 0)
        return buf;
    buf[0] = '\0';
    for (unsigned i = 0; i < WL_GATE_COUNT && len < n; i++) {
        int w = snprintf(buf + len, n - len, "%s%s (%s)", i ? ", " : "", wl_gate_names[i], gates[i].stage);
        if (w < 0)
            break;
        len += (size_t)w;
    }
    return buf;
}
