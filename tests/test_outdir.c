/*
 * test_outdir.c: what kubesim may do to the user's folders, end to end. A
 * scenario's name cannot point the default output (runs/NAME-SEED,
 * runs/NAME-sweep-SEED, manifests/NAME) outside; an --out folder kubesim did
 * not write is refused unless --force, before any work; SIGINT, SIGTERM and
 * SIGHUP during run and sweep (workers included) leave no temporary folder
 * and no process, with exit 128 + the signal; a sweep's files are the same
 * bytes whatever --jobs, and merged shards give the whole sweep's sweep.json.
 * The sim_outdir unit tests are in test_sim.c.
 */
#include "tb.h"
#include "tr.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAIT_SECONDS 120   /* for a temporary folder to appear, or a process to end */

/* A world that runs in a moment; NAME_LINE is the scenario {} line. */
#define WORLD                                                                                          \
    "region { name = \"r1\", zones = { \"r1-a\" } }\n"                                                 \
    "nodegroup { name = \"cpu\", cpu = \"4\", memory = \"16Gi\", min = 1, max = 1, price = 1.0 }\n"    \
    "deployment { name = \"web\", replicas = param(\"replicas\", 2), cpu = \"1\", memory = \"1Gi\" }\n"

static const char tiny[] = "scenario { name = \"tiny\", duration = \"30m\" }\n" WORLD;

/* Long enough to be interrupted: every simulated second a hook burns time. */
static const char slow[] = "scenario { name = \"slow\", duration = \"240h\" }\n" WORLD
                           "every(\"1s\", function(k) local x = 0 for i = 1, 20000 do x = x + i end end)\n";

static const char *at(const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", tb_dir(), name);
    return buf;
}

static void put(const char *name, const char *text)
{
    tb_write(name, text);
}

static void make_dir(const char *name)
{
    char p[600];
    ck_assert_int_eq(mkdir(at(name, p, sizeof p), 0777), 0);
}

/* Entries of dir/name other than . and ..; -1 when it does not exist. */
static int entries(const char *name)
{
    char p[600];
    return tb_count_entries(at(name, p, sizeof p));
}

/* The name of an entry of the suite's folder that starts with prefix and
 * holds ".tmp-", into buf; 0 when there is none. */
static int find_tmp(const char *prefix, char *buf, size_t n)
{
    DIR *d = opendir(tb_dir());
    ck_assert_ptr_nonnull(d);
    struct dirent *ent;
    int found = 0;
    while (!found && (ent = readdir(d)) != NULL)
        if (strncmp(ent->d_name, prefix, strlen(prefix)) == 0 && strstr(ent->d_name, ".tmp-")) {
            snprintf(buf, n, "%s", ent->d_name);
            found = 1;
        }
    closedir(d);
    return found;
}

static void expect_same_file(const char *a, const char *b)
{
    size_t la, lb;
    char pa[600], pb[600];
    char *x = tb_read(at(a, pa, sizeof pa), &la), *y = tb_read(at(b, pb, sizeof pb), &lb);
    ck_assert_msg(x && y, "%s or %s unreadable", a, b);
    ck_assert_msg(la == lb && memcmp(x, y, la) == 0, "%s and %s differ:\n%s\n---\n%s", a, b, x, y);
    free(x);
    free(y);
}

static void expect_file(const char *name, const char *text)
{
    char p[600];
    char *got = tb_read(at(name, p, sizeof p), NULL);
    ck_assert_msg(got != NULL && strcmp(got, text) == 0, "%s: %s", name, got ? got : "(missing)");
    free(got);
}

/* ---- names ------------------------------------------------------------------ */

/* Folders beside the suite's runs/ and manifests/ that a name with "../"
 * would reach (NAME and NAME-42), each with a file that must survive. */
static void victim(const char *name)
{
    char p[300];
    snprintf(p, sizeof p, "%s-42", name);
    make_dir(p);
    make_dir(name);
    snprintf(p, sizeof p, "%s-42/precious", name);
    put(p, "keep");
    snprintf(p, sizeof p, "%s/precious", name);
    put(p, "keep");
}

static void victim_intact(const char *name)
{
    char p[300];
    snprintf(p, sizeof p, "%s-42/precious", name);
    expect_file(p, "keep");
    snprintf(p, sizeof p, "%s/precious", name);
    expect_file(p, "keep");
    snprintf(p, sizeof p, "%s-42", name);
    ck_assert_int_eq(entries(p), 1);
    ck_assert_int_eq(entries(name), 1);
    ck_assert_int_eq(entries("runs"), -1);
    ck_assert_int_eq(entries("manifests"), -1);
}

