/*
 * import_lua.c: the scenario's text. Strings are written as Lua literals
 * with every byte outside printable ASCII (and the quote and backslash)
 * escaped as \ddd, so any manifest string is safe in the script; quantities
 * and integers are checked here so a bad one is refused naming its field.
 *
 * Invariant: the text grows through SimMem; a failed growth sets
 * SIM_ENOMEM on the import and the text stays as it was.
 */
#include "k8s-export/import_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each line ended by s gets the current document as its origin. */
static void note_origins(KxImp *c, const char *s, size_t n)
{
    for (const char *p = s; (p = memchr(p, '\n', n - (size_t)(p - s))) != NULL; p++) {
        void *v = c->origins;
        if (sim_mem_grow(c->m, &v, &c->caporigins, c->norigins + 1, sizeof *c->origins) != SIM_OK) {
            kube_yaml_nomem(c->y);
            return;
        }
        c->origins = v;
        c->origins[c->norigins++] = (KxImportOrigin){c->cur ? c->cur->file : NULL,
                                                     c->cur ? c->cur->root->line : 0};
    }
}

static void append(KxImp *c, const char *s, size_t n)
{
    if (kube_yaml_rc(c->y) != SIM_OK)
        return;
    if (c->o && c->o->origins)
        note_origins(c, s, n);
    if (kube_yaml_rc(c->y) != SIM_OK)
        return;
    void *p = c->out;
    if (sim_mem_grow(c->m, &p, &c->cap, c->len + n + 1, 1) != SIM_OK) {
        kube_yaml_nomem(c->y);
        return;
    }
    c->out = p;
    memcpy(c->out + c->len, s, n);
    c->len += n;
    c->out[c->len] = '\0';
}

void kx_out(KxImp *c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof buf) {
        /* Long text (a name or comment list) goes through kx_out_str or in pieces. */
        n = (int)sizeof buf - 1;
    }
    append(c, buf, (size_t)(n < 0 ? 0 : n));
}

void kx_out_str(KxImp *c, const char *s)
{
    append(c, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\' || *p < 0x20 || *p >= 0x7f) {
            snprintf(esc, sizeof esc, "\\%03u", (unsigned)*p);
            append(c, esc, 4);
        } else {
            append(c, (const char *)p, 1);
        }
    }
    append(c, "\"", 1);
}

static int lua_ident(const char *k)
{
    static const char *const words[] = {"and", "break", "do", "else", "elseif", "end", "false", "for",
                                        "function", "goto", "if", "in", "local", "nil", "not", "or",
                                        "repeat", "return", "then", "true", "until", "while", NULL};
    if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || *k == '_'))
        return 0;
    for (const char *p = k; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    for (size_t i = 0; words[i]; i++)
        if (strcmp(k, words[i]) == 0)
            return 0;
    return 1;
}

void kx_out_key(KxImp *c, const char *k)
{
    if (lua_ident(k)) {
        kx_out(c, "%s = ", k);
        return;
    }
    append(c, "[", 1);
    kx_out_str(c, k);
    append(c, "] = ", 4);
}

static int is_number(const char *s)
{
    char *end;
    errno = 0;
    (void)strtod(s, &end);
    return *s && *end == '\0' && errno == 0 && strpbrk(s, "xXnNiI") == NULL;
}

static int want_scalar(KxImp *c, const KubeYNode *n, const char *what)
{
    if (n->type == KUBE_Y_SCALAR)
        return 1;
    kube_yaml_fail(c->y, NULL, n, "expected %s, not %s", what, kube_y_type_name(n->type));
    return 0;
}

void kx_out_number(KxImp *c, const KubeYNode *n)
{
    if (!want_scalar(c, n, "a number"))
        return;
    if (is_number(n->s))
        kx_out(c, "%s", n->s);
    else
        kube_yaml_fail(c->y, NULL, n, "'%s' is not a number", n->s);
}

