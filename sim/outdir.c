/*
 * outdir.c: temporary output folders renamed into place. The temporary folder
 * lives beside the destination (same file system), so the final rename is
 * atomic; a destination that already exists is moved aside first and removed
 * after the new one is in place.
 */
#include "sim/outdir.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int mkdir_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0777);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

int sim_outdir_begin(const char *dest, char *tmp, size_t tmplen, char *err, size_t errlen)
{
    size_t n = strlen(dest);
    while (n > 1 && dest[n - 1] == '/')
        n--;
    if (n == 0 || n + 16 > tmplen) {
        snprintf(err, errlen, "--out '%s': not a usable folder name", dest);
        return -1;
    }
    snprintf(tmp, tmplen, "%.*s.tmp-XXXXXX", (int)n, dest);
    if (mkdir_parents(tmp) != 0 || mkdtemp(tmp) == NULL) {
        snprintf(err, errlen, "--out '%s': cannot create a folder there: %s", dest, strerror(errno));
        return -1;
    }
    return 0;
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d != NULL) {
        struct dirent *ent;
        char child[4096];
        while ((ent = readdir(d)) != NULL) {
            if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
                continue;
            snprintf(child, sizeof child, "%s/%s", path, ent->d_name);
            struct stat st;
            if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
                remove_tree(child);
            else
                unlink(child);
        }
        closedir(d);
    }
    rmdir(path);
}

void sim_outdir_abort(const char *tmp)
{
    remove_tree(tmp);
}

int sim_outdir_commit(const char *tmp, const char *dest, char *err, size_t errlen)
{
    char old[4096];
    struct stat st;
    int had = stat(dest, &st) == 0;
    if (had && !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "--out '%s': exists and is not a folder", dest);
        return -1;
    }
    snprintf(old, sizeof old, "%s.old-XXXXXX", tmp);
    if (had && (mkdtemp(old) == NULL || rename(dest, old) != 0)) {
        snprintf(err, errlen, "--out '%s': cannot replace it: %s", dest, strerror(errno));
        return -1;
    }
    if (rename(tmp, dest) != 0) {
        snprintf(err, errlen, "--out '%s': cannot rename the finished output into place: %s", dest,
                 strerror(errno));
        if (had)
            rename(old, dest);
        return -1;
    }
    if (had)
        remove_tree(old);
    return 0;
}

int sim_write_file(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    size_t put = fwrite(data, 1, len, f);
    int e = put != len || fflush(f) != 0 ? errno : 0;   /* the reason of the first failure */
    if (fclose(f) != 0 && e == 0)
        e = errno;
    if (e != 0 || put != len) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(e ? e : EIO));
        return -1;
    }
    return 0;
}
