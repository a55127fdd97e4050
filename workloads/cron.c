/*
 * cron.c: CronJob schedules and time zones, as the upstream controller sees
 * them. A schedule is parsed as robfig/cron v3's ParseStandard does (five
 * fields minute hour day-of-month month day-of-week, *, ?, lists, ranges,
 * steps, JAN-DEC and SUN-SAT names, @yearly ... @hourly and @every), and
 * wl_schedule_next() is its SpecSchedule.Next step for step, with Go's time
 * arithmetic (time.Date's choice of offset in a gap or an overlap, AddDate,
 * Add) so daylight-saving days come out as upstream's do. Zones are read from
 * the system's TZif files (/usr/share/zoneinfo) by this file, never through TZ
 * or localtime, which are process-global: transitions from the 64-bit data,
 * then the footer's POSIX TZ rule, as Go's LoadLocation and tzset do.
 * Invariant: every time here is whole Unix seconds; the zone is immutable
 * once loaded, so one zone serves every CronJob that names it.
 */
#include "workloads/wl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STAR_BIT (UINT64_C(1) << 63)   /* robfig's starBit: the field was * or ? */
#define DAY INT64_C(86400)
#define ZONEINFO "/usr/share/zoneinfo"
#define TZIF_MAX (1 << 20)

/* ---- parsing a schedule ------------------------------------------------- */
typedef struct Bounds {
    unsigned min, max;
    const char *const *names;   /* names[i] has value i + name_base */
    unsigned name_base;
} Bounds;

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};
static const Bounds bounds[5] = {{0, 59, NULL, 0}, {0, 23, NULL, 0}, {1, 31, NULL, 0},
                                 {1, 12, month_names, 1}, {0, 6, dow_names, 0}};

/* A non-negative decimal (strconv.Atoi of upstream's mustParseInt). */
static int parse_uint(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    if (n == 0 || n > 9)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return 0;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 1;
}

/* Case-insensitive equality of s[0..n) and the lower-case name. */
static int name_eq(const char *s, size_t n, const char *name)
{
    if (strlen(name) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)s[i]) != name[i])
            return 0;
    return 1;
}

static int parse_value(const char *s, size_t n, const Bounds *b, unsigned *out)
{
    for (size_t i = 0; b->names && b->names[i]; i++)
        if (name_eq(s, n, b->names[i])) {
            *out = (unsigned)i + b->name_base;
            return 1;
        }
    return parse_uint(s, n, out);
}

/* One comma-separated term: "*", "N", "N-M", each with an optional "/step"
 * ("N/step" means N-max/step), as robfig's getRange. */
static int parse_range(const char *s, size_t n, const Bounds *b, uint64_t *bits, SimErr *why)
{
    const char *slash = memchr(s, '/', n), *end = s + n;
    const char *re = slash ? slash : end;
    const char *dash = memchr(s, '-', (size_t)(re - s));
    unsigned lo, hi, step = 1;
    uint64_t extra = 0;
    if (slash && memchr(slash + 1, '/', (size_t)(end - slash - 1)))
        return sim_err_set(why, SIM_EINVAL, "too many slashes: %.*s", (int)n, s), 0;
    if (re - s == 1 && (*s == '*' || *s == '?')) {
        lo = b->min, hi = b->max, extra = STAR_BIT;
    } else if (dash && memchr(dash + 1, '-', (size_t)(re - dash - 1))) {
        return sim_err_set(why, SIM_EINVAL, "too many hyphens: %.*s", (int)n, s), 0;
    } else if (!parse_value(s, (size_t)((dash ? dash : re) - s), b, &lo) ||
               (dash && !parse_value(dash + 1, (size_t)(re - dash - 1), b, &hi))) {
        return sim_err_set(why, SIM_EINVAL, "failed to parse '%.*s'", (int)n, s), 0;
    } else if (!dash) {
        hi = lo;
    }
    if (slash) {
        if (!parse_uint(slash + 1, (size_t)(end - slash - 1), &step))
            return sim_err_set(why, SIM_EINVAL, "failed to parse step in '%.*s'", (int)n, s), 0;
        if (!dash)
            hi = b->max;
        if (step > 1)
            extra = 0;
    }
    if (lo < b->min)
        return sim_err_set(why, SIM_EINVAL, "beginning of range (%u) below minimum (%u): %.*s", lo, b->min, (int)n,
                           s), 0;
    if (hi > b->max)
        return sim_err_set(why, SIM_EINVAL, "end of range (%u) above maximum (%u): %.*s", hi, b->max, (int)n, s), 0;
    if (lo > hi)
        return sim_err_set(why, SIM_EINVAL, "beginning of range (%u) beyond end of range (%u): %.*s", lo, hi,
                           (int)n, s), 0;
    if (step == 0)
        return sim_err_set(why, SIM_EINVAL, "step of range should be a positive number: %.*s", (int)n, s), 0;
    for (unsigned v = lo; v <= hi; v += step)
        *bits |= UINT64_C(1) << v;
    *bits |= extra;
    return 1;
}

