/*
 * import_yaml.c: YAML text to a tree of KxNode with libyaml's parser (the
 * event API), one tree per document, in the import's arena. Lines come from
 * libyaml's marks, so every later message can name its line.
 *
 * Invariant: a map's children alternate key, value while being read; a key
 * is kept as the value's `key` and never becomes a node of its own.
 *
 * Null follows Kubernetes' decoder (YAML to JSON, then into Go structs): a
 * map value that is null (`replicas:`, `~`, `null`) is as if the key were
 * absent, a null item of a list is a KX_N_NULL node (refused where a value
 * is needed), and a document that is null, empty or only comments is
 * skipped, as kubectl skips it. Nesting is capped at KX_MAX_DEPTH before
 * libyaml has to look further: its scanner checks every open flow level for
 * each token, so unbounded nesting costs time quadratic in the depth.
 */
#include "k8s-export/import_int.h"

#include <stdio.h>
#include <string.h>
#include <yaml.h>

typedef struct Reader {
    KxImp *c;
    const char *file;
    int line0;                      /* added to libyaml's lines (text inside a document) */
    yaml_parser_t p;
    KxNode *cur;                    /* the open map or sequence, or NULL */
    const char *pending_key;        /* a map's key waiting for its value */
    KxNode *root;
    int depth;                      /* open maps and sequences */
} Reader;

static int line_of(const Reader *r, const yaml_mark_t *mark)
{
    size_t l = mark->line + 1 + (size_t)r->line0;
    return l > INT32_MAX ? INT32_MAX : (int)l;
}

static KxNode *node(Reader *r, KxNodeType t, const yaml_event_t *ev)
{
    if (++r->c->nodes > KX_MAX_NODES) {
        kx_imp_fail(r->c, r->file, NULL, "%d: more than %d values (scalars, maps and lists) in the input",
                    line_of(r, &ev->start_mark), KX_MAX_NODES);
        return NULL;
    }
    KxNode *n = sim_arena_alloc(&r->c->a, sizeof *n);
    if (n == NULL) {
        kx_imp_nomem(r->c);
        return NULL;
    }
    n->type = t;
    n->line = line_of(r, &ev->start_mark);
    return n;
}

static void attach(Reader *r, KxNode *n)
{
    KxNode *p = r->cur;
    if (p == NULL) {
        r->root = n;
        return;
    }
    n->parent = p;
    n->key = p->type == KX_N_MAP ? r->pending_key : NULL;
    r->pending_key = NULL;
    if (p->last)
        p->last->next = n;
    else
        p->first = n;
    p->last = n;
    p->n++;
}

/* YAML 1.1's null (what Kubernetes' decoder reads): a plain ~, null or nothing. */
static int is_null(const yaml_event_t *ev)
{
    static const char *const words[] = {"", "~", "null", "Null", "NULL", NULL};
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    for (size_t i = 0; words[i]; i++)
        if (strcmp((const char *)ev->data.scalar.value, words[i]) == 0)
            return 1;
    return 0;
}

static void scalar(Reader *r, const yaml_event_t *ev)
{
    const char *text = (const char *)ev->data.scalar.value;
    if (r->cur && r->cur->type == KX_N_MAP && r->pending_key == NULL) {
        r->pending_key = sim_arena_strdup(&r->c->a, text);
        if (r->pending_key == NULL)
            kx_imp_nomem(r->c);
        return;
    }
    if (is_null(ev) && (r->cur == NULL || r->cur->type == KX_N_MAP)) {
        r->pending_key = NULL;   /* key: null is the key left out; a null document is none */
        return;
    }
    KxNode *n = node(r, is_null(ev) ? KX_N_NULL : KX_N_SCALAR, ev);
    if (n == NULL)
        return;
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    n->s = sim_arena_strdup(&r->c->a, is_null(ev) ? "" : text);
    if (n->s == NULL) {
        kx_imp_nomem(r->c);
        return;
    }
    attach(r, n);
}

