/*
 * alerts_int.h: the rule set shared by alerts.c (rules from a scenario, their
 * YAML) and alerts_test.c (a promtool test of them against a run); no other
 * module includes it.
 *
 * Invariant: the rules are ordered by region id, so a region's rules are
 * consecutive (one group each).
 */
#ifndef KUBESIM_KX_ALERTS_INT_H
#define KUBESIM_KX_ALERTS_INT_H

#include "k8s-export/export_int.h"

/* The families the rules read (render/openmetrics.c writes them). */
#define KX_FAM_LATENCY "kubesim_service_latency_seconds"   /* {region, service, percentile} */
#define KX_FAM_PENDING "kubesim_region_pods_pending"       /* {region} */
#define KX_FAM_QUOTA "kube_resourcequota"                  /* {region, namespace, resourcequota, resource, type} */

#define KX_ALERT_MATCH_MAX 4
#define KX_ALERT_SEL 1280                   /* a selector: family and four matchers */
#define KX_ALERT_EXPR (2 * KX_ALERT_SEL + 64)

typedef enum KxAlertKind {
    KX_ALERT_SLO = 0,       /* FAMILY{match} > threshold */
    KX_ALERT_PENDING,       /* FAMILY{match} > threshold */
    KX_ALERT_QUOTA          /* FAMILY{match,type="used"} / ignoring(type) FAMILY{match,type="hard"} > threshold */
} KxAlertKind;

typedef struct KxMatch {
    char key[32];
    char value[256];
} KxMatch;

typedef struct KxAlert {
    KxAlertKind kind;
    uint32_t region;
    char region_name[256];
    const char *alert;              /* alertname (static text) */
    const char *severity;           /* static text */
    char percentile[16];            /* an SLO's "p95"; else "" */
    char family[64];
    KxMatch match[KX_ALERT_MATCH_MAX];
    size_t nmatch;
    double threshold;               /* strtod(threshold_text) */
    char threshold_text[32];
    SimTime hold;                   /* for: */
    char summary[512];
    char expr[KX_ALERT_EXPR];
} KxAlert;

struct KxAlerts {
    SimMem *m;
    KxAlertOptions o;
    char scenario[64];              /* as a label value */
    KxAlert *v;
    size_t n, cap;
    size_t skipped;                 /* SLO targets at a percentile with no series */
    int rc;                         /* SIM_OK or SIM_ENOMEM, sticky while building */
};

/* A Prometheus duration: "3m", "1h", "90s", "0s". */
void kx_prom_duration(SimTime t, char *buf, size_t n);

#endif