START_TEST(names_cannot_point_the_output_outside)
{
    victim("victim");
    put("escape.lua", "scenario { name = \"../victim-42\", duration = \"30m\" }\n" WORLD);
    ck_assert_int_eq(tb_run("run escape.lua --quiet"), 2);
    ck_assert_msg(strstr(tb_err(), "escape.lua:1: scenario: field 'name': \"../victim-42\" is not a valid scenario "
                                   "name"), "%s", tb_err());
    ck_assert_int_eq(tb_run("sweep escape.lua --vary replicas=1,2 --quiet"), 2);
    ck_assert_int_eq(tb_run("export escape.lua --quiet"), 2);
    put("escape2.lua", "scenario { name = \"../victim\" }\n" WORLD);
    ck_assert_int_eq(tb_run("export escape2.lua --quiet"), 2);
    ck_assert_msg(strstr(tb_err(), "escape2.lua:1") && strstr(tb_err(), "field 'name'"), "%s", tb_err());
    victim_intact("victim");
}
END_TEST

START_TEST(set_scenario_name_cannot_point_the_output_outside)
{
    victim("prey");
    put("settable.lua", tiny);
    ck_assert_int_eq(tb_run("run settable.lua --set scenario.name=../prey-42 --quiet"), 2);
    ck_assert_msg(strstr(tb_err(), "settable.lua:1") && strstr(tb_err(), "(from --set scenario.name)"), "%s",
                  tb_err());
    ck_assert_int_eq(tb_run("sweep settable.lua --set scenario.name=../prey --vary replicas=1,2 --quiet"), 2);
    ck_assert_int_eq(tb_run("export settable.lua --set scenario.name=../prey --quiet"), 2);
    ck_assert_int_eq(tb_run("run settable.lua --set scenario.name=/tmp --quiet"), 2);
    ck_assert_int_eq(tb_run("run settable.lua --set scenario.name=.. --quiet"), 2);
    victim_intact("prey");
}
END_TEST

/* Control characters and invalid UTF-8 are refused and shown escaped: the
 * terminal never gets the raw bytes. */
START_TEST(bad_name_bytes_never_reach_the_terminal)
{
    put("esc.lua", "scenario { name = \"a\\27[2Jb\" }\n" WORLD);
    ck_assert_int_eq(tb_run("run esc.lua --quiet --out esc"), 2);
    ck_assert_msg(strstr(tb_err(), "\"a\\x1b[2Jb\"") != NULL, "%s", tb_err());
    ck_assert_ptr_null(strchr(tb_err(), 0x1b));
    put("utf.lua", "scenario { name = \"caf\\xc3\\xa9\\xff\" }\n" WORLD);
    ck_assert_int_eq(tb_run("run utf.lua --quiet --out utf"), 2);
    ck_assert_msg(strstr(tb_err(), "\"caf\\xc3\\xa9\\xff\"") != NULL, "%s", tb_err());
    for (const char *p = tb_err(); *p; p++)
        ck_assert_msg((unsigned char)*p < 0x80, "a raw byte reached stderr: %s", tb_err());
    ck_assert_int_eq(entries("esc"), -1);
    ck_assert_int_eq(entries("utf"), -1);
}
END_TEST

/* Without scenario { name }, the file's stem is made a valid name (last in
 * its case: it writes runs/, which the cases above check is absent). */
START_TEST(a_file_stem_becomes_a_valid_name)
{
    put("my run (v2).lua", WORLD);
    ck_assert_int_eq(tb_run("run 'my run (v2).lua' --quiet"), 0);
    char p[600];
    char *sum = tb_read(at("runs/my-run--v2-42/summary.json", p, sizeof p), NULL);
    ck_assert_msg(sum && strstr(sum, "\"scenario\":\t\"my-run--v2\""), "%s", sum ? sum : "(no summary)");
    free(sum);
}
END_TEST

/* ---- existing --out folders ---------------------------------------------------- */

/* The folder holds the user's file, as before, and nothing else. */
static void untouched(const char *dir)
{
    char f[600];
    snprintf(f, sizeof f, "%s/notes.txt", dir);
    expect_file(f, "mine");
    ck_assert_int_eq(entries(dir), 1);
    char tmp[256];
    ck_assert_msg(!find_tmp(dir, tmp, sizeof tmp), "left %s", tmp);
}

static void refused(const char *dir)
{
    ck_assert_msg(strstr(tb_err(), dir) && strstr(tb_err(), "'notes.txt', which kubesim did not write") &&
                  strstr(tb_err(), "--force"), "%s", tb_err());
    untouched(dir);
}

