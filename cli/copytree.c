/*
 * copytree.c: cli_copy_configs, which carries the shards' configs/ folders
 * into the folder of `kubesim sweep --merge`, so that the merged folder holds
 * every file a sweep of the whole grid writes (configs/N/summary.json, and
 * configs/N/seed-S/ and metrics.om when the shards have them), byte for byte.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

#define PATH_CAP 4096

/* Copies the regular file src to dst (created, not replaced). */
static int copy_file(const char *src, const char *dst, mode_t mode, SimErr *err)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return sim_err_set(err, SIM_EIO, "%s: %s", src, strerror(errno));
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0666);
    if (out < 0) {
        int e = errno;
        close(in);
        return sim_err_set(err, SIM_EIO, "%s: %s", dst, strerror(e));
    }
    char buf[65536];
    int rc = SIM_OK;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = sim_err_set(err, SIM_EIO, "%s: %s", src, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = sim_err_set(err, SIM_EIO, "%s: %s", dst, strerror(errno));
                break;
            }
            off += w;
        }
        if (rc != SIM_OK)
            break;
    }
    close(in);
    if (close(out) != 0 && rc == SIM_OK)
        rc = sim_err_set(err, SIM_EIO, "%s: %s", dst, strerror(errno));
    return rc;
}

/* Copies the folder src into dst, files and folders only: a shard that
 * kubesim wrote holds nothing else. At the top (configs/ itself) dst may
 * exist already, from an earlier shard, and holds only configurations'
 * folders, none of which may be there already. */
static int copy_tree(const char *src, const char *dst, int top, SimErr *err)
{
    if (mkdir(dst, 0777) != 0 && !(top && errno == EEXIST))
        return sim_err_set(err, SIM_EIO, "%s: %s", dst, strerror(errno));
    DIR *d = opendir(src);
    if (d == NULL)
        return sim_err_set(err, SIM_EIO, "%s: %s", src, strerror(errno));
    int rc = SIM_OK;
    struct dirent *ent;
    while (rc == SIM_OK && (ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        char s[PATH_CAP], t[PATH_CAP];
        if ((size_t)snprintf(s, sizeof s, "%s/%s", src, ent->d_name) >= sizeof s ||
            (size_t)snprintf(t, sizeof t, "%s/%s", dst, ent->d_name) >= sizeof t) {
            rc = sim_err_set(err, SIM_EIO, "%s/%s: path too long", src, ent->d_name);
            break;
        }
        struct stat st;
        if (top && access(t, F_OK) == 0)
            rc = sim_err_set(err, SIM_EINVAL, "%s: configs/%s is in an earlier shard too", s, ent->d_name);
        else if (lstat(s, &st) != 0)
            rc = sim_err_set(err, SIM_EIO, "%s: %s", s, strerror(errno));
        else if (S_ISDIR(st.st_mode))
            rc = copy_tree(s, t, 0, err);
        else if (top)
            rc = sim_err_set(err, SIM_EINVAL, "%s: not a configuration's folder", s);
        else if (S_ISREG(st.st_mode))
            rc = copy_file(s, t, st.st_mode, err);
        else
            rc = sim_err_set(err, SIM_EINVAL, "%s: not a file or a folder (a shard's configs/ holds only those)", s);
    }
    closedir(d);
    return rc;
}

int cli_copy_configs(const char *shard, const char *tmp, SimErr *err)
{
    char src[PATH_CAP], dst[PATH_CAP];
    struct stat st;
    if ((size_t)snprintf(src, sizeof src, "%s/configs", shard) >= sizeof src ||
        (size_t)snprintf(dst, sizeof dst, "%s/configs", tmp) >= sizeof dst)
        return sim_err_set(err, SIM_EIO, "%s/configs: path too long", shard);
    if (stat(src, &st) != 0 || !S_ISDIR(st.st_mode))
        return SIM_OK;   /* a shard's CSV alone, or a folder from before configs/ */
    return copy_tree(src, dst, 1, err);
}
