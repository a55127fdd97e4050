/*
 * cmd_replay.c: `kubesim replay RUN_DIR|TRACE.kst`: plays a run's trace in a
 * window, or renders one frame to a PNG (--png --at) or plays frames headless
 * (--frames) without a display. Argument parsing only; render/ does the work.
 */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "render/rnd.h"
#include "scenarios/scn.h"

#define FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

static void usage(FILE *f)
{
    fprintf(f, "usage: kubesim replay RUN_DIR|TRACE.kst [--size WxH] [--speed X] [--font FILE]\n"
               "                      [--png FILE --at TIME] [--frames N]\n\n"
               "Plays a run back from its trace alone: a panel per region, node groups as rows,\n"
               "a cell per node coloured by requested CPU/memory/GPU over allocatable (grey\n"
               "outline: provisioning; magenta: NotReady; dark dot: cordoned), pending pods,\n"
               "nodes, p95 latency and backtest backlog over time, and the time line.\n"
               "Keys: space pause, left/right seek, +/- speed, Home/End, q or Escape quit;\n"
               "a click on the time line seeks.\n\n"
               "  --size WxH     window or image size (default 1280x800)\n"
               "  --speed X      simulated seconds per wall second (default: the run in ~60 s)\n"
               "  --font FILE    TrueType font (default DejaVuSans; without one, no text)\n"
               "  --png FILE     render the frame at --at into FILE, no window\n"
               "  --at TIME      14:05 or 14:05:30: that time on the scenario's clock (its\n"
               "                 timezone and date); +1h30m, +90m, +5400s, 90m, 5400: an offset\n"
               "                 from the start. A time outside the run is refused (exit 2).\n"
               "                 A run whose scenario sets no timezone or date reads 1:30 as\n"
               "                 an offset, as before.\n"
               "  --frames N     play N frames headless, print {\"frames\":N,\"fps\":F}\n\n"
               "exit codes: 0 success, 2 a missing or corrupt trace, or bad usage.\n");
}

typedef struct Args {
    const char *run, *png, *at, *font;
    RndFrameOpts o;
    long frames;
} Args;

static int parse_size(const char *s, RndFrameOpts *o)
{
    char tail;
    if (sscanf(s, "%dx%d%c", &o->w, &o->h, &tail) != 2 || o->w < 64 || o->h < 64 || o->w > 16384 || o->h > 16384) {
        fprintf(stderr, "kubesim replay: --size '%s': expected WxH, each 64 to 16384\n", s);
        return -1;
    }
    return 0;
}

static int parse(int argc, char **argv, Args *a)
{
    static const struct option opts[] = {
        {"size", required_argument, NULL, 's'}, {"speed", required_argument, NULL, 'v'},
        {"png", required_argument, NULL, 'p'},  {"at", required_argument, NULL, 'a'},
        {"frames", required_argument, NULL, 'f'}, {"font", required_argument, NULL, 'F'}, {0, 0, 0, 0}};
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's': if (parse_size(optarg, &a->o)) return -1; break;
        case 'v': a->o.speed = strtod(optarg, &end);
                  if (*end || !(a->o.speed > 0)) { fprintf(stderr, "kubesim replay: --speed '%s': expected a positive number\n", optarg); return -1; }
                  break;
        case 'p': a->png = optarg; break;
        case 'a': a->at = optarg; break;
        case 'F': a->font = optarg; break;
        case 'f': a->frames = strtol(optarg, &end, 10);
                  if (*end || a->frames < 1 || a->frames > 1000000) { fprintf(stderr, "kubesim replay: --frames '%s': expected 1 to 1000000\n", optarg); return -1; }
                  break;
        default: usage(stderr); return -1;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "kubesim replay: expected one RUN_DIR or TRACE.kst (see kubesim replay --help)\n");
        return -1;
    }
    a->run = argv[optind];
    return 0;
}

/* RUN_DIR means RUN_DIR/trace.kst. */
static void trace_path(const char *run, char *out, size_t n)
{
    struct stat st;
    if (stat(run, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(out, n, "%s/trace.kst", run);
    else
        snprintf(out, n, "%s", run);
}

/* What the replay does; a failure's message is copied from r into err. */
static int act(RndReplay *r, Args *a, SimErr *err)
{
    if (a->o.speed == 0)
        a->o.speed = (double)rnd_replay_duration(r) / 1e9 / 60.0 > 0 ? (double)rnd_replay_duration(r) / 1e9 / 60.0 : 1;
    int rc;
    if (a->png) {
        SimTime t = 0;
        if (a->at && rnd_replay_at(r, a->at, &t, err) != SIM_OK)
            return SIM_EINVAL;
        rc = rnd_replay_png(r, t, &a->o, a->png);
    } else if (a->frames > 0) {
        double fps = 0;
        rc = rnd_replay_frames(r, (int)a->frames, &a->o, &fps);
        if (rc == SIM_OK)
            printf("{\"frames\":%ld,\"width\":%d,\"height\":%d,\"fps\":%.1f}\n", a->frames, a->o.w, a->o.h, fps);
    } else {
        rc = rnd_replay_window(r, &a->o);
    }
    return rc == SIM_OK ? SIM_OK : sim_err_set(err, rc, "%s", rnd_replay_errmsg(r));
}

int cmd_replay(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_OK;
    }
    Args a = {.o = {.w = 1280, .h = 800}, .font = FONT};
    if (parse(argc, argv, &a))
        return CLI_BAD_INPUT;
    if (a.at && !a.png) {
        fprintf(stderr, "kubesim replay: --at needs --png\n");
        return CLI_BAD_INPUT;
    }
    a.o.font = access(a.font, R_OK) == 0 ? a.font : NULL;
    if (a.o.font == NULL && strcmp(a.font, FONT) != 0)
        fprintf(stderr, "kubesim replay: font '%s' cannot be read (%s); drawing without text\n", a.font,
                strerror(errno));
    char path[4096];
    SimErr err = SIM_ERR_INIT;
    trace_path(a.run, path, sizeof path);
    SimMem m;
    sim_mem_init(&m);
    RndReplay *r = NULL;
    SimTrSchema schema;
    int rc = scn_trace_schema(&schema);
    if (rc == SIM_OK)
        rc = rnd_replay_open(&m, &schema, path, &r, &err);
    if (rc == SIM_OK)
        rc = act(r, &a, &err);
    rnd_replay_close(r);
    if (rc != SIM_OK) {
        fprintf(stderr, "kubesim replay: %s\n", sim_err_msg(&err));
        return CLI_BAD_INPUT;
    }
    return CLI_OK;
}
