/*
 * outdir.c: temporary output folders renamed into place, and the marker that
 * says which folders kubesim may replace.
 *
 * The temporary folder lives beside the destination (same file system), so
 * the final rename is atomic; a destination that already exists is moved
 * aside first and emptied after the new one is in place. Invariant: nothing
 * is ever removed that kubesim did not create, except under force: a
 * replaced folder loses only the entries its marker lists (a file that
 * appeared there in between keeps the folder, renamed aside), and a folder
 * whose marker does not list everything in it is refused. No walk here
 * follows a symbolic link.
 */
#include "sim/outdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARKER_HEADER "# kubesim wrote this folder; it replaces it only while it holds nothing but these entries\n"
#define MARKER_MAX ((size_t)64 << 20)
#define PATH_CAP 4608   /* above SimOutdir's paths and their .old-XXXXXX */

/* ---- a sorted list of relative paths (folders end in '/') ------------------ */
typedef struct List {
    SimMem *m;
    char **v;
    size_t n, cap;
    char *text;                  /* a loaded marker: the entries point into it */
    size_t textlen;
} List;

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_free(List *l)
{
    if (l->text)
        sim_mem_free(l->m, l->text, l->textlen + 1);
    else
        for (size_t i = 0; i < l->n; i++)
            sim_mem_strfree(l->m, l->v[i]);
    sim_mem_free(l->m, l->v, l->cap * sizeof *l->v);
    l->v = NULL;
    l->text = NULL;
    l->n = l->cap = 0;
}

static int list_push(List *l, char *s)
{
    if (s == NULL || sim_mem_grow(l->m, (void **)&l->v, &l->cap, l->n + 1, sizeof *l->v) != 0)
        return -1;
    l->v[l->n++] = s;
    return 0;
}

static int list_has(const List *l, const char *rel)
{
    return l->n && bsearch(&rel, l->v, l->n, sizeof *l->v, by_str) != NULL;
}

/* ---- walking a tree ------------------------------------------------------------ */
static DIR *open_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    DIR *d = fdopendir(fd);
    if (d == NULL)
        close(fd);
    return d;
}

static int is_dot(const char *name)
{
    return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* fn sees each entry's path relative to the root (folders with a final
 * '/'): 0 goes on (into a folder too), 1 skips what is below it, -1 stops. */
typedef int (*Visit)(void *ctx, const char *rel, int is_dir);

/* Visits what is below path[0..len) (a buffer of PATH_CAP); base is where
 * the relative paths start. 0, or -1 (unreadable, too deep, or stopped). */
static int walk_in(char *path, size_t len, size_t base, Visit fn, void *ctx)
{
    DIR *d = open_dir(path);
    if (d == NULL)
        return -1;
    struct dirent *ent;
    int rc = 0;
    while (rc == 0 && (ent = readdir(d)) != NULL) {
        if (is_dot(ent->d_name))
            continue;
        size_t k = (size_t)snprintf(path + len, PATH_CAP - len, "/%s", ent->d_name);
        if (len + k + 2 > PATH_CAP) {
            rc = -1;
            break;
        }
        struct stat st;
        int dir = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
        if (dir)
            memcpy(path + len + k, "/", 2);
        int v = fn(ctx, path + base, dir);
        path[len + k] = '\0';
        rc = v < 0 ? -1 : v == 0 && dir ? walk_in(path, len + k, base, fn, ctx) : 0;
    }
    path[len] = '\0';
    closedir(d);
    return rc;
}

static int walk(const char *root, Visit fn, void *ctx)
{
    char path[PATH_CAP];
    size_t len = strlen(root);
    if (len + 2 > sizeof path)
        return -1;
    memcpy(path, root, len + 1);
    return walk_in(path, len, len + 1, fn, ctx);
}

