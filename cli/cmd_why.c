/*
 * cmd_why.c: `kubesim why RUN_DIR (pod|workload|node|service) NAME [--at TIME]
 * [--json]`: one causal timeline for an object of a finished run, read from
 * its trace.kst alone. Argument parsing only; rnd_why() does the work.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "render/rnd.h"
#include "scenarios/scn.h"
#include "sim/trace.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: kubesim why RUN_DIR (pod NAME | workload NAME | node NAME | service NAME)\n"
               "                  [--at TIME] [--json]\n\n"
               "Why an object of a finished run is as it is: one timeline joining every\n"
               "component's decisions about it, read from RUN_DIR/trace.kst (RUN_DIR may also\n"
               "be the trace file itself), times on the scenario's clock (or +H:MM:SS from the\n"
               "start). A headline first: for a pod, how long it waited for a node and for what\n"
               "(the scheduler's reason, the autoscaler's scale-up it waited for or why none\n"
               "helped); for a workload, its pods' waits; for a node, its life; for a service,\n"
               "each window over its p95 target and its causes (region down, the HPA limited\n"
               "by a scale-up policy or maxReplicas, pods pending for nodes).\n\n"
               "  --at TIME   the story up to TIME, read as `replay --at` reads it: 14:05 on\n"
               "              the scenario's clock, or +1h30m, +90m, +5400s from the start\n"
               "  --json      one JSON object: kind, name, title, headline, windows (services)\n"
               "              and timeline [{t_seconds, time, component, text, count}]\n\n"
               "exit codes: 0 success; 2 bad usage, an unreadable run, a name the run lacks\n"
               "(the nearest names are printed) or a time outside the run (its span is printed).\n");
}

static int kind_of(const char *s, RndWhyKind *k)
{
    static const char *const names[] = {"pod", "workload", "node", "service"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *k = (RndWhyKind)i;
            return 1;
        }
    return 0;
}

static int run(const char *dir, const RndWhyReq *q)
{
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? "%s/trace.kst" : "%s", dir);
    SimTrSchema schema;
    if (scn_trace_schema(&schema) != SIM_OK)
        return CLI_BAD_INPUT;
    SimMem m;
    sim_mem_init(&m);
    SimErr err = SIM_ERR_INIT;
    int rc = rnd_why(&m, &schema, path, q, stdout, &err);
    if (rc != SIM_OK) {
        fprintf(stderr, "kubesim why: %s\n", err.msg[0] ? err.msg : "failed");
        return CLI_BAD_INPUT;
    }
    return CLI_OK;
}

int cmd_why(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_OK;
    }
    RndWhyReq q = {.kind = RND_WHY_POD, .name = NULL, .at = NULL, .json = 0};
    const char *pos[3];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            q.json = 1;
        } else if (strcmp(argv[i], "--at") == 0 && i + 1 < argc) {
            q.at = argv[++i];
        } else if (strncmp(argv[i], "--at=", 5) == 0) {
            q.at = argv[i] + 5;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "kubesim why: unknown option or missing value '%s' (see kubesim why --help)\n", argv[i]);
            return CLI_BAD_INPUT;
        } else if (npos < 3) {
            pos[npos++] = argv[i];
        } else {
            fprintf(stderr, "kubesim why: unexpected argument '%s' (see kubesim why --help)\n", argv[i]);
            return CLI_BAD_INPUT;
        }
    }
    if (npos != 3) {
        usage(stderr);
        return CLI_BAD_INPUT;
    }
    if (!kind_of(pos[1], &q.kind)) {
        fprintf(stderr, "kubesim why: '%s' is not pod, workload, node or service (see kubesim why --help)\n", pos[1]);
        return CLI_BAD_INPUT;
    }
    q.name = pos[2];
    return run(pos[0], &q);
}
