/*
 * names.c: object-name validation as the API server does it
 * (k8s.io/apimachinery/pkg/util/validation: IsDNS1123Label / Subdomain,
 * IsValidLabelValue).
 */
#include "k8s-export/kx.h"

#include <string.h>

static int alnum_lower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One label of [start, end): alphanumeric at both ends, '-' inside. */
static int label_ok(const char *s, size_t n)
{
    if (n == 0 || !alnum_lower(s[0]) || !alnum_lower(s[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!alnum_lower(s[i]) && s[i] != '-')
            return 0;
    return 1;
}

static int alnum(char c)
{
    return alnum_lower(c) || (c >= 'A' && c <= 'Z');
}

/* A label value: empty, or alphanumeric at both ends with '-', '_', '.' inside. */
static int value_ok(const char *s, size_t n)
{
    if (n == 0)
        return 1;
    if (!alnum(s[0]) || !alnum(s[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return 0;
    return 1;
}

static const char label_msg[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character";
static const char value_msg[] =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character";
static const char subdomain_msg[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character";

int kx_name_valid(const char *name, KxNameRule rule, const char **why)
{
    size_t n = strlen(name);
    if (rule == KX_LABEL_VALUE) {
        *why = n > 63 ? "must be no more than 63 characters" : value_msg;
        return n <= 63 && value_ok(name, n);
    }
    if (rule == KX_DNS1123_LABEL) {
        if (n > 63) {
            *why = "must be no more than 63 characters";
            return 0;
        }
        *why = label_msg;
        return label_ok(name, n);
    }
    if (n > 253) {
        *why = "must be no more than 253 characters";
        return 0;
    }
    *why = subdomain_msg;
    for (const char *p = name;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (!label_ok(p, len))
            return 0;
        if (!dot)
            return 1;
        p = dot + 1;
    }
}
