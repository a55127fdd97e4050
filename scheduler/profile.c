/*
 * profile.c: the default profile. Plugins run in upstream's order; a later
 * capability adds its plugins to this table (TaintToleration w3, NodeAffinity
 * w2, PodTopologySpread w2, InterPodAffinity w2, BalancedAllocation w1, ...).
 */
#include "scheduler/sched.h"

static const SchedPlugin default_plugins[] = {
    {"NodeResourcesFit", 1, sched_fit_filter, sched_fit_score_least_allocated, NULL},
};

const SchedPlugin *sched_default_plugins(size_t *n)
{
    *n = sizeof default_plugins / sizeof default_plugins[0];
    return default_plugins;
}