static void remove_in(char *path, size_t len)
{
    DIR *d = open_dir(path);
    struct dirent *ent;
    while (d != NULL && (ent = readdir(d)) != NULL) {
        if (is_dot(ent->d_name))
            continue;
        size_t k = (size_t)snprintf(path + len, PATH_CAP - len, "/%s", ent->d_name);
        if (len + k + 1 >= PATH_CAP)
            continue;
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            remove_in(path, len + k);
        else
            unlink(path);
    }
    path[len] = '\0';
    if (d != NULL)
        closedir(d);
    rmdir(path);
}

void sim_remove_tree(const char *path)
{
    char buf[PATH_CAP];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf)
        return;
    memcpy(buf, path, len + 1);
    remove_in(buf, len);
}

/* Removes what below path[0..len) the list names, children first; base as
 * for walk_in. A folder that still holds something it does not name stays. */
static void prune_in(char *path, size_t len, size_t base, const List *l)
{
    DIR *d = open_dir(path);
    struct dirent *ent;
    while (d != NULL && (ent = readdir(d)) != NULL) {
        if (is_dot(ent->d_name))
            continue;
        size_t k = (size_t)snprintf(path + len, PATH_CAP - len, "/%s", ent->d_name);
        if (len + k + 2 > PATH_CAP)
            continue;
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            prune_in(path, len + k, base, l);
            memcpy(path + len + k, "/", 2);
            int listed = list_has(l, path + base);
            path[len + k] = '\0';
            if (listed)
                rmdir(path);
        } else if (list_has(l, path + base)) {
            unlink(path);
        }
    }
    path[len] = '\0';
    if (d != NULL)
        closedir(d);
}

/* ---- the marker ------------------------------------------------------------- */
static int collect(void *ctx, const char *rel, int is_dir)
{
    (void)is_dir;
    List *l = ctx;
    if (strcmp(rel, SIM_OUTDIR_MARKER) == 0)
        return 0;
    return list_push(l, sim_mem_strdup(l->m, rel));
}

static int write_marker(SimOutdir *o, SimErr *err)
{
    List l = {.m = o->mem};
    char path[PATH_CAP + 16];
    int rc = walk(o->tmp, collect, &l);
    if (rc == 0) {
        qsort(l.v, l.n, sizeof *l.v, by_str);
        snprintf(path, sizeof path, "%s/%s", o->tmp, SIM_OUTDIR_MARKER);
        FILE *f = fopen(path, "wb");
        rc = f ? 0 : -1;
        if (f) {
            fputs(MARKER_HEADER, f);
            for (size_t i = 0; i < l.n; i++)
                fprintf(f, "%s\n", l.v[i]);
            rc = ferror(f) | fclose(f) ? -1 : 0;
        }
    }
    list_free(&l);
    if (rc != 0)
        return sim_err_set(err, SIM_EIO,
                           "--out '%s': cannot list what was written in %s (out of memory, or the disk is full?)",
                           o->dest, SIM_OUTDIR_MARKER);
    return SIM_OK;
}

static int split_lines(List *l)
{
    char *p = l->text + strlen(MARKER_HEADER);
    while (*p) {
        char *nl = strchr(p, '\n');
        if (nl == NULL)
            return 0;   /* a cut last line is not an entry */
        *nl = '\0';
        if (*p != '#' && list_push(l, p) != 0)
            return -1;
        p = nl + 1;
    }
    return 0;
}

/* Reads dir's marker into l, sorted: 1; 0 when dir has no marker kubesim
 * wrote (absent, not a regular file, too big, another header); -1 out of
 * memory. */
static int load_marker(const char *dir, List *l)
{
    char path[PATH_CAP + 16];
    snprintf(path, sizeof path, "%s/%s", dir, SIM_OUTDIR_MARKER);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > MARKER_MAX) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    size_t n = (size_t)st.st_size, got = 0;
    l->text = sim_mem_alloc(l->m, n + 1);
    ssize_t r = 1;
    while (l->text && got < n && (r = read(fd, l->text + got, n - got)) > 0)
        got += (size_t)r;
    close(fd);
    if (l->text == NULL)
        return -1;
    l->textlen = n;
    l->text[got] = '\0';
    if (r < 0 || got != n || strncmp(l->text, MARKER_HEADER, strlen(MARKER_HEADER)) != 0)
        return 0;
    if (split_lines(l) != 0)
        return -1;
    qsort(l->v, l->n, sizeof *l->v, by_str);
    return 1;
}

