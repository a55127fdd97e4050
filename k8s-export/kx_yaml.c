/*
 * kx_yaml.c: the YAML writer over libyaml's emitter (kx_yaml.h).
 *
 * Invariant: `failed` is set by the first event libyaml refuses or the first
 * allocation that fails, and from then on no event is emitted; the stream is
 * opened by kx_yaml_new and closed once, by kx_yaml_text.
 */
#include "k8s-export/kx_yaml.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

struct KxYaml {
    SimMem *m;
    yaml_emitter_t em;
    char *buf;
    size_t len, cap;
    int failed;          /* 0, SIM_ENOMEM or SIM_EINVAL */
    int closed;
    SimErr err;          /* why kx_yaml_text failed (kx_yaml_errmsg) */
};

static int write_out(void *data, unsigned char *bytes, size_t size)
{
    KxYaml *y = data;
    if (sim_mem_grow(y->m, (void **)&y->buf, &y->cap, y->len + size + 1, 1) != SIM_OK) {
        y->failed = SIM_ENOMEM;
        return 0;
    }
    memcpy(y->buf + y->len, bytes, size);
    y->len += size;
    y->buf[y->len] = '\0';
    return 1;
}

/* Emits a prepared event; a refusal sticks. */
static void emit(KxYaml *y, yaml_event_t *ev, int ok)
{
    if (y->failed) {
        if (ok)
            yaml_event_delete(ev);
        return;
    }
    if (!ok || !yaml_emitter_emit(&y->em, ev))
        y->failed = y->failed ? y->failed : SIM_EINVAL;
}

KxYaml *kx_yaml_new(SimMem *m)
{
    KxYaml *y = sim_mem_calloc(m, 1, sizeof *y);
    if (y == NULL)
        return NULL;
    y->m = m;
    if (!yaml_emitter_initialize(&y->em)) {
        sim_mem_free(m, y, sizeof *y);
        return NULL;
    }
    yaml_emitter_set_output(&y->em, write_out, y);
    yaml_emitter_set_unicode(&y->em, 1);
    yaml_emitter_set_width(&y->em, -1);   /* no folding: a shell line stays one line */
    yaml_emitter_set_indent(&y->em, 2);
    yaml_event_t ev;
    emit(y, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
    return y;
}

void kx_yaml_free(KxYaml *y)
{
    if (y == NULL)
        return;
    yaml_emitter_delete(&y->em);
    sim_mem_free(y->m, y->buf, y->cap);
    sim_mem_free(y->m, y, sizeof *y);
}

void kx_yaml_doc_begin(KxYaml *y)
{
    yaml_event_t ev;
    emit(y, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0));
}

void kx_yaml_doc_end(KxYaml *y)
{
    yaml_event_t ev;
    emit(y, &ev, yaml_document_end_event_initialize(&ev, 1));
}

void kx_yaml_map_begin(KxYaml *y)
{
    yaml_event_t ev;
    emit(y, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
}

void kx_yaml_map_end(KxYaml *y)
{
    yaml_event_t ev;
    emit(y, &ev, yaml_mapping_end_event_initialize(&ev));
}

void kx_yaml_seq_begin(KxYaml *y)
{
    yaml_event_t ev;
    emit(y, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE));
}

void kx_yaml_seq_end(KxYaml *y)
{
    yaml_event_t ev;
    emit(y, &ev, yaml_sequence_end_event_initialize(&ev));
}

static void scalar(KxYaml *y, const char *s, yaml_scalar_style_t style)
{
    yaml_event_t ev;
    emit(y, &ev, yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1, style));
}

/* Would a plain scalar read back as something other than this string under
 * YAML 1.1 (Kubernetes' decoder) or 1.2? Conservative: anything starting
 * like a number, and the words of booleans and null. */
static int needs_quotes(const char *s)
{
    static const char *const words[] = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", NULL};
    if (*s == '\0' || isdigit((unsigned char)*s) || ((*s == '-' || *s == '+' || *s == '.') && s[1] &&
                                                     (isdigit((unsigned char)s[1]) || s[1] == '.')))
        return 1;
    for (size_t i = 0; words[i]; i++)
        if (strcasecmp(s, words[i]) == 0)
            return 1;
    return 0;
}

void kx_yaml_str(KxYaml *y, const char *s)
{
    scalar(y, s, needs_quotes(s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
}

void kx_yaml_int(KxYaml *y, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    scalar(y, buf, YAML_PLAIN_SCALAR_STYLE);
}

void kx_yaml_bool(KxYaml *y, int v)
{
    scalar(y, v ? "true" : "false", YAML_PLAIN_SCALAR_STYLE);
}

void kx_yaml_block(KxYaml *y, const char *text)
{
    scalar(y, text, YAML_LITERAL_SCALAR_STYLE);
}

void kx_yaml_kv_str(KxYaml *y, const char *key, const char *value)
{
    kx_yaml_str(y, key);
    kx_yaml_str(y, value);
}

void kx_yaml_kv_int(KxYaml *y, const char *key, int64_t value)
{
    kx_yaml_str(y, key);
    kx_yaml_int(y, value);
}

void kx_yaml_kv_bool(KxYaml *y, const char *key, int value)
{
    kx_yaml_str(y, key);
    kx_yaml_bool(y, value);
}

int kx_yaml_text(KxYaml *y, const char **text, size_t *len)
{
    if (!y->closed) {
        yaml_event_t ev;
        emit(y, &ev, yaml_stream_end_event_initialize(&ev));
        if (!y->failed && !yaml_emitter_flush(&y->em))
            y->failed = SIM_EINVAL;
        y->closed = 1;
    }
    if (y->failed) {
        return sim_err_set(&y->err, y->failed, "%s",
                           y->failed == SIM_ENOMEM ? "out of memory writing YAML"
                           : y->em.problem        ? y->em.problem
                                                  : "libyaml refused the document");
    }
    *text = y->buf ? y->buf : "";
    *len = y->len;
    return SIM_OK;
}

const char *kx_yaml_errmsg(const KxYaml *y) { return sim_err_msg(&y->err); }