START_TEST(out_folder_kubesim_did_not_write_is_refused)
{
    put("refuse.lua", "scenario { name = \"refuse\", duration = \"30m\" }\n" WORLD
                      "at(\"00:00\", function(k) k.log(\"the run started\") end)\n");
    make_dir("proj");
    put("proj/notes.txt", "mine");
    ck_assert_int_eq(tb_run("run refuse.lua --out proj"), 2);
    refused("proj");
    ck_assert_msg(strstr(tb_err(), "the run started") == NULL, "refused only after the run: %s", tb_err());
    ck_assert_int_eq(tb_run("sweep refuse.lua --vary replicas=1,2 --out proj --jobs 2"), 2);
    refused("proj");
    ck_assert_int_eq(tb_run("sweep --merge nowhere --out proj"), 2);   /* a bad merge: nothing touched */
    untouched("proj");
    ck_assert_int_eq(tb_run("export refuse.lua --out proj"), 2);
    refused("proj");
    ck_assert_int_eq(tb_run("run refuse.lua --out proj/.. --quiet"), 2);   /* the suite's own folder */
    untouched("proj");
}
END_TEST

/* A folder kubesim wrote is replaced, by any command; --force replaces the
 * user's folder; a file is never replaced. */
START_TEST(out_folder_kubesim_wrote_is_replaced)
{
    put("again.lua", tiny);
    ck_assert_int_eq(tb_run("run again.lua --quiet --out o"), 0);
    ck_assert_int_eq(tb_run("run again.lua --quiet --out o --seed 7"), 0);
    ck_assert_int_eq(tb_run("export again.lua --quiet --out o"), 0);
    ck_assert_int_eq(tb_run("sweep again.lua --vary replicas=1,2 --quiet --out o"), 0);
    ck_assert(tb_exists("o/sweep.json") && tb_exists("o/.kubesim") && !tb_exists("o/r1"));
    make_dir("empty");
    ck_assert_int_eq(tb_run("run again.lua --quiet --out empty"), 0);
    ck_assert(tb_exists("empty/summary.json"));
    make_dir("forced");
    put("forced/notes.txt", "mine");
    ck_assert_int_eq(tb_run("export again.lua --quiet --out forced --force"), 0);
    ck_assert(!tb_exists("forced/notes.txt") && tb_exists("forced/r1/kustomization.yaml"));
    put("afile", "mine");
    ck_assert_int_eq(tb_run("run again.lua --quiet --out afile --force"), 2);
    ck_assert_msg(strstr(tb_err(), "'afile': exists and is not a folder (a file)"), "%s", tb_err());
    expect_file("afile", "mine");
    char tmp[256];
    ck_assert_msg(!find_tmp("", tmp, sizeof tmp), "left %s", tmp);
}
END_TEST

/* ---- signals ---------------------------------------------------------------------- */

/* Starts `kubesim ARGS...` in the suite's folder as the leader of a new
 * process group (its pid is the group's id). */
static pid_t start(const char *const *args)
{
    char *argv[32];
    size_t n = 0;
    argv[n++] = (char *)tb_bin();
    for (; args[n - 1] && n < 31; n++)
        argv[n] = (char *)args[n - 1];
    argv[n] = NULL;
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (setpgid(0, 0) != 0 || chdir(tb_dir()) != 0 || null < 0)
            _exit(126);
        dup2(null, 0), dup2(null, 1);
        execv(argv[0], argv);
        _exit(127);
    }
    setpgid(pid, pid);   /* also here, so the group exists whoever runs first */
    return pid;
}

