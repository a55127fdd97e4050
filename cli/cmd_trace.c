/*
 * cmd_trace.c: `kubesim trace dump FILE`: prints a binary trace as JSON lines.
 * Argument parsing only; sim_trace_dump() does the work. Its error message
 * ("FILE: what, at byte offset N") is caught and reprinted after the command's
 * name so every diagnostic of kubesim says which command wrote it.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenarios/scn.h"
#include "sim/trace.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: kubesim trace dump FILE\n\n"
               "Prints the binary trace FILE (trace.kst of a run) as JSON lines on stdout:\n"
               "first {\"meta\":{...}} with the header's scenario, seed and version, then one\n"
               "object per record, e.g. {\"t_ns\":1500000000,\"kind\":\"pod_bind\",\"pod\":3,\"node\":7}.\n"
               "The whole file is checked first (every block's framing, checksum and\n"
               "records), so a damaged or cut file prints nothing on stdout, only an error\n"
               "naming the byte offset. FILE must be a regular file (it is read twice).\n\n"
               "exit codes: 0 success, 2 a missing or corrupt file, or bad usage.\n");
}

/* The library prints its message to a stream over a buffer of ours (not
 * open_memstream's malloc); we add our prefix. */
static int dump(const char *path)
{
    SimMem m;
    sim_mem_init(&m);
    char msg[2048] = "";
    SimTrSchema schema;
    if (scn_trace_schema(&schema) != SIM_OK)
        return CLI_BAD_INPUT;
    FILE *err = fmemopen(msg, sizeof msg - 1, "w");   /* the last byte stays NUL */
    int rc = sim_trace_dump(&m, &schema, path, stdout, err ? err : stderr);
    if (err != NULL) {
        fclose(err);   /* a longer message is cut */
        if (msg[0])
            fprintf(stderr, "kubesim trace: %s", msg);
    }
    if (rc != SIM_OK)
        clearerr(stdout);   /* a failed write was reported above; main need not say it again */
    return rc == SIM_OK ? CLI_OK : CLI_BAD_INPUT;
}

/* argv: "trace" "dump" [--] FILE */
static int cmd_dump(int argc, char **argv)
{
    int i = 2;
    if (i < argc && strcmp(argv[i], "--") == 0) {
        i++;
    } else if (i < argc && argv[i][0] == '-' && argv[i][1] != '\0') {
        fprintf(stderr, "kubesim trace dump: unknown option '%s' (see kubesim trace --help)\n", argv[i]);
        return CLI_BAD_INPUT;
    }
    if (argc - i != 1) {
        fprintf(stderr, "kubesim trace dump: expected one FILE, got %d arguments "
                        "(see kubesim trace --help)\n", argc - i);
        return CLI_BAD_INPUT;
    }
    return dump(argv[i]);
}

int cmd_trace(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_OK;
    }
    if (argc < 2) {
        usage(stderr);
        return CLI_BAD_INPUT;
    }
    if (strcmp(argv[1], "dump") == 0)
        return cmd_dump(argc, argv);
    fprintf(stderr, "kubesim trace: unknown subcommand '%s' (see kubesim trace --help)\n", argv[1]);
    return CLI_BAD_INPUT;
}
