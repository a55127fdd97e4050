/*
 * fz.c: the harnesses' temporary folder and null stream (fz.h). The folder is
 * made on first use and removed with its files at exit, so a fuzzing session
 * leaves nothing in TMPDIR.
 */
#include "fz.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct FzState {
    char dir[512];
    FILE *null;
} FzState;

/* The harness's process state: libFuzzer's entry point takes no context. */
static FzState fz;

static void cleanup(void)
{
    DIR *d = fz.dir[0] ? opendir(fz.dir) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char p[1024];
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(p, sizeof p, "%s/%s", fz.dir, e->d_name);
            unlink(p);
        }
    }
    if (d) {
        closedir(d);
        rmdir(fz.dir);
    }
}

static void die(const char *what)
{
    perror(what);
    abort();
}

const char *fz_file(const char *name, const uint8_t *data, size_t size)
{
    static char path[1100];
    if (fz.dir[0] == '\0') {
        const char *t = getenv("TMPDIR");
        snprintf(fz.dir, sizeof fz.dir, "%s/kubesim-fuzz-XXXXXX", t && *t ? t : "/tmp");
        if (mkdtemp(fz.dir) == NULL)
            die("fz: mkdtemp");
        atexit(cleanup);
    }
    snprintf(path, sizeof path, "%s/%s", fz.dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        die(path);
    return path;
}

FILE *fz_null(void)
{
    if (fz.null == NULL && (fz.null = fopen("/dev/null", "w")) == NULL)
        die("fz: /dev/null");
    return fz.null;
}

char *fz_text(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        die("fz: malloc");
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

void fz_explain(FzExplainFn fn, const uint8_t *data, size_t size)
{
    SimErr err = SIM_ERR_INIT;
    char *text = fz_text(data, size);   /* NUL-terminated, as the command's file reader leaves it */
    SimMem m;
    sim_mem_init(&m);
    for (int as_json = 0; as_json < 2; as_json++)
        if (fn(&m, text, size, "case.json", as_json, fz_null(), &err) != SIM_OK)
            break;
    free(text);
}