static void pause_a_little(void)
{
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

/* Waits until the suite's folder holds PREFIX*.tmp-* (and, if sub is not
 * NULL, that folder holds sub); fails after WAIT_SECONDS. */
static void wait_for_tmp(pid_t pid, const char *prefix, const char *sub)
{
    char name[256], p[900];
    for (int i = 0; i < WAIT_SECONDS * 50; i++) {
        if (find_tmp(prefix, name, sizeof name)) {
            snprintf(p, sizeof p, "%s/%s", name, sub ? sub : "");
            if (sub == NULL || tb_exists(p))
                return;
        }
        int st;
        ck_assert_msg(waitpid(pid, &st, WNOHANG) == 0, "kubesim ended before its temporary folder appeared");
        pause_a_little();
    }
    ck_abort_msg("no %s*.tmp-* folder after %d s", prefix, WAIT_SECONDS);
}

/* The exit code of pid, which must exit (not die) within WAIT_SECONDS. */
static int exit_code(pid_t pid)
{
    int st = 0;
    pid_t got = 0;
    for (int i = 0; i < WAIT_SECONDS * 50 && (got = waitpid(pid, &st, WNOHANG)) == 0; i++)
        pause_a_little();
    if (got == 0)
        kill(-pid, SIGKILL), waitpid(pid, &st, 0);
    ck_assert_msg(got == pid, "kubesim did not end within %d s of the signal", WAIT_SECONDS);
    ck_assert_msg(WIFEXITED(st), "kubesim died of signal %d instead of exiting", WTERMSIG(st));
    return WEXITSTATUS(st);
}

static void no_debris(const char *prefix)
{
    char name[256];
    ck_assert_msg(!find_tmp(prefix, name, sizeof name), "left %s", name);
    ck_assert_int_eq(entries(prefix), -1);
}

START_TEST(run_stopped_by_a_signal_leaves_nothing)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    static const char *const outs[] = {"sig-int", "sig-term", "sig-hup"};
    put("slow.lua", slow);
    for (int i = 0; i < 3; i++) {
        const char *args[] = {"run", "slow.lua", "--quiet", "--out", outs[i], NULL};
        pid_t pid = start(args);
        wait_for_tmp(pid, outs[i], "trace.kst");
        kill(pid, sigs[i]);
        ck_assert_int_eq(exit_code(pid), 128 + sigs[i]);
        no_debris(outs[i]);
    }
}
END_TEST

/* The parent alone gets SIGTERM (a process manager): it stops its workers.
 * The sweeps here keep their runs (--keep-runs) so that a worker's trace.kst
 * in the temporary folder shows it is mid-run when the signal comes.
 * The whole group gets SIGINT (Ctrl-C at a terminal): the workers die, the
 * parent cleans up. Either way no process of the group is left. */
START_TEST(sweep_stopped_by_a_signal_leaves_no_worker)
{
    put("slow-sweep.lua", slow);
    for (int whole_group = 0; whole_group < 2; whole_group++) {
        const char *out = whole_group ? "sweep-int" : "sweep-term";
        const char *args[] = {"sweep", "slow-sweep.lua", "--vary", "replicas=1,2", "--jobs", "2",
                              "--quiet", "--keep-runs", "--out", out, NULL};
        pid_t pid = start(args);
        wait_for_tmp(pid, out, "configs/1/trace.kst");
        wait_for_tmp(pid, out, "configs/0/trace.kst");
        int sig = whole_group ? SIGINT : SIGTERM;
        kill(whole_group ? -pid : pid, sig);
        ck_assert_int_eq(exit_code(pid), 128 + sig);
        errno = 0;
        ck_assert_msg(kill(-pid, 0) != 0 && errno == ESRCH, "a worker survived its sweep");
        no_debris(out);
    }
}
END_TEST

