/*
 * fileio.c: capped whole-file reads and all-or-nothing file writes (see
 * fileio.h). Invariant (read): at most max + 1 bytes are ever read or held,
 * whatever the file claims to be. Invariant (write): a regular destination is
 * either the old file or the complete new one, and the temporary beside it is
 * gone when sim_file_replace returns.
 */
#define _XOPEN_SOURCE 700   /* realpath */
#include "sim/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK ((size_t)1 << 16)

/* "16 MiB", or a byte count when the cap is not whole mebibytes. */
static void size_text(size_t n, char *buf, size_t len)
{
    if (n >= ((size_t)1 << 20) && n % ((size_t)1 << 20) == 0)
        snprintf(buf, len, "%zu MiB", n >> 20);
    else
        snprintf(buf, len, "%zu bytes", n);
}

static int too_big(const char *path, size_t max, const char *what, SimErr *err)
{
    char lim[32];
    size_text(max, lim, sizeof lim);
    return sim_err_set(err, SIM_EIO, "%s: larger than the %s limit for %s", path, lim, what);
}

/* Doubles *buf, but never past max + 2 bytes: the cap, one byte to see that
 * a file goes over it, and the NUL. */
static int grow(SimMem *m, char **buf, size_t *cap, size_t max)
{
    size_t limit = max > SIZE_MAX - 2 ? SIZE_MAX : max + 2;
    size_t ncap = *cap < READ_CHUNK ? READ_CHUNK : *cap * 2;
    if (ncap > limit || ncap < *cap)
        ncap = limit;
    char *nb = sim_mem_realloc(m, *buf, *cap, ncap);
    if (nb == NULL)
        return SIM_ENOMEM;
    *buf = nb;
    *cap = ncap;
    return SIM_OK;
}

/* Reads until end of file or until more than max bytes arrived; *buf grows
 * with what actually arrives, so a size the file does not have is never
 * allocated. */
static int read_fd(SimMem *m, int fd, const char *path, size_t max, const char *what, char **buf, size_t *cap,
                   size_t *n, SimErr *err)
{
    for (;;) {
        if (*n + 1 >= *cap && grow(m, buf, cap, max) != SIM_OK)
            return sim_err_set(err, SIM_ENOMEM, "%s: out of memory", path);
        size_t room = *cap - *n - 1;
        ssize_t got = read(fd, *buf + *n, room);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return sim_err_set(err, SIM_EIO, "%s: cannot read: %s", path, strerror(errno));
        if (got == 0)
            return SIM_OK;
        *n += (size_t)got;
        if (*n > max)
            return too_big(path, max, what, err);
    }
}

static size_t test_cap(size_t max);

/* Opens path for reading and refuses what cannot be the file asked for. A
 * device or FIFO, whose size shows only as it is read, gets the test cap
 * (*max lowered). */
static int open_input(const char *path, size_t *max, const char *what, int *fd, SimErr *err)
{
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0)
        return sim_err_set(err, SIM_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    int rc = SIM_OK;
    if (fstat(*fd, &st) != 0)
        rc = sim_err_set(err, SIM_EIO, "%s: cannot open: %s", path, strerror(errno));
    else if (S_ISDIR(st.st_mode))
        rc = sim_err_set(err, SIM_EIO, "%s: is a folder, not %s", path, what);
    else if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > (uintmax_t)*max)
        rc = too_big(path, *max, what, err);
    else if (!S_ISREG(st.st_mode))
        *max = test_cap(*max);
    if (rc != SIM_OK) {
        close(*fd);
        *fd = -1;
    }
    return rc;
}

/* max, or KUBESIM_TEST_INPUT_CAP when that is a smaller positive byte count
 * (fileio.h: the test suite's sanitizer build; devices and FIFOs only). */