static void open_node(Reader *r, KxNodeType t, const yaml_event_t *ev)
{
    if (r->cur && r->cur->type == KX_N_MAP && r->pending_key == NULL) {
        kx_imp_fail(r->c, r->file, NULL, "%d: a map key must be a string, not a %s", line_of(r, &ev->start_mark),
                    t == KX_N_MAP ? "map" : "list");
        return;
    }
    if (++r->depth > KX_MAX_DEPTH) {
        kx_imp_fail(r->c, r->file, NULL, "%d: nesting deeper than %d maps and lists", line_of(r, &ev->start_mark),
                    KX_MAX_DEPTH);
        return;
    }
    KxNode *n = node(r, t, ev);
    if (n == NULL)
        return;
    attach(r, n);
    r->cur = n;
}

static void close_node(Reader *r)
{
    r->cur = r->cur ? r->cur->parent : NULL;
    r->depth--;
}

static void doc_end(Reader *r)
{
    if (r->root == NULL || r->c->rc != SIM_OK)
        return;
    KxDoc *d = sim_arena_alloc(&r->c->a, sizeof *d);
    if (d == NULL) {
        kx_imp_nomem(r->c);
        return;
    }
    d->file = r->file;
    d->root = r->root;
    d->region = NULL;
    if (r->c->last)
        r->c->last->next = d;
    else
        r->c->docs = d;
    r->c->last = d;
    r->root = NULL;
}

/* One event; 1 at the end of the stream. */
static int event(Reader *r, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT: scalar(r, ev); return 0;
    case YAML_MAPPING_START_EVENT: open_node(r, KX_N_MAP, ev); return 0;
    case YAML_SEQUENCE_START_EVENT: open_node(r, KX_N_SEQ, ev); return 0;
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT: close_node(r); return 0;
    case YAML_ALIAS_EVENT:
        /* Refused rather than expanded: expansion is how a small file becomes a huge tree. */
        kx_imp_fail(r->c, r->file, NULL, "%d: YAML aliases (*%s) are not supported", line_of(r, &ev->start_mark),
                    ev->data.alias.anchor ? (const char *)ev->data.alias.anchor : "");
        return 0;
    case YAML_DOCUMENT_END_EVENT: doc_end(r); return 0;
    case YAML_STREAM_END_EVENT: return 1;
    default: return 0;
    }
}

static void syntax_error(Reader *r, const char *text, size_t len)
{
    yaml_mark_t at = r->p.problem_mark;
    if (r->p.error == YAML_READER_ERROR) {
        /* The reader (encoding) reports a byte offset, not a mark. */
        at.line = 0;
        for (size_t i = 0; i < r->p.problem_offset && i < len; i++)
            at.line += text[i] == '\n';
        kx_imp_fail(r->c, r->file, NULL, "%d: not UTF-8 text: %s (byte %zu)", line_of(r, &at),
                    r->p.problem ? r->p.problem : "bad encoding", r->p.problem_offset + 1);
        return;
    }
    kx_imp_fail(r->c, r->file, NULL, "%d: malformed YAML: %s%s%s", line_of(r, &at),
                r->p.problem ? r->p.problem : "parse error", r->p.context ? " " : "",
                r->p.context ? r->p.context : "");
}

static void parse(Reader *r, const char *text, size_t len)
{
    if (!yaml_parser_initialize(&r->p)) {
        kx_imp_nomem(r->c);
        return;
    }
    yaml_parser_set_input_string(&r->p, (const unsigned char *)text, len);
    int end = 0;
    while (!end && r->c->rc == SIM_OK) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&r->p, &ev)) {
            syntax_error(r, text, len);
            break;
        }
        end = event(r, &ev);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&r->p);
}

void kx_yaml_read(KxImp *c, const KxImportFile *f)
{
    Reader r = {.c = c, .file = f->path};
    KxDoc *before = c->last;
    parse(&r, f->text, f->len);
    for (KxDoc *d = before ? before->next : c->docs; d; d = d->next)
        d->region = f->region;
}

