/* util.c: what several subcommands share. */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *cli_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap + 1);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, (cap *= 2) + 1);
            if (nb == NULL)
                free(buf);
            buf = nb;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (buf == NULL || bad) {
        snprintf(err, errlen, "%s: %s", path, buf ? "read error" : "out of memory");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

int cli_parse_u64(const char *cmd, const char *flag, const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *s == '\0' || *end != '\0' || *s == '-') {
        fprintf(stderr, "kubesim %s: %s '%s': expected a non-negative whole number\n", cmd, flag, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_scenario_arg(const char *cmd, int argc, char **argv, const char **scenario)
{
    if (optind < argc)
        *scenario = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "kubesim %s: unexpected argument '%s'\n", cmd, argv[optind]);
        return -1;
    }
    return 0;
}

int cli_push(const char *cmd, char **v, size_t *n, size_t cap, char *s, const char *flag)
{
    if (*n == cap) {
        fprintf(stderr, "kubesim %s: too many %s flags (at most %zu)\n", cmd, flag, cap);
        return -1;
    }
    v[(*n)++] = s;
    return 0;
}