static size_t test_cap(size_t max)
{
    const char *e = getenv("KUBESIM_TEST_INPUT_CAP");
    if (e == NULL || *e < '0' || *e > '9')
        return max;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(e, &end, 10);
    return errno == 0 && *end == '\0' && v > 0 && v < max ? (size_t)v : max;
}

int sim_file_read(SimMem *m, const char *path, size_t max, const char *what, char **out, size_t *len,
                  SimErr *err)
{
    *out = NULL;
    *len = 0;
    int fd;
    int rc = open_input(path, &max, what, &fd, err);
    if (rc != SIM_OK)
        return rc;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    rc = read_fd(m, fd, path, max, what, &buf, &cap, &n, err);
    close(fd);
    if (rc != SIM_OK) {
        sim_mem_free(m, buf, cap);
        return rc;
    }
    buf = sim_mem_realloc(m, buf, cap, n + 1);   /* a shrink: it keeps the block if it cannot move it */
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return SIM_OK;
}

/* ---- writing ------------------------------------------------------------ */

/* Writes all len bytes to fd; -1 with errno set on failure. */
static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t put = write(fd, p, len);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0) {
            if (put == 0)
                errno = EIO;
            return -1;
        }
        p += put;
        len -= (size_t)put;
    }
    return 0;
}

/* A device or FIFO cannot be replaced by a rename (and must not be: renaming
 * over /dev/full would swap the device for a file), so it is written directly. */
static int write_in_place(const char *path, const void *data, size_t len, SimErr *err)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return sim_err_set(err, SIM_EIO, "%s: cannot write: %s", path, strerror(errno));
    int bad = write_all(fd, data, len) != 0;
    int e = errno;
    if (close(fd) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    return bad ? sim_err_set(err, SIM_EIO, "%s: cannot write: %s", path, strerror(e)) : SIM_OK;
}

/* The mode a new file gets from open(2): 0666 less the umask. mkstemp makes
 * 0600, which would hide a report from the rest of the team. Reading the
 * umask means setting it; it is put back at once. */
static mode_t new_file_mode(void)
{
    mode_t um = umask(022);
    umask(um);
    return (mode_t)(0666 & ~um);
}

/* Writes, syncs and closes the temporary; the reason is in errno on -1. */
static int fill_temp(int fd, const void *data, size_t len, mode_t mode)
{
    int bad = write_all(fd, data, len) != 0 || fchmod(fd, mode) != 0 || fsync(fd) != 0;
    int e = errno;
    if (close(fd) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    errno = e;
    return bad ? -1 : 0;
}

/* Replaces path by way of a temporary beside it; messages name the path the
 * user gave (name), which differs from path when that is a link. */
static int write_beside(const char *path, const char *name, const struct stat *old, const void *data, size_t len,
                        SimErr *err)
{
    char tmp[PATH_MAX + 16];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp)
        return sim_err_set(err, SIM_EIO, "%s: cannot write: the path is too long", name);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return sim_err_set(err, SIM_EIO, "%s: cannot write: %s", name, strerror(errno));
    mode_t mode = old ? (mode_t)(old->st_mode & 07777) : new_file_mode();
    if (fill_temp(fd, data, len, mode) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return sim_err_set(err, SIM_EIO, "%s: cannot write: %s", name, strerror(e));
    }
    return SIM_OK;
}

int sim_file_replace(const char *path, const void *data, size_t len, SimErr *err)
{
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode))
        return sim_err_set(err, SIM_EIO, "%s: cannot write: it is a folder", path);
    if (exists && !S_ISREG(st.st_mode))
        return write_in_place(path, data, len, err);
    /* A link to a regular file (a dotfile kept elsewhere, /dev/stdout when
     * stdout is a file) is kept: the file it names is replaced, beside
     * itself, never the link and never a temporary in the link's folder. */
    char real[PATH_MAX];
    struct stat lst;
    const char *target = exists && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) && realpath(path, real) ? real
                                                                                                      : path;
    return write_beside(target, path, exists ? &st : NULL, data, len, err);
}