/* ---- may dest be replaced? ------------------------------------------------------ */
typedef struct Foreign {
    const List *listed;          /* the marker's entries; NULL: none */
    size_t count;                /* entries the marker does not list (not counting below them) */
    char first[256];             /* the alphabetically first of them */
} Foreign;

static int foreign(void *ctx, const char *rel, int is_dir)
{
    (void)is_dir;
    Foreign *f = ctx;
    if (f->listed && (strcmp(rel, SIM_OUTDIR_MARKER) == 0 || list_has(f->listed, rel)))
        return 0;
    if (f->count++ == 0 || strcmp(rel, f->first) < 0)
        snprintf(f->first, sizeof f->first, "%s", rel);
    return 1;
}

static int refuse_foreign(const char *dest, const Foreign *f, int marked, SimErr *err)
{
    char more[64] = "";
    if (f->count > 1)
        snprintf(more, sizeof more, " and %zu more entries", f->count - 1);
    return sim_err_set(err, SIM_EINVAL,
                       "--out '%s': refusing to replace this folder: it holds '%s'%s, which kubesim did not write "
                       "(%s); kubesim replaces only an empty folder or one it wrote; --force replaces it anyway",
                       dest, f->first, more,
                       marked ? "not listed in its " SIM_OUTDIR_MARKER : "there is no " SIM_OUTDIR_MARKER " marker");
}

