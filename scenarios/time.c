/*
 * time.c: the scenario's time notations. Durations: a number of seconds or
 * terms like "1h30m", "90s", "500ms" (units ms, s, m, h, d). Clock times:
 * "HH:MM[:SS]", an offset from midnight.
 */
#include "scenarios/scn.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static int unit_ns(const char **p, SimTime *ns)
{
    static const struct { const char *u; SimTime ns; } units[] = {
        {"ms", SIM_MS(1)}, {"s", SIM_SEC(1)}, {"m", SIM_SEC(60)}, {"h", SIM_SEC(3600)}, {"d", SIM_SEC(86400)}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t n = strlen(units[i].u);
        if (strncmp(*p, units[i].u, n) == 0 && !isalpha((unsigned char)(*p)[n])) {
            *p += n;
            *ns = units[i].ns;
            return 1;
        }
    }
    return 0;
}

/* Reads digits[.digits] exactly: *mant and the count of fraction digits. */
static int read_decimal(const char **p, int64_t *mant, int *frac)
{
    int digits = 0, dot = 0;
    *mant = 0;
    *frac = 0;
    for (;; (*p)++) {
        if (**p == '.' && !dot) {
            dot = 1;
            continue;
        }
        if (!isdigit((unsigned char)**p))
            break;
        if (*mant > INT64_C(100000000000000))
            return 0;
        *mant = *mant * 10 + (**p - '0');
        digits++;
        *frac += dot;
    }
    return digits > 0;
}

/* mant / 10^frac units of ns each, exactly (rounded to the nearest ns). */
static int add_term(SimTime *total, int64_t mant, int frac, SimTime ns)
{
    __int128 v = (__int128)mant * ns, div = 1;
    for (int i = 0; i < frac; i++)
        div *= 10;
    v = (v + div / 2) / div;
    if (v > INT64_MAX - *total)
        return 0;
    *total += (SimTime)v;
    return 1;
}

int scn_parse_duration(const char *s, SimTime *out)
{
    SimTime total = 0;
    int64_t mant;
    int frac;
    if (s == NULL || *s == '\0')
        return SIM_EINVAL;
    for (const char *p = s; *p;) {
        const char *term = p;
        SimTime ns;
        if (!read_decimal(&p, &mant, &frac))
            return SIM_EINVAL;
        if (*p == '\0' && term == s)
            ns = SIM_SEC(1);   /* a bare number: seconds */
        else if (!unit_ns(&p, &ns))
            return SIM_EINVAL;
        if (!add_term(&total, mant, frac, ns))
            return SIM_EINVAL;
    }
    *out = total;
    return SIM_OK;
}

int scn_parse_clock(const char *s, SimTime *out)
{
    int h, m, sec = 0, n = 0;
    if (sscanf(s, "%2d:%2d%n", &h, &m, &n) != 2)
        return SIM_EINVAL;
    if (s[n] == ':') {
        int n2 = 0;
        if (sscanf(s + n + 1, "%2d%n", &sec, &n2) != 1)
            return SIM_EINVAL;
        n += 1 + n2;
    }
    if (s[n] != '\0' || h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59)
        return SIM_EINVAL;
    *out = SIM_SEC((int64_t)h * 3600 + m * 60 + sec);
    return SIM_OK;
}