KxNode *kx_yaml_parse_one(KxImp *c, const KxNode *at)
{
    const char *file = kx_imp_file(c, at);
    Reader r = {.c = c, .file = file, .line0 = at->line};
    KxDoc *before = c->last;
    parse(&r, at->s, strlen(at->s));
    KxDoc *d = before ? before->next : c->docs;
    if (d == NULL)
        return NULL;
    c->sub_root = d->root;
    c->sub_file = file;
    kx_node_path(at, c->sub_field, sizeof c->sub_field);
    /* Not one of the manifests: take it off the list again. */
    if (before)
        before->next = NULL;
    else
        c->docs = NULL;
    c->last = before;
    return d->root;
}

static const KxNode *child(const KxNode *n, const char *key, size_t klen)
{
    if (n == NULL || n->type != KX_N_MAP)
        return NULL;
    for (const KxNode *k = n->first; k; k = k->next)
        if (strlen(k->key) == klen && memcmp(k->key, key, klen) == 0)
            return k;
    return NULL;
}

const KxNode *kx_child(const KxNode *n, const char *key)
{
    return child(n, key, strlen(key));
}

const KxNode *kx_get(const KxNode *n, const char *path)
{
    while (n && *path) {
        const char *dot = strchr(path, '.');
        size_t klen = dot ? (size_t)(dot - path) : strlen(path);
        n = child(n, path, klen);
        path += klen + (dot != NULL);
    }
    return n;
}

const char *kx_get_str(const KxNode *n, const char *path)
{
    const KxNode *x = kx_get(n, path);
    return x && x->type == KX_N_SCALAR ? x->s : NULL;
}

static size_t index_of(const KxNode *n)
{
    size_t i = 0;
    for (const KxNode *k = n->parent->first; k && k != n; k = k->next)
        i++;
    return i;
}

void kx_node_path(const KxNode *n, char *buf, size_t len)
{
    if (n == NULL || n->parent == NULL) {
        if (len)
            buf[0] = '\0';
        return;
    }
    kx_node_path(n->parent, buf, len);
    size_t at = strlen(buf);
    if (n->key)
        snprintf(buf + at, len - at, "%s%s", at ? "." : "", n->key);
    else
        snprintf(buf + at, len - at, "[%zu]", index_of(n));
}

const char *kx_type_name(KxNodeType t)
{
    switch (t) {
    case KX_N_SCALAR: return "a string";
    case KX_N_MAP: return "a map";
    case KX_N_SEQ: return "a list";
    case KX_N_NULL: return "null";
    }
    return "?";
}

const KxNode *kx_want(KxImp *c, const KxNode *n, KxNodeType t)
{
    if (n == NULL || n->type == t)
        return n;
    kx_imp_fail(c, NULL, n, "expected %s, not %s", kx_type_name(t), kx_type_name(n->type));
    return NULL;
}

/* t < 0: any type at the end of the path. */
static const KxNode *typed(KxImp *c, const KxNode *n, const char *path, int t)
{
    while (n && *path) {
        if (kx_want(c, n, KX_N_MAP) == NULL)
            return NULL;
        const char *dot = strchr(path, '.');
        size_t klen = dot ? (size_t)(dot - path) : strlen(path);
        n = child(n, path, klen);
        path += klen + (dot != NULL);
    }
    return t < 0 ? n : kx_want(c, n, (KxNodeType)t);
}

const KxNode *kx_at(KxImp *c, const KxNode *n, const char *path)
{
    return typed(c, n, path, -1);
}

const KxNode *kx_map(KxImp *c, const KxNode *n, const char *path)
{
    return typed(c, n, path, KX_N_MAP);
}

const KxNode *kx_seq(KxImp *c, const KxNode *n, const char *path)
{
    return typed(c, n, path, KX_N_SEQ);
}

const char *kx_str(KxImp *c, const KxNode *n, const char *path)
{
    const KxNode *x = typed(c, n, path, KX_N_SCALAR);
    return x ? x->s : NULL;
}