int sim_outdir_check(SimMem *m, const char *dest, int force, SimErr *err)
{
    struct stat st;
    if (lstat(dest, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        return sim_err_set(err, SIM_EIO, "--out '%s': cannot look at it: %s", dest, strerror(errno));
    }
    if (!S_ISDIR(st.st_mode)) {
        return sim_err_set(err, SIM_EINVAL,
                           "--out '%s': exists and is not a folder (%s); kubesim writes a folder there and "
                           "replaces only a folder it wrote", dest, S_ISLNK(st.st_mode) ? "a symbolic link" : "a file");
    }
    if (force)
        return 0;
    List l = {.m = m};
    int marked = load_marker(dest, &l);
    Foreign f = {.listed = marked > 0 ? &l : NULL};
    int rc = marked < 0 ? -1 : walk(dest, foreign, &f);
    list_free(&l);
    if (marked < 0 || (rc != 0 && f.count == 0)) {
        return sim_err_set(err, marked < 0 ? SIM_ENOMEM : SIM_EIO,
                           "--out '%s': cannot read this folder to check that kubesim wrote it%s", dest,
                           marked < 0 ? ": out of memory" : "");
    }
    return f.count ? refuse_foreign(dest, &f, marked > 0, err) : 0;
}

/* ---- begin, commit, abort --------------------------------------------------------- */
/* Creates the parents of o->tmp, remembering the topmost one it made. */
static int make_parents(SimOutdir *o)
{
    for (char *p = o->tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(o->tmp, 0777);
        *p = '/';
        if (rc == 0 && o->made == 0)
            o->made = (size_t)(p - o->tmp);
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

int sim_outdir_begin(SimOutdir *o, SimMem *m, const char *dest, int force)
{
    SimErr *err = &o->err;
    sim_err_set(err, SIM_OK, "%s", "");
    size_t n = strlen(dest);
    while (n > 1 && dest[n - 1] == '/')
        n--;
    o->mem = m;
    o->force = force;
    o->made = 0;
    o->tmp[0] = o->dest[0] = '\0';
    if (n == 0 || n + 16 > sizeof o->tmp) {
        return sim_err_set(err, SIM_EINVAL, "--out '%s': not a usable folder name", dest);
    }
    snprintf(o->dest, sizeof o->dest, "%.*s", (int)n, dest);
    int rc = sim_outdir_check(m, o->dest, force, err);
    if (rc != SIM_OK)
        return rc;
    memcpy(o->tmp, o->dest, n);
    memcpy(o->tmp + n, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
    if (make_parents(o) != 0 || mkdtemp(o->tmp) == NULL) {
        int e = errno;
        o->tmp[0] = '\0';
        sim_outdir_abort(o);
        return sim_err_set(err, SIM_EIO, "--out '%s': cannot create a folder there: %s", o->dest, strerror(e));
    }
    return SIM_OK;
}

void sim_outdir_abort(SimOutdir *o)
{
    if (o->tmp[0])
        sim_remove_tree(o->tmp);
    o->tmp[0] = '\0';
    char path[sizeof o->dest];
    memcpy(path, o->dest, sizeof path);
    for (char *slash; o->made && (slash = strrchr(path, '/')) != NULL && (size_t)(slash - path) >= o->made;) {
        *slash = '\0';
        if (rmdir(path) != 0)   /* not empty: someone else put something there meanwhile */
            break;
    }
    o->made = 0;
}

/* Empties the folder dest was moved to, then removes it: everything under
 * force, else only what its marker lists. */
static void discard(SimOutdir *o, const char *old)
{
    if (o->force) {
        sim_remove_tree(old);
        return;
    }
    List l = {.m = o->mem};
    if (load_marker(old, &l) > 0) {
        char path[PATH_CAP];
        snprintf(path, sizeof path, "%s", old);
        prune_in(path, strlen(path), strlen(path) + 1, &l);
        snprintf(path, sizeof path, "%s/%s", old, SIM_OUTDIR_MARKER);
        unlink(path);
    }
    list_free(&l);
    rmdir(old);
}

int sim_outdir_commit(SimOutdir *o)
{
    SimErr *err = &o->err;
    char old[sizeof o->tmp + 16];
    struct stat st;
    int rc = write_marker(o, err);
    if (rc == SIM_OK)
        rc = sim_outdir_check(o->mem, o->dest, o->force, err);
    if (rc != SIM_OK)
        return rc;
    int had = lstat(o->dest, &st) == 0;
    snprintf(old, sizeof old, "%s.old-XXXXXX", o->tmp);
    if (had && mkdtemp(old) == NULL) {
        return sim_err_set(err, SIM_EIO, "--out '%s': cannot replace it: %s", o->dest, strerror(errno));
    }
    if (had && rename(o->dest, old) != 0) {
        rc = sim_err_set(err, SIM_EIO, "--out '%s': cannot replace it: %s", o->dest, strerror(errno));
        rmdir(old);
        return rc;
    }
    if (rename(o->tmp, o->dest) != 0) {
        rc = sim_err_set(err, SIM_EIO, "--out '%s': cannot rename the finished output into place: %s", o->dest,
                         strerror(errno));
        if (had)
            rename(old, o->dest);
        return rc;
    }
    o->tmp[0] = '\0';   /* in place: nothing is left for abort */
    o->made = 0;
    if (had)
        discard(o, old);
    return SIM_OK;
}

const char *sim_outdir_errmsg(const SimOutdir *o) { return sim_err_msg(&o->err); }

int sim_outdir_plain_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 255 || name[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x21 || (unsigned char)name[i] > 0x7e || name[i] == '/')
            return 0;
    return 1;
}

int sim_write_file(const char *path, const void *data, size_t len, SimErr *err)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        return sim_err_set(err, SIM_EIO, "%s: cannot write: %s", path, strerror(errno));
    }
    size_t put = fwrite(data, 1, len, f);
    int e = put != len || fflush(f) != 0 ? errno : 0;   /* the reason of the first failure */
    if (fclose(f) != 0 && e == 0)
        e = errno;
    if (e != 0 || put != len) {
        return sim_err_set(err, SIM_EIO, "%s: cannot write: %s", path, strerror(e ? e : EIO));
    }
    return SIM_OK;
}
