/*
 * quantity.c: Kubernetes resource quantities (k8s.io/apimachinery
 * resource.Quantity): <sign><digits>[.<digits>][suffix], suffix one of the
 * binary Ki Mi Gi Ti Pi Ei, the decimal n u m "" k M G T P E, or an exponent
 * e<int>/E<int>. Arithmetic is exact in 128-bit integers, so "0.1" CPU is
 * exactly 100 millicores and "1.5Gi" exactly 1610612736 bytes.
 */
#include "sim/sim.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

typedef __int128 i128;

typedef struct Suffix {
    const char *text;
    int base2;      /* power of two */
    int base10;     /* power of ten */
} Suffix;

static const Suffix suffixes[] = {
    {"Ki", 10, 0}, {"Mi", 20, 0}, {"Gi", 30, 0}, {"Ti", 40, 0}, {"Pi", 50, 0}, {"Ei", 60, 0},
    {"n", 0, -9},  {"u", 0, -6},  {"m", 0, -3},  {"k", 0, 3},   {"M", 0, 6},   {"G", 0, 9},
    {"T", 0, 12},  {"P", 0, 15},  {"E", 0, 18},
};

static int parse_suffix(const char *s, int *b2, int *b10)
{
    *b2 = *b10 = 0;
    if (*s == '\0')
        return 1;
    /* The table first: "E" is exa and "Ei" exbi, not exponents. */
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
        if (strcmp(s, suffixes[i].text) == 0) {
            *b2 = suffixes[i].base2;
            *b10 = suffixes[i].base10;
            return 1;
        }
    if (s[0] != 'e' && s[0] != 'E')
        return 0;
    const char *p = s + 1;
    int neg = (*p == '-');
    if (*p == '+' || *p == '-')
        p++;
    if (!isdigit((unsigned char)*p) || strlen(p) > 3)
        return 0;
    for (; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return 0;
        *b10 = *b10 * 10 + (*p - '0');
    }
    if (neg)
        *b10 = -*b10;
    return 1;
}

#define LIMIT ((i128)1 << 100)

/* Reads digits[.digits] into mantissa and the count of fraction digits. */
static const char *parse_number(const char *p, i128 *mant, int *frac, int *ndigits)
{
    *mant = 0;
    *frac = *ndigits = 0;
    int dot = 0;
    for (;; p++) {
        if (*p == '.' && !dot) {
            dot = 1;
            continue;
        }
        if (!isdigit((unsigned char)*p))
            return p;
        if (*mant > LIMIT)
            return NULL;
        *mant = *mant * 10 + (*p - '0');
        (*ndigits)++;
        if (dot)
            (*frac)++;
    }
}

int sim_quantity_parse(const char *s, int milli, int64_t *out, const char **why)
{
    const char *p = s;
    if (*p == '+')
        p++;
    if (*p == '-') {
        *why = "must not be negative";
        return SIM_EINVAL;
    }
    i128 mant;
    int frac, nd, b2, b10;
    p = parse_number(p, &mant, &frac, &nd);
    if (p == NULL) {
        *why = "is too large";
        return SIM_EINVAL;
    }
    if (nd == 0 || !parse_suffix(p, &b2, &b10)) {
        *why = "is not a quantity (e.g. \"500m\", \"2\", \"4Gi\")";
        return SIM_EINVAL;
    }
    /* value = mant * 2^b2 * 10^(b10 - frac) * (milli ? 1000 : 1), rounded up. */
    int exp10 = b10 - frac + (milli ? 3 : 0);
    for (; b2 > 0; b2--)
        if ((mant *= 2) > LIMIT)
            goto big;
    for (; exp10 > 0; exp10--)
        if ((mant *= 10) > LIMIT)
            goto big;
    for (; exp10 < 0; exp10++) {
        i128 q = mant / 10;
        mant = q + (mant % 10 != 0);   /* upstream rounds a fraction up */
    }
    if (mant > INT64_MAX)
        goto big;
    *out = (int64_t)mant;
    return SIM_OK;
big:
    *why = "is too large";
    return SIM_EINVAL;
}

void sim_quantity_format(int64_t v, int milli, char *buf, size_t n)
{
    static const char *const bin[] = {"Ei", "Pi", "Ti", "Gi", "Mi", "Ki"};
    if (milli) {
        if (v % 1000 == 0)
            snprintf(buf, n, "%lld", (long long)(v / 1000));
        else
            snprintf(buf, n, "%lldm", (long long)v);
        return;
    }
    for (int i = 0; i < 6 && v != 0; i++) {
        int64_t unit = INT64_C(1) << (10 * (6 - i));
        if (v % unit == 0) {
            snprintf(buf, n, "%lld%s", (long long)(v / unit), bin[i]);
            return;
        }
    }
    snprintf(buf, n, "%lld", (long long)v);
}