/* Processes of group pgid that are alive (not zombies waiting for init). */
static int live_in_group(pid_t pgid)
{
    DIR *d = opendir("/proc");
    struct dirent *ent;
    int n = 0;
    while (d != NULL && (ent = readdir(d)) != NULL) {
        char path[300], buf[1024];
        snprintf(path, sizeof path, "/proc/%s/stat", ent->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        size_t got = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[got] = '\0';
        char state;
        int ppid, pgrp;
        const char *rp = strrchr(buf, ')');   /* the command name may hold spaces */
        if (rp && sscanf(rp + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 && pgrp == pgid && state != 'Z')
            n++;
    }
    if (d != NULL)
        closedir(d);
    return n;
}

/* A parent killed outright cannot clean up, but its workers must not run on
 * for minutes writing into an abandoned folder: the kernel stops them. */
START_TEST(sweep_parent_killed_outright_takes_its_workers)
{
    put("slow-kill.lua", slow);
    const char *args[] = {"sweep", "slow-kill.lua", "--vary", "replicas=1,2", "--jobs", "2", "--quiet",
                          "--keep-runs", "--out", "sweep-kill", NULL};
    pid_t pid = start(args);
    wait_for_tmp(pid, "sweep-kill", "configs/1/trace.kst");
    wait_for_tmp(pid, "sweep-kill", "configs/0/trace.kst");
    kill(pid, SIGKILL);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    int live = 1;
    for (int i = 0; i < 200 && (live = live_in_group(pid)) > 0; i++)
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    ck_assert_msg(live == 0, "%d worker(s) outlived their killed sweep", live);
}
END_TEST

/* With one worker the sweep runs in the process itself. */
START_TEST(sweep_in_process_stopped_by_a_signal)
{
    put("slow-one.lua", slow);
    const char *args[] = {"sweep", "slow-one.lua", "--vary", "replicas=1,2", "--jobs", "1", "--keep-runs", "--out",
                          "sweep-one", NULL};
    pid_t pid = start(args);
    wait_for_tmp(pid, "sweep-one", "configs/0/trace.kst");
    kill(pid, SIGHUP);
    ck_assert_int_eq(exit_code(pid), 128 + SIGHUP);
    no_debris("sweep-one");
}
END_TEST

/* ---- sweeps' bytes ---------------------------------------------------------------- */

START_TEST(sweep_configuration_summaries_do_not_depend_on_jobs)
{
    put("bytes.lua", tiny);
    const char *vary = "--vary replicas=2,6 --vary cpu.max=1,2";
    ck_assert_int_eq(tb_run("sweep bytes.lua %s --jobs 1 --quiet --out j1", vary), 0);
    ck_assert_int_eq(tb_run("sweep bytes.lua %s --jobs 3 --quiet --out j3", vary), 0);
    char a[64], b[64];
    for (int i = 0; i < 4; i++) {
        snprintf(a, sizeof a, "j1/configs/%d/summary.json", i);
        snprintf(b, sizeof b, "j3/configs/%d/summary.json", i);
        expect_same_file(a, b);
    }
    expect_same_file("j1/.kubesim", "j3/.kubesim");
    char p[600];
    char *sum = tb_read(at("j1/configs/0/summary.json", p, sizeof p), NULL);
    ck_assert_msg(sum && strstr(sum, "\"wall_seconds\":\tnull"), "%s", sum ? sum : "(missing)");
    free(sum);
}
END_TEST

START_TEST(merged_shards_give_the_whole_sweep_json)
{
    put("merge.lua", tiny);
    const char *vary = "--vary replicas=2,6 --vary cpu.max=1,2";
    ck_assert_int_eq(tb_run("sweep merge.lua %s --seed 9 --quiet --out whole", vary), 0);
    ck_assert_int_eq(tb_run("sweep merge.lua %s --seed 9 --shard 0/2 --quiet --out s0", vary), 0);
    ck_assert_int_eq(tb_run("sweep merge.lua %s --seed 9 --shard 1/2 --quiet --out s1", vary), 0);
    ck_assert_int_eq(tb_run("sweep --merge s1 s0/sweep.csv --quiet --out merged"), 0);
    expect_same_file("whole/sweep.json", "merged/sweep.json");
    expect_same_file("whole/sweep.csv", "merged/sweep.csv");
    ck_assert_int_eq(tb_run("sweep merge.lua %s --seed 10 --shard 1/2 --quiet --out t1", vary), 0);
    ck_assert_int_eq(tb_run("sweep --merge s0 t1 --quiet --out mixed"), 2);
    ck_assert_msg(strstr(tb_err(), "t1/sweep.json: key 'seed' is 10, an earlier shard's is 9"), "%s", tb_err());
    ck_assert_int_eq(entries("mixed"), -1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("outdir");
    TCase *names = tcase_create("names");
    tcase_add_test(names, names_cannot_point_the_output_outside);
    tcase_add_test(names, set_scenario_name_cannot_point_the_output_outside);
    tcase_add_test(names, bad_name_bytes_never_reach_the_terminal);
    tcase_add_test(names, a_file_stem_becomes_a_valid_name);
    suite_add_tcase(s, names);
    TCase *out = tcase_create("out");
    tcase_set_timeout(out, 300);
    tcase_add_test(out, out_folder_kubesim_did_not_write_is_refused);
    tcase_add_test(out, out_folder_kubesim_wrote_is_replaced);
    suite_add_tcase(s, out);
    TCase *sig = tcase_create("signals");
    tcase_set_timeout(sig, 4 * WAIT_SECONDS);
    tcase_add_test(sig, run_stopped_by_a_signal_leaves_nothing);
    tcase_add_test(sig, sweep_stopped_by_a_signal_leaves_no_worker);
    tcase_add_test(sig, sweep_in_process_stopped_by_a_signal);
    tcase_add_test(sig, sweep_parent_killed_outright_takes_its_workers);
    suite_add_tcase(s, sig);
    TCase *sw = tcase_create("sweep");
    tcase_set_timeout(sw, 300);
    tcase_add_test(sw, sweep_configuration_summaries_do_not_depend_on_jobs);
    tcase_add_test(sw, merged_shards_give_the_whole_sweep_json);
    suite_add_tcase(s, sw);
    return s;
}

int main(void)
{
    if (tb_setup("outdir") != 0)
        return 2;
    int failed = tr_run(suite(), 0);
    tb_cleanup();
    return failed ? 1 : 0;
}
