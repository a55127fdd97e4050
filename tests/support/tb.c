/* tb.c: see tb.h. Test support: it may exit on a broken environment. */
#include "tb.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char dir[128];
static const char *bin;
static char *out, *err;   /* the last run's output, malloc'd */

int tb_setup(const char *suite)
{
    bin = getenv("KUBESIM_BIN");
    snprintf(dir, sizeof dir, "/tmp/kubesim-%s-XXXXXX", suite);
    if (bin == NULL || mkdtemp(dir) == NULL) {
        fprintf(stderr, "test_%s: set KUBESIM_BIN to the kubesim binary (ctest does)\n", suite);
        return 2;
    }
    return 0;
}

void tb_cleanup(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (dir[0] && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    free(out);
    free(err);
    out = err = NULL;
}

const char *tb_dir(void)
{
    return dir;
}

const char *tb_bin(void)
{
    return bin;
}

char *tb_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t n = 0, cap = 4096, got;
    char *buf = malloc(cap);
    while (buf != NULL && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *p = realloc(buf, cap *= 2);
            if (p == NULL)
                free(buf);
            buf = p;
        }
    }
    fclose(f);
    if (buf == NULL)
        return NULL;
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

void tb_slurp(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(buf, 1, n - 1, f) : 0;
    buf[got] = '\0';
    if (f)
        fclose(f);
}

static char *read_or_empty(const char *path)
{
    char *s = tb_read(path, NULL);
    if (s == NULL && (s = malloc(1)) != NULL)
        s[0] = '\0';
    if (s == NULL) {
        fprintf(stderr, "out of memory reading %s\n", path);
        exit(2);
    }
    return s;
}

int tb_run(const char *fmt, ...)
{
    char args[4096], cmd[8192], o[200], e[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(o, sizeof o, "%s/stdout", dir);
    snprintf(e, sizeof e, "%s/stderr", dir);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >'%s' 2>'%s' </dev/null", dir, bin, args, o, e);
    int st = system(cmd);
    free(out);
    free(err);
    out = read_or_empty(o);
    err = read_or_empty(e);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

const char *tb_out(void)
{
    return out ? out : "";
}

const char *tb_err(void)
{
    return err ? err : "";
}

const char *tb_write(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
    return path;
}

int tb_exists(const char *name)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

const char *tb_shipped_run(const char *src, const char *scn)
{
    static char run[96];
    char trace[128];
    snprintf(run, sizeof run, "run-%s", scn);
    snprintf(trace, sizeof trace, "%s/trace.kst", run);
    if (!tb_exists(trace) && tb_run("run %s/scenarios/%s.lua --quiet --out %s", src, scn, run) != 0)
        return NULL;
    return run;
}

int tb_count_entries(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL)
        n += strcmp(ent->d_name, ".") != 0 && strcmp(ent->d_name, "..") != 0;
    closedir(d);
    return n;
}
