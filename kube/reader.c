/*
 * reader.c: the JSON path reader (kube.h): the reader's sticky message and
 * typed lookups over cJSON trees that name the path of a problem. The v1
 * object readers (v1.c) and the explain cases' own fields go through it.
 *
 * Invariant: after the first failure nothing is recorded again and every
 * lookup answers "absent", so callers check once, at the end.
 */
#include "kube/kube_int.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

KubeReader *kube_reader_new(SimArena *a)
{
    KubeReader *r = sim_arena_alloc(a, sizeof *r);
    if (r == NULL)
        return NULL;
    memset(r, 0, sizeof *r);
    r->arena = a;
    return r;
}

int kube_failed(const KubeReader *r) { return r->failed; }

const char *kube_errmsg(const KubeReader *r) { return r->err; }

void kube_fail(KubeReader *r, const char *path, const char *fmt, ...)
{
    if (r->failed)
        return;
    char msg[KUBE_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (path)
        snprintf(r->err, sizeof r->err, "%s: %s", path, msg);
    else
        snprintf(r->err, sizeof r->err, "%s", msg);
    r->failed = 1;
}

int kube_fail_json(KubeReader *r, const char *file, const char *text, const char *at)
{
    int line = 1, col = 1;
    for (const char *p = text; at && p < at; p++) {
        col = *p == '\n' ? 1 : col + 1;
        line += *p == '\n';
    }
    kube_fail(r, NULL, "%s:%d:%d: not valid JSON", file, line, col);
    return SIM_EINVAL;
}

void *kube_alloc(KubeReader *r, size_t n)
{
    void *p = r->failed ? NULL : sim_arena_alloc(r->arena, n ? n : 1);
    if (p == NULL && !r->failed)
        kube_fail(r, "$", "out of memory");
    if (p)
        memset(p, 0, n ? n : 1);
    return p;
}

char *kube_strdup(KubeReader *r, const char *s)
{
    char *d = kube_alloc(r, strlen(s) + 1);
    if (d)
        strcpy(d, s);
    return d;
}

void kube_path(char out[static KUBE_PATH], const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, KUBE_PATH, fmt, ap);
    va_end(ap);
}

static int in_list(const char *k, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(k, list[i]) == 0)
            return 1;
    return 0;
}

void kube_keys(KubeReader *r, const cJSON *j, const char *path, const char *const *allowed)
{
    if (r->failed)
        return;
    if (!cJSON_IsObject(j)) {
        kube_fail(r, path, "expected an object");
        return;
    }
    for (const cJSON *k = j->child; k; k = k->next)
        if (!in_list(k->string, allowed)) {
            kube_fail(r, path, "unknown field \"%s\"", k->string);
            return;
        }
}

/* What a cJSON type is called in a message. */
static const char *type_name(int type)
{
    static const char *const names[] = {"a boolean", "a boolean", "null", "a number", "a string",
                                        "an array", "an object", "a value"};
    if (type == KUBE_BOOL_TF)
        return "true or false";
    int bit = 0;
    while ((1 << bit) != type && bit < 7)
        bit++;
    return names[bit];
}

const cJSON *kube_child(KubeReader *r, const cJSON *j, const char *key, const char *path, int type,
                        char sub[static KUBE_PATH])
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, key);
    kube_path(sub, "%s.%s", path, key);
    if (x == NULL || cJSON_IsNull(x) || r->failed)
        return NULL;
    int boolean = type == cJSON_True || type == KUBE_BOOL_TF;
    int text = type == cJSON_String && kube_is_text(x);   /* a YAML plain scalar's text counts */
    if (boolean ? !cJSON_IsBool(x) : (x->type & 0xff) != type && !text) {
        kube_fail(r, sub, "expected %s", type_name(type));
        return NULL;
    }
    return x;
}

const char *kube_get_str(KubeReader *r, const cJSON *j, const char *key, const char *path)
{
    char sub[KUBE_PATH];
    const cJSON *x = kube_child(r, j, key, path, cJSON_String, sub);
    return x ? kube_strdup(r, x->valuestring) : NULL;
}

int64_t kube_get_int(KubeReader *r, const cJSON *j, const char *key, const char *path, int64_t deflt, int64_t lo,
                     int64_t hi)
{
    char sub[KUBE_PATH];
    const cJSON *x = kube_child(r, j, key, path, cJSON_Number, sub);
    int64_t v = deflt;
    if (x != NULL)
        (void)kube_whole(r, x, sub, lo, hi, &v);
    return v;
}

int kube_required(KubeReader *r, const cJSON *j, const char *key, const char *path)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!r->failed && (x == NULL || cJSON_IsNull(x))) {
        char sub[KUBE_PATH];
        kube_path(sub, "%s.%s", path, key);
        kube_fail(r, sub, "is required");
    }
    return !r->failed;
}

int kube_get_enum(KubeReader *r, const cJSON *j, const char *key, const char *path, const char *const *names,
                  int deflt)
{
    char sub[KUBE_PATH];
    const cJSON *x = kube_child(r, j, key, path, cJSON_String, sub);
    if (x == NULL)
        return deflt;
    char list[200] = "";
    for (int i = 0; names[i]; i++) {
        if (strcmp(x->valuestring, names[i]) == 0)
            return i;
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", names[i]);
    }
    kube_fail(r, sub, "\"%s\" is not one of %s", x->valuestring, list);
    return deflt;
}

/* Is the double a whole number in [lo, hi]? Checked on the double before any
 * cast: converting one that does not fit int64_t (1e300) is undefined. */
int kube_whole_in(double v, int64_t lo, int64_t hi)
{
    /* 2^63 is the first double past INT64_MAX; (double)hi may round up to it. */
    return v >= (double)lo && v <= (double)hi && v < 9223372036854775808.0 && v == floor(v);
}

int kube_whole(KubeReader *r, const cJSON *x, const char *path, int64_t lo, int64_t hi, int64_t *out)
{
    if (!cJSON_IsNumber(x) || !kube_whole_in(x->valuedouble, lo, hi)) {
        kube_fail(r, path, "expected a whole number from %lld to %lld", (long long)lo, (long long)hi);
        return SIM_EINVAL;
    }
    int64_t v = (int64_t)x->valuedouble;
    *out = v < lo ? lo : v > hi ? hi : v;   /* (double)hi may have rounded up past hi */
    return SIM_OK;
}

int64_t kube_quantity(KubeReader *r, const cJSON *x, const char *path, int milli)
{
    char num[40];
    const char *text = num, *why = NULL;
    int64_t v = 0;
    if (kube_is_text(x) && !cJSON_IsBool(x))
        text = x->valuestring;   /* parsed where it is: never copied into a fixed buffer */
    else if (cJSON_IsNumber(x))
        snprintf(num, sizeof num, "%.15g", x->valuedouble);
    else {
        kube_fail(r, path, "expected a quantity such as \"500m\" or \"4Gi\"");
        return 0;
    }
    size_t len = strlen(text);
    if (len > KUBE_QUANTITY_MAX) {
        kube_fail(r, path, "\"%.24s...\" is too long for a quantity (%zu characters, at most %d)", text, len,
                  KUBE_QUANTITY_MAX);
        return 0;
    }
    if (sim_quantity_parse(text, milli, &v, &why) != SIM_OK)
        kube_fail(r, path, "\"%s\" %s", text, why);
    else if (v > KUBE_QUANTITY_LIMIT)
        kube_fail(r, path, "\"%s\" is larger than kubesim models (at most 2^53 %s)", text,
                  milli ? "millicores" : "units");
    return r->failed ? 0 : v;
}
