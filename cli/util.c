/* util.c: what several subcommands share. */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/fileio.h"

char *cli_read_input(const char *path, size_t max, const char *what, size_t *len, char *err, size_t errlen)
{
    SimMem m;
    sim_mem_init(&m);   /* the default hook is realloc/free, so the caller's free() matches */
    char *text;
    return sim_file_read(&m, path, max, what, &text, len, err, errlen) == SIM_OK ? text : NULL;
}

char *cli_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    return cli_read_input(path, SIM_FILE_MAX_JSON, "an input file", len, err, errlen);
}

int cli_write_stdout(const char *cmd, const void *data, size_t len)
{
    if (fwrite(data, 1, len, stdout) == len)
        return 0;
    /* A large fwrite bypasses stdio's buffer, so by the time main flushes
     * stdout the reason is gone: say it now, and let main stay quiet. */
    fprintf(stderr, "kubesim %s: cannot write to standard output: %s\n", cmd, strerror(errno));
    clearerr(stdout);
    return -1;
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