void kx_out_duration(KxImp *c, const KubeYNode *n)
{
    if (!want_scalar(c, n, "a duration"))
        return;
    if (c->o && c->o->is_duration && !c->o->is_duration(n->s)) {
        kube_yaml_fail(c->y, NULL, n, "'%s' is not a duration (e.g. 90s, 15m, 1h30m)", n->s);
        return;
    }
    kx_out_str(c, n->s);
}

void kx_out_pct(KxImp *c, const KubeYNode *n)
{
    size_t digits = strspn(n->s, "0123456789");
    if (digits == 0 || digits > 9 || strcmp(n->s + digits, "%") != 0) {
        kube_yaml_fail(c->y, NULL, n, "'%s' is neither a whole number nor a percentage such as 25%%", n->s);
        return;
    }
    kx_out_str(c, n->s);
}

void kx_out_when(KxImp *c, const KubeYNode *n)
{
    if (!want_scalar(c, n, "a time"))
        return;
    int clock = strchr(n->s, ':') != NULL;
    int (*ok)(const char *) = c->o ? (clock ? c->o->is_clock : c->o->is_duration) : NULL;
    if (ok && !ok(n->s)) {
        kube_yaml_fail(c->y, NULL, n, "'%s' is neither a time of day (09:30) nor a duration (90m)", n->s);
        return;
    }
    kx_out_str(c, n->s);
}

void kx_out_comment(KxImp *c, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        kx_out(c, "%c", *p < 0x20 || *p == 0x7f ? '?' : (char)*p);
}

int64_t kx_quantity(KxImp *c, const KubeYNode *n, int milli)
{
    int64_t v = 0;
    const char *why = NULL;
    if (kube_yaml_rc(c->y) != SIM_OK || !want_scalar(c, n, "a quantity"))
        return 0;
    if (sim_quantity_parse(n->s, milli, &v, &why) != SIM_OK) {
        kube_yaml_fail(c->y, NULL, n, "bad quantity '%s': %s", n->s, why ? why : "not a quantity");
        return 0;
    }
    return v;
}

void kx_out_quantity(KxImp *c, const KubeYNode *n, int milli)
{
    (void)kx_quantity(c, n, milli);
    kx_out_str(c, n->type == KUBE_Y_SCALAR ? n->s : "");
}

int64_t kx_int(KxImp *c, const KubeYNode *n, int64_t lo, int64_t hi)
{
    if (kube_yaml_rc(c->y) != SIM_OK || !want_scalar(c, n, "a whole number"))
        return 0;
    char *end;
    errno = 0;
    long long v = strtoll(n->s, &end, 10);
    if (errno || *n->s == '\0' || *end != '\0' || v < lo || v > hi) {
        kube_yaml_fail(c->y, NULL, n, "'%s' is not a whole number from %lld to %lld", n->s, (long long)lo, (long long)hi);
        return 0;
    }
    return v;
}

void kx_out_string_map(KxImp *c, const KubeYNode *map)
{
    kx_out(c, "{");
    map = kube_y_want(c->y, map, KUBE_Y_MAP);
    for (const KubeYNode *k = map ? map->first : NULL; k; k = k->next) {
        if (!want_scalar(c, k, "a string"))
            return;
        kx_out(c, k == map->first ? " " : ", ");
        kx_out_key(c, k->key);
        kx_out_str(c, k->s);
    }
    kx_out(c, map && map->n ? " }" : "}");
}

void kx_out_double(KxImp *c, double v)
{
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {   /* 0.8, not 0.80000000000000004 */
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    kx_out(c, "%s", buf);
}

void kx_out_cpu(KxImp *c, int64_t milli)
{
    if (milli % 1000 == 0)
        kx_out(c, "%lld", (long long)(milli / 1000));
    else
        kx_out(c, "\"%lldm\"", (long long)milli);
}

void kx_out_mem(KxImp *c, int64_t bytes)
{
    char q[32];
    sim_quantity_format(bytes, 0, q, sizeof q);
    if (bytes != 0 && q[strlen(q) - 1] == 'i')
        kx_out(c, "\"%s\"", q);
    else
        kx_out(c, "%lld", (long long)bytes);
}
