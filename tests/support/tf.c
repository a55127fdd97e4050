/* tf.c: see tf.h. */
#include "tf.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tf_src(const char *suite)
{
    const char *src = getenv("KUBESIM_SRC");
    if (src == NULL)
        fprintf(stderr, "test_%s: set KUBESIM_SRC (ctest does)\n", suite);
    return src;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static int ends_in(const char *s, const char *ext)
{
    size_t n = strlen(s), k = strlen(ext);
    return n > k && strcmp(s + n - k, ext) == 0;
}

int tf_list(TfList *l, const char *subdir, const char *ext)
{
    l->n = 0;
    snprintf(l->dir, sizeof l->dir, "%s/%s", getenv("KUBESIM_SRC"), subdir);
    DIR *d = opendir(l->dir);
    for (struct dirent *e; d && (e = readdir(d)) != NULL && l->n < TF_MAX;)
        if (ends_in(e->d_name, ext))
            snprintf(l->name[l->n++], sizeof l->name[0], "%s", e->d_name);
    if (d)
        closedir(d);
    qsort(l->name, (size_t)l->n, sizeof l->name[0], cmp);
    return l->n;
}

char *tf_slurp(const char *path, size_t *len)
{
    static char buf[1 << 20];
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    *len = fread(buf, 1, sizeof buf - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

char *tf_read(const TfList *l, int i, size_t *len)
{
    char path[800];
    snprintf(path, sizeof path, "%s/%s", l->dir, l->name[i]);
    return tf_slurp(path, len);
}
