/*
 * yjson.c: YAML into the JSON readers (kube.h): a KubeYNode tree as a cJSON
 * tree, typed as Kubernetes' decoder types YAML (sigs.k8s.io/yaml: YAML to
 * JSON, then into Go structs), and a JSON reader's failure moved back onto
 * the YAML handle with the file and line of the field it names. So `import`
 * reads a manifest's object with the same reader as `explain`.
 *
 * Invariant: a node made from a plain number or boolean carries its text in
 * valuestring (cJSON_Delete frees it as a string's), a JSON-parsed one never
 * does; kube_is_text tells the two apart.
 */
#include "kube/kube_int.h"

#include <stdlib.h>
#include <string.h>

#include "sim/json.h"

int kube_is_text(const cJSON *x)
{
    return cJSON_IsString(x) || ((cJSON_IsNumber(x) || cJSON_IsBool(x)) && x->valuestring != NULL);
}

static int in(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

/* YAML's decimal int and float forms ([-+]? digits [. digits] [e[-+]digits]). */
static int decimal(const char *s)
{
    const char *p = s + (*s == '-' || *s == '+');
    size_t whole = strspn(p, "0123456789"), frac = 0;
    p += whole;
    if (*p == '.')
        p++, frac = strspn(p, "0123456789"), p += frac;
    if (whole + frac == 0)
        return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        p += *p == '-' || *p == '+';
        size_t exp = strspn(p, "0123456789");
        if (exp == 0)
            return 0;
        p += exp;
    }
    return *p == '\0';
}

static cJSON *scalar(const KubeYNode *n)
{
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    static const char *const nulls[] = {"null", "Null", "NULL", "~", "", NULL};
    if (!n->plain)
        return cJSON_CreateString(n->s);
    if (in(n->s, nulls))
        return cJSON_CreateNull();
    int t = in(n->s, trues) ? cJSON_True : in(n->s, falses) ? cJSON_False : decimal(n->s) ? cJSON_Number : 0;
    cJSON *x = cJSON_CreateString(n->s);
    if (x == NULL || t == 0)
        return x;
    x->type = t;   /* the text stays in valuestring */
    if (t == cJSON_Number)
        cJSON_SetNumberValue(x, strtod(n->s, NULL));
    return x;
}

static cJSON *convert(const KubeYNode *n, size_t depth)
{
    if (n->type == KUBE_Y_SCALAR)
        return scalar(n);
    if (n->type == KUBE_Y_NULL || depth > KUBE_YAML_MAX_DEPTH)
        return cJSON_CreateNull();
    cJSON *o = n->type == KUBE_Y_MAP ? cJSON_CreateObject() : cJSON_CreateArray();
    for (const KubeYNode *k = n->first; o && k; k = k->next) {
        cJSON *x = convert(k, depth + 1);
        if ((n->type == KUBE_Y_MAP ? sim_json_add_item(o, k->key, x) : sim_json_push(o, x)) == NULL) {
            cJSON_Delete(o);
            return NULL;
        }
    }
    return o;
}

cJSON *kube_y_json(KubeYaml *y, const KubeYNode *n)
{
    cJSON *j = n ? convert(n, 0) : NULL;
    if (n && j == NULL)
        kube_yaml_nomem(y);
    return j;
}

/* The child of n that the path's next step names (".key" or "[i]"), with
 * *p moved past it; NULL when there is none. A key may hold dots
 * ("nvidia.com/gpu"): the shortest one that n has wins. */
static const KubeYNode *step(const KubeYNode *n, const char **p, const char *end)
{
    const char *s = *p;
    if (*s == '[' && n->type == KUBE_Y_SEQ) {
        size_t i = (size_t)strtoul(s + 1, NULL, 10);
        const KubeYNode *k = n->first;
        while (k && i--)
            k = k->next;
        *p = strchr(s, ']') ? strchr(s, ']') + 1 : end;
        return k;
    }
    if (*s != '.' || n->type != KUBE_Y_MAP)
        return NULL;
    for (const char *e = s + 1; e <= end; e++) {
        if (e != end && *e != '.' && *e != '[')
            continue;
        for (const KubeYNode *k = n->first; k; k = k->next)
            if (strlen(k->key) == (size_t)(e - s - 1) && strncmp(k->key, s + 1, (size_t)(e - s - 1)) == 0) {
                *p = e;
                return k;
            }
    }
    return NULL;
}

void kube_yaml_fail_reader(KubeYaml *y, const KubeYNode *base, const char *base_path, const KubeReader *r)
{
    const char *msg = kube_errmsg(r), *colon = strstr(msg, ": ");
    size_t blen = strlen(base_path);
    size_t len = strlen(msg), tail = strlen(": out of memory");
    if (len >= tail && strcmp(msg + len - tail, ": out of memory") == 0) {
        kube_yaml_nomem(y);
        return;
    }
    const KubeYNode *at = base;
    if (colon && strncmp(msg, base_path, blen) == 0)
        for (const char *p = msg + blen; p < colon && at;) {
            const KubeYNode *next = step(at, &p, colon);
            if (next == NULL)
                break;
            at = next;
        }
    /* A document read from its root has paths ".spec.x": the dot goes. */
    kube_yaml_fail(y, kube_yaml_file(y, at), NULL, "%d: %s", at->line, msg + (blen == 0 && msg[0] == '.'));
}
