/*
 * yaml.c: the YAML half of the reader (kube.h): YAML text to a tree of
 * KubeYNode with libyaml's parser (the event API), one tree per document, in
 * the caller's arena; lines come from libyaml's marks, so every message names
 * its file and line ("FILE:LINE: field.path: why"). Typed lookups over the
 * tree fail on the reader's handle, as the JSON path reader does.
 *
 * Invariant: a map's children alternate key, value while being read; a key
 * is kept as the value's `key` and never becomes a node of its own. The
 * first failure sticks on the handle; the parser stops at it.
 *
 * Null follows Kubernetes' decoder (YAML to JSON, then into Go structs): a
 * map value that is null (`replicas:`, `~`, `null`) is as if the key were
 * absent, a null item of a list is a KUBE_Y_NULL node (refused where a value
 * is needed), and a document that is null, empty or only comments is
 * skipped, as kubectl skips it. Nesting is capped at KUBE_YAML_MAX_DEPTH
 * before libyaml has to look further: its scanner checks every open flow
 * level for each token, so unbounded nesting costs time quadratic in the
 * depth.
 */
#include "kube/kube_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

/* The message: as long as a caller's buffer (1024 bytes) holds, so what it
 * prints is what was recorded; msg and path as the import always cut them. */
#define ERRLEN 1024
#define MSGLEN 512

/* A document read: its root and the file it came from (messages name it). */
typedef struct Doc {
    const KubeYNode *root;
    const char *file;
    struct Doc *next;
} Doc;

struct KubeYaml {
    SimMem *m;
    SimArena *a;
    size_t nodes;                /* read so far, at most KUBE_YAML_MAX_NODES */
    Doc *docs, *last;
    /* A tree parsed from text inside a document (kube_yaml_parse_one): its
     * messages name the file and the field that held the text. */
    const KubeYNode *sub_root;
    const char *sub_file;
    char sub_field[128];
    int rc;                      /* SIM_OK or the first failure */
    char err[ERRLEN];
};

KubeYaml *kube_yaml_new(SimMem *m, SimArena *a)
{
    KubeYaml *y = sim_mem_calloc(m, 1, sizeof *y);
    if (y) {
        y->m = m;
        y->a = a;
    }
    return y;
}

void kube_yaml_free(KubeYaml *y)
{
    if (y)
        sim_mem_free(y->m, y, sizeof *y);
}

int kube_yaml_rc(const KubeYaml *y) { return y->rc; }

const char *kube_yaml_errmsg(const KubeYaml *y) { return y->err; }

/* ---- failures ------------------------------------------------------------ */
static const KubeYNode *root_of(const KubeYNode *n)
{
    while (n && n->parent)
        n = n->parent;
    return n;
}

const char *kube_yaml_file(const KubeYaml *y, const KubeYNode *n)
{
    n = root_of(n);
    if (n && n == y->sub_root)
        return y->sub_file;
    for (const Doc *d = y->docs; d; d = d->next)
        if (d->root == n)
            return d->file;
    return "?";
}

/* Control characters (a newline or an escape sequence in a manifest's
 * string) become '?', so a message is one line that cannot drive the
 * terminal. */