static int parse_field(const char *s, size_t n, const Bounds *b, uint64_t *bits, SimErr *why)
{
    *bits = 0;
    for (const char *p = s, *end = s + n; p <= end;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *te = comma ? comma : end;
        if (!parse_range(p, (size_t)(te - p), b, bits, why))
            return 0;
        p = te + 1;
    }
    return 1;
}

/* Go's time.ParseDuration for what @every takes: decimal terms with units
 * h, m, s, ms, us, ns ("1h30m", "1.5h"). */
static int go_duration(const char *s, SimTime *out)
{
    static const struct { const char *u; double ns; } units[] = {
        {"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"h", 3.6e12}, {"m", 6e10}, {"s", 1e9}};
    double total = 0;
    if (*s == '\0')
        return SIM_EINVAL;
    while (*s) {
        double v = 0, scale = 1;
        int digits = 0, dot = 0;
        for (; isdigit((unsigned char)*s) || (*s == '.' && !dot); s++) {
            if (*s == '.') {
                dot = 1;
                continue;
            }
            v = v * 10 + (*s - '0');
            scale *= dot ? 10 : 1;
            digits++;
        }
        size_t k = 0;
        while (k < 6 && strncmp(s, units[k].u, strlen(units[k].u)) != 0)
            k++;
        if (digits == 0 || k == 6)
            return SIM_EINVAL;
        total += v / scale * units[k].ns;
        s += strlen(units[k].u);
    }
    if (total > 1e18)
        return SIM_EINVAL;
    *out = (SimTime)total;
    return SIM_OK;
}

static int parse_descriptor(const char *text, WlSchedule *out, SimErr *why)
{
    static const struct { const char *name, *spec; } d[] = {
        {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
        {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"}, {"@midnight", "0 0 * * *"},
        {"@hourly", "0 * * * *"}};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
        if (strcmp(text, d[i].name) == 0)
            return wl_schedule_parse(d[i].spec, out, why) == SIM_OK;
    if (strncmp(text, "@every ", 7) == 0) {
        SimTime every;
        if (go_duration(text + 7, &every) != SIM_OK)
            return sim_err_set(why, SIM_EINVAL, "failed to parse duration %s (e.g. \"@every 90m\")", text + 7), 0;
        out->every = every < SIM_SEC(1) ? 1 : every / SIM_NS_PER_S;   /* robfig: whole seconds, >= 1 */
        return 1;
    }
    return sim_err_set(why, SIM_EINVAL, "unrecognized descriptor: %s", text), 0;
}

int wl_schedule_parse(const char *text, WlSchedule *out, SimErr *why)
{
    memset(out, 0, sizeof *out);
    if (strstr(text, "TZ"))   /* upstream validation: "TZ=" or "CRON_TZ=" belongs in timeZone */
        return sim_err_set(why, SIM_EINVAL,
                           "cannot use TZ or CRON_TZ in schedule, use the time_zone field instead");
    while (isspace((unsigned char)*text))
        text++;
    if (*text == '@')
        return parse_descriptor(text, out, why) ? SIM_OK : SIM_EINVAL;
    const char *f[6];
    size_t len[6], nf = 0;
    for (const char *p = text; *p;) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (nf < 6)
            f[nf] = start, len[nf] = (size_t)(p - start);
        nf++;
    }
    if (nf != 5)
        return sim_err_set(why, SIM_EINVAL, "expected exactly 5 fields (minute hour day-of-month month day-of-week), "
                           "found %zu: \"%s\"", nf, text);
    uint64_t *bits[5] = {&out->minute, &out->hour, &out->dom, &out->month, &out->dow};
    for (size_t i = 0; i < 5; i++)
        if (!parse_field(f[i], len[i], &bounds[i], bits[i], why))
            return SIM_EINVAL;
    return SIM_OK;
}

/* ---- civil dates (proleptic Gregorian, as Go's) ------------------------- */
static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int is_leap(int64_t y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* Days from 1970-01-01 to y-m-d (m 1..12; d may overflow the month). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

typedef struct Civil {
    int64_t year;
    int month, day, hour, minute, second, wday, yday;
} Civil;

static void civil_from_secs(int64_t local, Civil *c)
{
    int64_t days = floor_div(local, DAY), secs = local - days * DAY;
    int64_t z = days + 719468, era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    c->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    c->month = (int)(mp < 10 ? mp + 3 : mp - 9);
    c->year = yoe + era * 400 + (c->month <= 2);
    c->hour = (int)(secs / 3600);
    c->minute = (int)(secs / 60 % 60);
    c->second = (int)(secs % 60);
    c->wday = (int)(days + 4 - floor_div(days + 4, 7) * 7);   /* 1970-01-01 was a Thursday */
    c->yday = (int)(days - days_from_civil(c->year, 1, 1));
}

/* ---- zones ---------------------------------------------------------------- */
typedef enum RuleKind { RULE_JULIAN, RULE_DOY, RULE_MWD } RuleKind;

typedef struct Rule {
    RuleKind kind;
    int day, week, mon;
    int32_t time;   /* seconds after local midnight (default 02:00) */
} Rule;

/* The footer's POSIX TZ string, for times after the last transition. */
typedef struct Extend {
    int ok, has_dst;
    int32_t std_off, dst_off;   /* seconds east of UTC */
    Rule start, end;
    char std_name[WL_ZONE_ABBREV], dst_name[WL_ZONE_ABBREV];   /* "EST", "EDT" */
} Extend;

struct WlZone {
    int64_t *tx;        /* transition times, ascending */
    uint8_t *txtype;    /* the local time type from each */
    int32_t *off;       /* per type: UTC offset */
    uint8_t *isdst;
    char (*abbr)[WL_ZONE_ABBREV];   /* per type: its abbreviation ("EDT"), for labels only */
    size_t ntx, ntypes;
    Extend ext;
};

#define ALPHA INT64_MIN   /* Go's alpha/omega: the ends of time */
#define OMEGA INT64_MAX

static const char *tz_name(const char *s, const char **end)
{
    if (*s == '<') {
        const char *q = strchr(s, '>');
        *end = q ? q + 1 : NULL;
        return q && q - s >= 4 ? s : NULL;
    }
    const char *p = s;
    while (isalpha((unsigned char)*p))
        p++;
    *end = p;
    return p - s >= 3 ? s : NULL;
}

/* [+-]hh[:mm[:ss]] into seconds; hours up to 167 as TZif v3 allows. */
static int tz_offset(const char **s, int32_t *out)
{
    int sign = 1;
    if (**s == '+' || **s == '-')
        sign = *(*s)++ == '-' ? -1 : 1;
    int32_t v = 0;
    for (int part = 0; part < 3; part++) {
        if (part > 0 && **s != ':')
            break;
        if (part > 0)
            (*s)++;
        if (!isdigit((unsigned char)**s))
            return 0;
        int32_t n = 0;
        while (isdigit((unsigned char)**s) && n < 1000)
            n = n * 10 + (*(*s)++ - '0');
        if ((part == 0 && n > 167) || (part > 0 && n > 59))
            return 0;
        v += n * (part == 0 ? 3600 : part == 1 ? 60 : 1);
    }
    *out = sign * v;
    return 1;
}

static int tz_num(const char **s, int lo, int hi, int *out)
{
    if (!isdigit((unsigned char)**s))
        return 0;
    int n = 0;
    while (isdigit((unsigned char)**s) && n < 10000)
        n = n * 10 + (*(*s)++ - '0');
    *out = n;
    return n >= lo && n <= hi;
}

static int tz_rule(const char **s, Rule *r)
{
    memset(r, 0, sizeof *r);
    if (**s == 'J') {
        (*s)++;
        r->kind = RULE_JULIAN;
        if (!tz_num(s, 1, 365, &r->day))
            return 0;
    } else if (**s == 'M') {
        (*s)++;
        r->kind = RULE_MWD;
        if (!tz_num(s, 1, 12, &r->mon) || *(*s)++ != '.' || !tz_num(s, 1, 5, &r->week) ||
            *(*s)++ != '.' || !tz_num(s, 0, 6, &r->day))
            return 0;
    } else {
        r->kind = RULE_DOY;
        if (!tz_num(s, 0, 365, &r->day))
            return 0;
    }
    r->time = 2 * 3600;
    return **s != '/' || ((*s)++, tz_offset(s, &r->time));
}

/* A name tz_name found in [name, end), without the <> of "<-03>". */
static void copy_name(char out[WL_ZONE_ABBREV], const char *name, const char *end)
{
    if (*name == '<')
        name++, end--;
    size_t n = (size_t)(end - name) < WL_ZONE_ABBREV - 1 ? (size_t)(end - name) : WL_ZONE_ABBREV - 1;
    memcpy(out, name, n);
    out[n] = '\0';
}

/* Parses the footer as Go's tzset: std offset [dst [offset] [,start,end]]. */
static void tz_extend(const char *s, Extend *x)
{
    memset(x, 0, sizeof *x);
    const char *p, *name = tz_name(s, &p);
    if (!name || !p)
        return;
    copy_name(x->std_name, name, p);
    if (!tz_offset(&p, &x->std_off))
        return;
    x->std_off = -x->std_off;   /* POSIX offsets are west of UTC */
    if (*p == '\0') {
        x->ok = 1;
        return;
    }
    name = tz_name(p, &p);
    if (!name || !p)
        return;
    copy_name(x->dst_name, name, p);
    x->dst_off = x->std_off + 3600;
    if (*p != '\0' && *p != ',' && *p != ';') {
        if (!tz_offset(&p, &x->dst_off))
            return;
        x->dst_off = -x->dst_off;
    }
    const char *rules = *p == '\0' ? ",M3.2.0,M11.1.0" : p;   /* tzcode's default rule */
    if (*rules != ',' && *rules != ';')
        return;
    rules++;
    if (!tz_rule(&rules, &x->start) || *rules++ != ',' || !tz_rule(&rules, &x->end) || *rules != '\0')
        return;
    x->has_dst = x->ok = 1;
}

/* Seconds from the start of the year (UTC) when rule r fires, as Go's
 * tzruleTime (Zeller's congruence for Mm.w.d). */
static int64_t rule_time(int64_t year, const Rule *r, int32_t off)
{
    static const int before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t d;
    if (r->kind == RULE_JULIAN) {
        d = r->day - 1 + (is_leap(year) && r->day >= 60);
    } else if (r->kind == RULE_DOY) {
        d = r->day;
    } else {
        int64_t m1 = (r->mon + 9) % 12 + 1, yy0 = year - (r->mon <= 2);
        int64_t yy1 = yy0 / 100, yy2 = yy0 % 100;
        int64_t dow = ((26 * m1 - 2) / 10 + 1 + yy2 + yy2 / 4 + yy1 / 4 - 2 * yy1) % 7;
        if (dow < 0)
            dow += 7;
        d = r->day - dow;
        if (d < 0)
            d += 7;
        int dim = mdays[r->mon - 1] + (r->mon == 2 && is_leap(year));
        for (int i = 1; i < r->week && d + 7 < dim; i++)
            d += 7;
        d += before[r->mon - 1] + (is_leap(year) && r->mon > 2);
    }
    return d * DAY + r->time - off;
}

/* The offset in force at u under the footer rule, with the [start, end) of
 * that period as Go's tzset reports it (exact near a change, else the year). */
static int32_t extend_lookup(const Extend *x, int64_t u, int64_t *start, int64_t *end)
{
    if (!x->has_dst) {
        *end = OMEGA;
        return x->std_off;
    }
    Civil c;
    civil_from_secs(u, &c);
    int64_t ysec = (int64_t)c.yday * DAY + (u - floor_div(u, DAY) * DAY);
    int64_t abs = days_from_civil(c.year, 1, 1) * DAY;
    int64_t s = rule_time(c.year, &x->start, x->std_off), e = rule_time(c.year, &x->end, x->dst_off);
    int32_t std = x->std_off, dst = x->dst_off;
    if (e < s) {   /* southern hemisphere: the labels flip */
        int64_t t = s;
        s = e, e = t;
        int32_t o = std;
        std = dst, dst = o;
    }
    if (ysec < s) {
        *start = abs, *end = s + abs;
        return std;
    }
    if (ysec >= e) {
        *start = e + abs, *end = abs + 365 * DAY;
        return std;
    }
    *start = s + abs, *end = e + abs;
    return dst;
}

/* Go's lookupFirstZone: the type for times before the first transition. */
static size_t first_type(const WlZone *z)
{
    int used = 0;
    for (size_t i = 0; i < z->ntx && !used; i++)
        used = z->txtype[i] == 0;
    if (!used)
        return 0;
    if (z->ntx > 0 && z->isdst[z->txtype[0]])
        for (size_t i = z->txtype[0]; i-- > 0;)
            if (!z->isdst[i])
                return i;
    for (size_t i = 0; i < z->ntypes; i++)
        if (!z->isdst[i])
            return i;
    return 0;
}

/* The last transition at or before u (u >= tx[0]). */
static size_t tx_index(const WlZone *z, int64_t u)
{
    size_t lo = 0, hi = z->ntx;
    while (hi - lo > 1) {
        size_t m = lo + (hi - lo) / 2;
        if (u < z->tx[m])
            hi = m;
        else
            lo = m;
    }
    return lo;
}

/* Go's Location.lookup: the offset at u and the [start, end) it holds for. */
static int32_t zone_lookup(const WlZone *z, int64_t u, int64_t *start, int64_t *end)
{
    if (z == NULL || z->ntypes == 0) {
        *start = ALPHA, *end = OMEGA;
        return 0;
    }
    if (z->ntx == 0 || u < z->tx[0]) {
        *start = ALPHA;
        *end = z->ntx ? z->tx[0] : OMEGA;
        return z->off[first_type(z)];
    }
    size_t lo = tx_index(z, u);
    *start = z->tx[lo];
    *end = lo + 1 < z->ntx ? z->tx[lo + 1] : OMEGA;
    if (lo + 1 == z->ntx && z->ext.ok) {
        int64_t s = *start;
        int32_t off = extend_lookup(&z->ext, u, &s, end);
        *start = s;
        return off;
    }
    return z->off[z->txtype[lo]];
}

int32_t wl_zone_offset(const WlZone *z, int64_t unix_s)
{
    int64_t s, e;
    return zone_lookup(z, unix_s, &s, &e);
}

const char *wl_zone_abbrev(const WlZone *z, int64_t u)
{
    if (z == NULL || z->ntypes == 0)
        return "UTC";
    if (z->ntx == 0 || u < z->tx[0])
        return z->abbr[first_type(z)];
    size_t lo = tx_index(z, u);
    if (lo + 1 == z->ntx && z->ext.ok) {
        int64_t s = z->tx[lo], e;
        int32_t off = extend_lookup(&z->ext, u, &s, &e);
        return z->ext.has_dst && off == z->ext.dst_off ? z->ext.dst_name : z->ext.std_name;
    }
    return z->abbr[z->txtype[lo]];
}

/* ---- reading TZif --------------------------------------------------------- */
static int64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    if (n == 4)
        return (int32_t)(uint32_t)v;
    return (int64_t)v;
}

typedef struct Counts {
    size_t isut, isstd, leap, time, type, chars;
} Counts;

static int tzif_header(const unsigned char *p, size_t n, Counts *c, int *version)
{
    if (n < 44 || memcmp(p, "TZif", 4) != 0)
        return 0;
    *version = p[4] ? p[4] - '0' : 1;
    size_t *f[6] = {&c->isut, &c->isstd, &c->leap, &c->time, &c->type, &c->chars};
    for (int i = 0; i < 6; i++) {
        int64_t v = be(p + 20 + 4 * i, 4);
        if (v < 0 || v > 100000)
            return 0;
        *f[i] = (size_t)v;
    }
    return c->type > 0 && c->type <= 256;
}

static size_t tzif_block(const Counts *c, int tsize)
{
    return c->time * (size_t)tsize + c->time + c->type * 6 + c->chars + c->leap * (size_t)(tsize + 4) +
           c->isstd + c->isut;
}

static int zone_alloc(SimMem *m, WlZone *z, size_t ntx, size_t ntypes)
{
    z->ntx = ntx;
    z->ntypes = ntypes;
    z->tx = sim_mem_calloc(m, ntx, sizeof *z->tx);
    z->txtype = sim_mem_calloc(m, ntx, 1);
    z->off = sim_mem_calloc(m, ntypes, sizeof *z->off);
    z->isdst = sim_mem_calloc(m, ntypes, 1);
    z->abbr = sim_mem_calloc(m, ntypes, sizeof *z->abbr);
    return z->tx && z->txtype && z->off && z->isdst && z->abbr;
}

/* Type i's abbreviation: the NUL-terminated string at idx of the chars block. */
static void type_name(WlZone *z, size_t i, const unsigned char *chars, size_t nchars, size_t idx)
{
    size_t k = 0;
    while (idx + k < nchars && chars[idx + k] && k < WL_ZONE_ABBREV - 1) {
        z->abbr[i][k] = (char)chars[idx + k];
        k++;
    }
    z->abbr[i][k] = '\0';
}

/* Decodes one data block (the v1 or the 64-bit one) and the footer after it. */
static int tzif_decode(SimMem *m, WlZone *z, const unsigned char *p, size_t n, const Counts *c, int tsize)
{
    if (!zone_alloc(m, z, c->time ? c->time : 1, c->type))
        return SIM_ENOMEM;
    z->tx[0] = ALPHA;   /* no transitions: Go's one fake transition covering all time, type 0 */
    const unsigned char *tt = p + c->time * (size_t)tsize, *ti = tt + c->time;
    for (size_t i = 0; i < c->time; i++) {
        z->tx[i] = be(p + i * (size_t)tsize, tsize);
        z->txtype[i] = tt[i];
        if (tt[i] >= c->type || (i > 0 && z->tx[i] <= z->tx[i - 1]))
            return SIM_EINVAL;
    }
    for (size_t i = 0; i < c->type; i++) {
        z->off[i] = (int32_t)be(ti + 6 * i, 4);
        z->isdst[i] = ti[6 * i + 4];
        type_name(z, i, ti + 6 * c->type, c->chars, ti[6 * i + 5]);
    }
    size_t used = tzif_block(c, tsize);
    if (tsize == 8 && used + 2 < n && p[used] == '\n') {
        char footer[128];
        const unsigned char *nl = memchr(p + used + 1, '\n', n - used - 1);
        size_t len = nl ? (size_t)(nl - p - used - 1) : 0;
        if (nl && len < sizeof footer) {
            memcpy(footer, p + used + 1, len);
            footer[len] = '\0';
            tz_extend(footer, &z->ext);
        }
    }
    return SIM_OK;
}

static int tzif_parse(SimMem *m, WlZone *z, const unsigned char *p, size_t n)
{
    Counts c;
    int version;
    if (!tzif_header(p, n, &c, &version) || 44 + tzif_block(&c, 4) > n)
        return SIM_EINVAL;
    if (version < 2)
        return tzif_decode(m, z, p + 44, n - 44, &c, 4);
    size_t off = 44 + tzif_block(&c, 4);
    if (!tzif_header(p + off, n - off, &c, &version) || off + 44 + tzif_block(&c, 8) > n)
        return SIM_EINVAL;
    return tzif_decode(m, z, p + off + 44, n - off - 44, &c, 8);
}

/* An IANA name such as America/New_York: no absolute path, no "." or ".."
 * component, only the characters zone names use. */
static int zone_name_ok(const char *name)
{
    if (*name == '\0' || *name == '/' || strlen(name) > 200)
        return 0;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("/_+-.", *p))
            return 0;
    for (const char *p = name; p; p = strchr(p, '/')) {
        p += *p == '/';
        if (p[0] == '.' && (p[1] == '/' || p[1] == '\0' || (p[1] == '.' && (p[2] == '/' || p[2] == '\0'))))
            return 0;
        if (*p == '/' || *p == '\0')
            return 0;
    }
    return 1;
}

/* Reads a whole (small) file into a buffer of TZIF_MAX bytes that the
 * caller frees. SIM_EINVAL when it cannot be opened. */
static int slurp(SimMem *m, const char *path, unsigned char **buf, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return SIM_EINVAL;
    *buf = sim_mem_alloc(m, TZIF_MAX);
    *n = *buf ? fread(*buf, 1, TZIF_MAX, f) : 0;
    fclose(f);
    return *buf ? SIM_OK : SIM_ENOMEM;
}

void wl_zone_free(SimMem *m, WlZone *z)
{
    if (z == NULL)
        return;
    sim_mem_free(m, z->tx, z->ntx * sizeof *z->tx);
    sim_mem_free(m, z->txtype, z->ntx);
    sim_mem_free(m, z->off, z->ntypes * sizeof *z->off);
    sim_mem_free(m, z->isdst, z->ntypes);
    sim_mem_free(m, z->abbr, z->ntypes * sizeof *z->abbr);
    sim_mem_free(m, z, sizeof *z);
}

int wl_zone_load(SimMem *m, const char *name, WlZone **out, SimErr *why)
{
    *out = NULL;
    if (name == NULL)
        return SIM_OK;   /* UTC */
    if (strcmp(name, "Local") == 0 || !zone_name_ok(name))
        return sim_err_set(why, SIM_EINVAL, "unknown time zone %s (an IANA name such as \"America/New_York\")", name);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", ZONEINFO, name);
    size_t n = 0;
    unsigned char *buf = NULL;
    int rc = slurp(m, path, &buf, &n);
    if (rc == SIM_EINVAL)
        return sim_err_set(why, SIM_EINVAL, "unknown time zone %s (no such file in %s)", name, ZONEINFO);
    WlZone *z = buf ? sim_mem_calloc(m, 1, sizeof *z) : NULL;
    rc = z ? tzif_parse(m, z, buf, n) : SIM_ENOMEM;
    sim_mem_free(m, buf, TZIF_MAX);
    if (rc == SIM_OK && z->ntypes == 0)
        rc = SIM_EINVAL;
    if (rc != SIM_OK) {
        wl_zone_free(m, z);
        if (rc == SIM_ENOMEM)
            return sim_err_set(why, SIM_ENOMEM, "out of memory");
        return sim_err_set(why, SIM_EINVAL, "unknown time zone %s (%s is not a TZif file)", name, path);
    }
    *out = z;
    return SIM_OK;
}

/* ---- SpecSchedule.Next with Go's time arithmetic ---------------------------- */
static void local_fields(const WlZone *z, int64_t u, Civil *c)
{
    civil_from_secs(u + wl_zone_offset(z, u), c);
}

/* Go's time.Date (fields may overflow: months into years, days into months):
 * the wall time is first read with the offset in force at it taken as UTC,
 * and corrected once if that offset does not hold there, so a time in a gap
 * or an overlap lands where Go puts it. */
static int64_t go_date(const WlZone *z, int64_t y, int64_t mo, int64_t d, int h, int mi, int s)
{
    int64_t m0 = mo - 1;
    y += floor_div(m0, 12);
    m0 -= floor_div(m0, 12) * 12;
    int64_t u = (days_from_civil(y, m0 + 1, 1) + d - 1) * DAY + h * 3600 + mi * 60 + s;
    int64_t start, end;
    int32_t off = zone_lookup(z, u, &start, &end);
    if (off != 0) {
        int64_t utc = u - off;
        if (utc < start || utc >= end)
            off = zone_lookup(z, utc, &start, &end);
        u -= off;
    }
    return u;
}

int64_t wl_zone_unix(const WlZone *z, int64_t year, int month, int day, int32_t sec_of_day)
{
    return go_date(z, year, month, day, sec_of_day / 3600, sec_of_day / 60 % 60, sec_of_day % 60);
}

static int day_matches(const WlSchedule *s, const Civil *c)
{
    int dom = (s->dom >> c->day) & 1, dow = (s->dow >> c->wday) & 1;
    if ((s->dom & STAR_BIT) || (s->dow & STAR_BIT))
        return dom && dow;
    return dom || dow;   /* both restricted: either matches (Vixie cron's rule) */
}

static int bit(uint64_t set, int v)
{
    return (int)((set >> v) & 1);
}

int64_t wl_schedule_next(const WlSchedule *s, const WlZone *z, int64_t u)
{
    if (s->every > 0)
        return u + s->every;
    u += 1;   /* the earliest candidate: the next whole second */
    int added = 0;
    Civil c;
    local_fields(z, u, &c);
    int64_t year_limit = c.year + 5;
wrap:
    local_fields(z, u, &c);
    if (c.year > year_limit)
        return WL_CRON_NEVER;
    while (!bit(s->month, c.month)) {
        if (!added) {
            added = 1;
            u = go_date(z, c.year, c.month, 1, 0, 0, 0);
            local_fields(z, u, &c);
        }
        u = go_date(z, c.year, c.month + 1, c.day, c.hour, c.minute, c.second);
        local_fields(z, u, &c);
        if (c.month == 1)
            goto wrap;
    }
    while (!day_matches(s, &c)) {
        if (!added) {
            added = 1;
            u = go_date(z, c.year, c.month, c.day, 0, 0, 0);
            local_fields(z, u, &c);
        }
        u = go_date(z, c.year, c.month, c.day + 1, c.hour, c.minute, c.second);
        local_fields(z, u, &c);
        if (c.hour != 0) {   /* midnight fell in a DST gap: back to 00:00 or on to the next day */
            u += c.hour > 12 ? (24 - c.hour) * 3600 : -c.hour * 3600;
            local_fields(z, u, &c);
        }
        if (c.day == 1)
            goto wrap;
    }
    while (!bit(s->hour, c.hour)) {
        if (!added) {
            added = 1;
            u = go_date(z, c.year, c.month, c.day, c.hour, 0, 0);
        }
        u += 3600;
        local_fields(z, u, &c);
        if (c.hour == 0)
            goto wrap;
    }
    while (!bit(s->minute, c.minute)) {
        if (!added) {
            added = 1;
            u = floor_div(u, 60) * 60;
        }
        u += 60;
        local_fields(z, u, &c);
        if (c.minute == 0)
            goto wrap;
    }
    while (c.second != 0) {   /* the standard parser's seconds field is 0 */
        added = 1;
        u += 1;
        local_fields(z, u, &c);
        if (c.second == 0)
            goto wrap;
    }
    return u;
}
