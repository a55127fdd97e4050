/*
 * kx.h: Kubernetes manifest checks, export and import (prefix kx_). For now
 * the built-in checks that a scenario's names are valid Kubernetes object
 * names, so everything kubesim simulates can later be exported as-is.
 */
#ifndef KUBESIM_KX_H
#define KUBESIM_KX_H

#include <stddef.h>

typedef enum KxNameRule {
    KX_DNS1123_LABEL = 0,      /* namespaces, services: [a-z0-9]([-a-z0-9]*[a-z0-9])?, <= 63 */
    KX_DNS1123_SUBDOMAIN       /* most objects: labels joined by '.', <= 253 */
} KxNameRule;

/* Returns 1 if name satisfies the rule; else 0 with the reason, in
 * Kubernetes' own words, in why (static text). */
int kx_name_valid(const char *name, KxNameRule rule, const char **why);

#endif