static void printable(char *s)
{
    for (unsigned char *p = (unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            *p = '?';
}

void kube_yaml_fail(KubeYaml *y, const char *file, const KubeYNode *at, const char *fmt, ...)
{
    if (y->rc != SIM_OK)
        return;
    y->rc = SIM_EINVAL;
    char msg[MSGLEN], path[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    printable(msg);
    if (at == NULL) {
        snprintf(y->err, sizeof y->err, "%s:%s", file ? file : "?", msg);
        return;
    }
    kube_y_path(at, path, sizeof path);
    printable(path);
    /* A node of a tree parsed from text: its path starts at the field holding the text. */
    int sub = y->sub_root && root_of(at) == y->sub_root;
    snprintf(y->err, sizeof y->err, "%s:%d: %s%s%s: %s", file ? file : kube_yaml_file(y, at), at->line,
             sub ? y->sub_field : "", sub && path[0] && path[0] != '[' ? "." : "",
             path[0] || sub ? path : "(document)", msg);
}

void kube_yaml_nomem(KubeYaml *y)
{
    if (y->rc != SIM_OK)
        return;
    y->rc = SIM_ENOMEM;
    snprintf(y->err, sizeof y->err, "out of memory");
}

/* ---- the parser -------------------------------------------------------------- */
typedef struct Parser {
    KubeYaml *y;
    const char *file;
    int line0;                      /* added to libyaml's lines (text inside a document) */
    yaml_parser_t p;
    KubeYNode *cur;                 /* the open map or sequence, or NULL */
    const char *pending_key;        /* a map's key waiting for its value */
    KubeYNode *root;
    int depth;                      /* open maps and sequences */
    void (*doc)(void *ctx, KubeYNode *root, const char *file);
    void *ctx;
} Parser;

static int line_of(const Parser *r, const yaml_mark_t *mark)
{
    size_t l = mark->line + 1 + (size_t)r->line0;
    return l > INT32_MAX ? INT32_MAX : (int)l;
}

static KubeYNode *node(Parser *r, KubeYType t, const yaml_event_t *ev)
{
    if (++r->y->nodes > KUBE_YAML_MAX_NODES) {
        kube_yaml_fail(r->y, r->file, NULL, "%d: more than %d values (scalars, maps and lists) in the input",
                       line_of(r, &ev->start_mark), KUBE_YAML_MAX_NODES);
        return NULL;
    }
    KubeYNode *n = sim_arena_alloc(r->y->a, sizeof *n);
    if (n == NULL) {
        kube_yaml_nomem(r->y);
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->type = t;
    n->line = line_of(r, &ev->start_mark);
    return n;
}

static void attach(Parser *r, KubeYNode *n)
{
    KubeYNode *p = r->cur;
    if (p == NULL) {
        r->root = n;
        return;
    }
    n->parent = p;
    n->key = p->type == KUBE_Y_MAP ? r->pending_key : NULL;
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

static void scalar(Parser *r, const yaml_event_t *ev)
{
    const char *text = (const char *)ev->data.scalar.value;
    if (r->cur && r->cur->type == KUBE_Y_MAP && r->pending_key == NULL) {
        r->pending_key = sim_arena_strdup(r->y->a, text);
        if (r->pending_key == NULL)
            kube_yaml_nomem(r->y);
        return;
    }
    if (is_null(ev) && (r->cur == NULL || r->cur->type == KUBE_Y_MAP)) {
        r->pending_key = NULL;   /* key: null is the key left out; a null document is none */
        return;
    }
    KubeYNode *n = node(r, is_null(ev) ? KUBE_Y_NULL : KUBE_Y_SCALAR, ev);
    if (n == NULL)
        return;
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    n->s = sim_arena_strdup(r->y->a, is_null(ev) ? "" : text);
    if (n->s == NULL) {
        kube_yaml_nomem(r->y);
        return;
    }
    attach(r, n);
}

static void open_node(Parser *r, KubeYType t, const yaml_event_t *ev)
{
    if (r->cur && r->cur->type == KUBE_Y_MAP && r->pending_key == NULL) {
        kube_yaml_fail(r->y, r->file, NULL, "%d: a map key must be a string, not a %s",
                       line_of(r, &ev->start_mark), t == KUBE_Y_MAP ? "map" : "list");
        return;
    }
    if (++r->depth > KUBE_YAML_MAX_DEPTH) {
        kube_yaml_fail(r->y, r->file, NULL, "%d: nesting deeper than %d maps and lists",
                       line_of(r, &ev->start_mark), KUBE_YAML_MAX_DEPTH);
        return;
    }
    KubeYNode *n = node(r, t, ev);
    if (n == NULL)
        return;
    attach(r, n);
    r->cur = n;
}

static void close_node(Parser *r)
{
    r->cur = r->cur ? r->cur->parent : NULL;
    r->depth--;
}

/* A document ends: remembered (its file names it in messages) and handed on. */
static void doc_end(Parser *r)
{
    if (r->root == NULL || r->y->rc != SIM_OK)
        return;
    if (r->doc) {
        Doc *d = sim_arena_alloc(r->y->a, sizeof *d);
        if (d == NULL) {
            kube_yaml_nomem(r->y);
            return;
        }
        *d = (Doc){r->root, r->file, NULL};
        if (r->y->last)
            r->y->last->next = d;
        else
            r->y->docs = d;
        r->y->last = d;
        r->doc(r->ctx, r->root, r->file);
    } else if (r->y->sub_root == NULL) {
        r->y->sub_root = r->root;   /* kube_yaml_parse_one: the first document is the tree */
    }
    r->root = NULL;
}

/* One event; 1 at the end of the stream. */
static int event(Parser *r, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT: scalar(r, ev); return 0;
    case YAML_MAPPING_START_EVENT: open_node(r, KUBE_Y_MAP, ev); return 0;
    case YAML_SEQUENCE_START_EVENT: open_node(r, KUBE_Y_SEQ, ev); return 0;
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT: close_node(r); return 0;
    case YAML_ALIAS_EVENT:
        /* Refused rather than expanded: expansion is how a small file becomes a huge tree. */
        kube_yaml_fail(r->y, r->file, NULL, "%d: YAML aliases (*%s) are not supported",
                       line_of(r, &ev->start_mark), ev->data.alias.anchor ? (const char *)ev->data.alias.anchor : "");
        return 0;
    case YAML_DOCUMENT_END_EVENT: doc_end(r); return 0;
    case YAML_STREAM_END_EVENT: return 1;
    default: return 0;
    }
}

static void syntax_error(Parser *r, const char *text, size_t len)
{
    yaml_mark_t at = r->p.problem_mark;
    if (r->p.error == YAML_READER_ERROR) {
        /* The reader (encoding) reports a byte offset, not a mark. */
        at.line = 0;
        for (size_t i = 0; i < r->p.problem_offset && i < len; i++)
            at.line += text[i] == '\n';
        kube_yaml_fail(r->y, r->file, NULL, "%d: not UTF-8 text: %s (byte %zu)", line_of(r, &at),
                       r->p.problem ? r->p.problem : "bad encoding", r->p.problem_offset + 1);
        return;
    }
    kube_yaml_fail(r->y, r->file, NULL, "%d: malformed YAML: %s%s%s", line_of(r, &at),
                   r->p.problem ? r->p.problem : "parse error", r->p.context ? " " : "",
                   r->p.context ? r->p.context : "");
}

static void parse(Parser *r, const char *text, size_t len)
{
    if (!yaml_parser_initialize(&r->p)) {
        kube_yaml_nomem(r->y);
        return;
    }
    yaml_parser_set_input_string(&r->p, (const unsigned char *)text, len);
    int end = 0;
    while (!end && r->y->rc == SIM_OK) {
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

int kube_yaml_read(KubeYaml *y, const char *file, const char *text, size_t len,
                   void (*doc)(void *ctx, KubeYNode *root, const char *file), void *ctx)
{
    Parser r = {.y = y, .file = file, .doc = doc, .ctx = ctx};
    parse(&r, text, len);
    return y->rc;
}

KubeYNode *kube_yaml_parse_one(KubeYaml *y, const KubeYNode *at)
{
    const char *file = kube_yaml_file(y, at);
    Parser r = {.y = y, .file = file, .line0 = at->line};
    const KubeYNode *before = y->sub_root;
    y->sub_root = NULL;
    parse(&r, at->s, strlen(at->s));
    if (y->sub_root == NULL) {
        y->sub_root = before;   /* the text held no document: the last tree keeps its names */
        return NULL;
    }
    y->sub_file = file;
    kube_y_path(at, y->sub_field, sizeof y->sub_field);
    return (KubeYNode *)y->sub_root;
}

/* ---- lookups ---------------------------------------------------------------- */
static const KubeYNode *child(const KubeYNode *n, const char *key, size_t klen)
{
    if (n == NULL || n->type != KUBE_Y_MAP)
        return NULL;
    for (const KubeYNode *k = n->first; k; k = k->next)
        if (strlen(k->key) == klen && memcmp(k->key, key, klen) == 0)
            return k;
    return NULL;
}

const KubeYNode *kube_y_child(const KubeYNode *n, const char *key)
{
    return child(n, key, strlen(key));
}

const KubeYNode *kube_y_get(const KubeYNode *n, const char *path)
{
    while (n && *path) {
        const char *dot = strchr(path, '.');
        size_t klen = dot ? (size_t)(dot - path) : strlen(path);
        n = child(n, path, klen);
        path += klen + (dot != NULL);
    }
    return n;
}

const char *kube_y_get_str(const KubeYNode *n, const char *path)
{
    const KubeYNode *x = kube_y_get(n, path);
    return x && x->type == KUBE_Y_SCALAR ? x->s : NULL;
}

static size_t index_of(const KubeYNode *n)
{
    size_t i = 0;
    for (const KubeYNode *k = n->parent->first; k && k != n; k = k->next)
        i++;
    return i;
}

void kube_y_path(const KubeYNode *n, char *buf, size_t len)
{
    if (n == NULL || n->parent == NULL) {
        if (len)
            buf[0] = '\0';
        return;
    }
    kube_y_path(n->parent, buf, len);
    size_t at = strlen(buf);
    if (n->key)
        snprintf(buf + at, len - at, "%s%s", at ? "." : "", n->key);
    else
        snprintf(buf + at, len - at, "[%zu]", index_of(n));
}

const char *kube_y_type_name(KubeYType t)
{
    switch (t) {
    case KUBE_Y_SCALAR: return "a string";
    case KUBE_Y_MAP: return "a map";
    case KUBE_Y_SEQ: return "a list";
    case KUBE_Y_NULL: return "null";
    }
    return "?";
}

const KubeYNode *kube_y_want(KubeYaml *y, const KubeYNode *n, KubeYType t)
{
    if (n == NULL || n->type == t)
        return n;
    kube_yaml_fail(y, NULL, n, "expected %s, not %s", kube_y_type_name(t), kube_y_type_name(n->type));
    return NULL;
}

/* t < 0: any type at the end of the path. */
static const KubeYNode *typed(KubeYaml *y, const KubeYNode *n, const char *path, int t)
{
    while (n && *path) {
        if (kube_y_want(y, n, KUBE_Y_MAP) == NULL)
            return NULL;
        const char *dot = strchr(path, '.');
        size_t klen = dot ? (size_t)(dot - path) : strlen(path);
        n = child(n, path, klen);
        path += klen + (dot != NULL);
    }
    return t < 0 ? n : kube_y_want(y, n, (KubeYType)t);
}

const KubeYNode *kube_y_at(KubeYaml *y, const KubeYNode *n, const char *path)
{
    return typed(y, n, path, -1);
}

const KubeYNode *kube_y_map(KubeYaml *y, const KubeYNode *n, const char *path)
{
    return typed(y, n, path, KUBE_Y_MAP);
}

const KubeYNode *kube_y_seq(KubeYaml *y, const KubeYNode *n, const char *path)
{
    return typed(y, n, path, KUBE_Y_SEQ);
}

const char *kube_y_str(KubeYaml *y, const KubeYNode *n, const char *path)
{
    const KubeYNode *x = typed(y, n, path, KUBE_Y_SCALAR);
    return x ? x->s : NULL;
}
