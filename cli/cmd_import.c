/*
 * cmd_import.c: `kubesim import PATH... [--out SCENARIO.lua] [--name NAME]
 * [--region NAME] [--start HH:MM] [--duration D]`: reads Kubernetes
 * manifests into a Lua scenario (k8s-export/import*.c). A folder written by
 * `kubesim export` (DIR/REGION/kustomization.yaml) gives one region per
 * folder; any other folder's *.yaml files, in name order, and plain files go
 * to --region. The scenario is written to a temporary file beside --out and
 * renamed, so bad input (exit 2) leaves nothing behind.
 */
#include <errno.h>
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "sim/fileio.h"

#define MAX_FILES 4096

typedef struct ImportArgs {
    const char *out, *name, *region, *start, *duration;
    char *paths[MAX_FILES];     /* owned */
    char *regions[MAX_FILES];   /* owned */
    size_t n;
} ImportArgs;

static void usage(FILE *f)
{
    fprintf(f, "usage: kubesim import PATH... [--out SCENARIO.lua] [--name NAME] [--region NAME]\n"
               "                      [--start HH:MM] [--duration D]\n\n"
               "Reads Kubernetes manifests (multi-document YAML files; a folder's *.yaml in name order)\n"
               "and writes a Lua scenario for kubesim validate and kubesim run. A folder written by\n"
               "kubesim export gives one region per REGION/ folder; other files go to --region.\n\n"
               "  --out FILE        the scenario (default: standard output)\n"
               "  --name NAME       scenario { name } (default: imported)\n"
               "  --region NAME     the region of plain files (default: imported)\n"
               "  --start HH:MM     scenario { start } (manifests do not hold it)\n"
               "  --duration D      scenario { duration } (manifests do not hold it)\n\n"
               "exit codes: 0 written, 2 bad input or usage\n");
}

static int add(ImportArgs *a, const char *path, const char *region)
{
    if (a->n == MAX_FILES) {
        fprintf(stderr, "kubesim import: more than %d files\n", MAX_FILES);
        return -1;
    }
    a->paths[a->n] = strdup(path);
    a->regions[a->n] = strdup(region);
    if (a->paths[a->n] == NULL || a->regions[a->n] == NULL) {
        free(a->paths[a->n]);
        free(a->regions[a->n]);
        fprintf(stderr, "kubesim import: out of memory\n");
        return -1;
    }
    a->n++;
    return 0;
}

static int yaml_name(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return e->d_name[0] != '.' && n > 5 && strcmp(e->d_name + n - 5, ".yaml") == 0;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A folder's *.yaml, or (an export) each REGION/ folder's. */
static int add_dir(ImportArgs *a, const char *dir, const char *region, int depth)
{
    struct dirent **es;
    int n = scandir(dir, &es, NULL, alphasort), rc = 0;
    if (n < 0) {
        fprintf(stderr, "kubesim import: %s: cannot read the folder: %s\n", dir, strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, es[i]->d_name);
        char kust[4200];
        snprintf(kust, sizeof kust, "%s/kustomization.yaml", p);
        if (rc == 0 && depth == 0 && es[i]->d_name[0] != '.' && is_dir(p) && access(kust, F_OK) == 0)
            rc = add_dir(a, p, es[i]->d_name, 1);
        else if (rc == 0 && yaml_name(es[i]))
            rc = add(a, p, region);
        free(es[i]);
    }
    free(es);
    return rc;
}

static int parse_args(int argc, char **argv, ImportArgs *a)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'}, {"name", required_argument, NULL, 'n'},
        {"region", required_argument, NULL, 'r'}, {"start", required_argument, NULL, 's'},
        {"duration", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'o': a->out = optarg; break;
        case 'n': a->name = optarg; break;
        case 'r': a->region = optarg; break;
        case 's': a->start = optarg; break;
        case 'd': a->duration = optarg; break;
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return -1;
        }
    }
    if (optind == argc) {
        usage(stderr);
        return -1;
    }
    for (; optind < argc; optind++) {
        int rc = is_dir(argv[optind]) ? add_dir(a, argv[optind], a->region, 0) : add(a, argv[optind], a->region);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int write_out(const char *out, const char *text, size_t len)
{
    char err[1024];
    if (sim_file_replace(out, text, len, err, sizeof err) != SIM_OK) {
        fprintf(stderr, "kubesim import: %s\n", err);
        return CLI_BAD_INPUT;
    }
    return CLI_OK;
}

static int run_import(ImportArgs *a)
{
    KxImportFile files[MAX_FILES];
    char *texts[MAX_FILES] = {0}, err[1024];
    int rc = CLI_OK;
    for (size_t i = 0; i < a->n && rc == CLI_OK; i++) {
        files[i] = (KxImportFile){.path = a->paths[i], .region = a->regions[i]};
        texts[i] = cli_read_file(a->paths[i], &files[i].len, err, sizeof err);
        files[i].text = texts[i];
        if (texts[i] == NULL) {
            fprintf(stderr, "kubesim import: %s\n", err);
            rc = CLI_BAD_INPUT;
        }
    }
    SimMem m;
    sim_mem_init(&m);
    char *text = NULL;
    size_t len = 0;
    KxImportOptions o = {.name = a->name, .start = a->start, .duration = a->duration};
    if (rc == CLI_OK && kx_import(&m, files, a->n, &o, &text, &len, err, sizeof err) != SIM_OK) {
        fprintf(stderr, "kubesim import: %s\n", err);
        rc = CLI_BAD_INPUT;
    }
    if (rc == CLI_OK)
        rc = a->out ? write_out(a->out, text, len) : (cli_write_stdout("import", text, len) == 0 ? CLI_OK : CLI_BAD_INPUT);
    if (text)
        sim_mem_free(&m, text, len + 1);
    for (size_t i = 0; i < a->n; i++)
        free(texts[i]);
    return rc;
}

int cmd_import(int argc, char **argv)
{
    ImportArgs a = {.region = "imported"};
    int r = parse_args(argc, argv, &a);
    int rc = r < 0 ? CLI_BAD_INPUT : r > 0 ? CLI_OK : run_import(&a);
    for (size_t i = 0; i < a.n; i++) {
        free(a.paths[i]);
        free(a.regions[i]);
    }
    return rc;
}
