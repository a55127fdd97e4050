/*
 * test_io.c: input size caps and write failures (issue 12, items 8, 9 and 11).
 * sim/fileio.c's capped reads and all-or-nothing writes, then the kubesim
 * binary: every command that writes to stdout, run with stdout on /dev/full,
 * must exit 2 and say why (it exited 0 with nothing written); every file it
 * writes (--png, --openmetrics, --out) onto /dev/full or into a missing folder
 * likewise, naming the path the user gave; every loader given /dev/zero or a
 * folder stops at its cap or names the folder.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/fileio.h"

#include "tb.h"
#include "tr.h"

/* ---- helpers -------------------------------------------------------------- */

/* An allocator hook that remembers the largest block asked for, to prove a
 * read never allocated much more than its cap. */
static void *peak_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)osize;
    size_t *peak = ud;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    if (nsize > *peak)
        *peak = nsize;
    return realloc(ptr, nsize);
}

static void peak_mem(SimMem *m, size_t *peak)
{
    sim_mem_init(m);
    *peak = 0;
    m->fn = peak_alloc;
    m->ud = peak;
}

/* Runs `kubesim ARGS` in the suite's folder with stdout on /dev/full; the
 * exit code, and what it printed on stderr in text (n bytes). */
static int run_full(const char *args, char *text, size_t n)
{
    char cmd[8192], epath[512];
    snprintf(epath, sizeof epath, "%s/full.err", tb_dir());
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >/dev/full 2>'%s' </dev/null", tb_dir(), tb_bin(), args,
             epath);
    int st = system(cmd);
    tb_slurp(epath, text, n);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* /dev/full must still be the device: renaming a temporary over it (what
 * the old --png and --openmetrics did, run as root) would replace it. */
static void assert_dev_full_intact(void)
{
    struct stat st;
    ck_assert_int_eq(stat("/dev/full", &st), 0);
    ck_assert_msg(S_ISCHR(st.st_mode), "/dev/full is no longer a character device");
}

static void assert_no_debris(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "find '%s' -name '*.tmp*' | grep -q .", tb_dir());
    ck_assert_msg(system(cmd) != 0, "a temporary file was left behind in %s", tb_dir());
}

static const char *fixture(const char *rel)
{
    static char path[1024];
    const char *src = getenv("KUBESIM_SRC");
    ck_assert_ptr_nonnull(src);
    snprintf(path, sizeof path, "%s/tests/fixtures/%s", src, rel);
    return path;
}

/* A path in the suite's folder (valid until the next call). */
static const char *in_dir(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tb_dir(), name);
    return path;
}

/* A manifest `kubesim import` turns into a scenario. */
static void write_manifest(const char *name)
{
    tb_write(name, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n"
                   "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
                   "    spec:\n      containers:\n      - name: web\n        image: nginx\n"
                   "        resources:\n          requests: {cpu: 100m, memory: 128Mi}\n");
}

/* One run of the built-in scenario the trace tests share. */
static void ensure_run(void)
{
    if (!tb_exists("r/trace.kst"))
        ck_assert_msg(tb_run("run --quiet --out r") == 0, "%s", tb_err());
}

/* ---- sim_file_read -------------------------------------------------------- */

/* Issue 12: `explain` of /dev/zero allocated 2 GB before giving up. */
START_TEST(io_read_of_dev_zero_stops_at_the_cap)
{
    SimMem m;
    size_t peak, len = 99;
    peak_mem(&m, &peak);
    char *text = (char *)&len;
    SimErr err = SIM_ERR_INIT;
    ck_assert_int_eq(sim_file_read(&m, "/dev/zero", (size_t)1 << 20, "a test input", &text, &len, &err),
                     SIM_EIO);
    ck_assert_ptr_null(text);
    ck_assert_msg(strstr(sim_err_msg(&err), "/dev/zero") && strstr(sim_err_msg(&err), "1 MiB limit for a test input"),
                  "%s", sim_err_msg(&err));
    ck_assert_uint_le(peak, ((size_t)1 << 20) + 2);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* A FIFO has no size to check up front: the read itself must stop. */
START_TEST(io_read_of_an_endless_fifo_stops_at_the_cap)
{
    char path[512];
    SimErr err = SIM_ERR_INIT;
    snprintf(path, sizeof path, "%s/fifo", tb_dir());
    unlink(path);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        static const char zeros[65536];
        int fd = open(path, O_WRONLY);
        while (fd >= 0 && write(fd, zeros, sizeof zeros) > 0) {
        }
        _exit(0);
    }
    SimMem m;
    size_t peak, len;
    peak_mem(&m, &peak);
    char *text;
    int rc = sim_file_read(&m, path, (size_t)256 << 10, "a test input", &text, &len, &err);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    unlink(path);
    ck_assert_int_eq(rc, SIM_EIO);
    ck_assert_msg(strstr(sim_err_msg(&err), "262144 bytes limit"), "%s", sim_err_msg(&err));
    ck_assert_uint_le(peak, ((size_t)256 << 10) + 2);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

START_TEST(io_read_cap_is_exact_and_checked_before_reading)
{
    char path[512];
    SimErr err = SIM_ERR_INIT;
    snprintf(path, sizeof path, "%s/exact.txt", tb_dir());
    char buf[100];
    memset(buf, 'x', sizeof buf);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, sizeof buf, f), sizeof buf);
    ck_assert_int_eq(fclose(f), 0);
    SimMem m;
    size_t peak, len;
    peak_mem(&m, &peak);
    char *text;
    ck_assert_int_eq(sim_file_read(&m, path, 100, "a test input", &text, &len, &err), SIM_OK);
    ck_assert_uint_eq(len, 100);
    ck_assert_int_eq(text[100], '\0');
    sim_mem_free(&m, text, len + 1);
    peak = 0;
    ck_assert_int_eq(sim_file_read(&m, path, 99, "a test input", &text, &len, &err), SIM_EIO);
    ck_assert_msg(strstr(sim_err_msg(&err), "99 bytes limit"), "%s", sim_err_msg(&err));
    ck_assert_uint_eq(peak, 0);   /* the size was refused before a byte was read */
    ck_assert_int_eq(m.live, 0);
    unlink(path);
}
END_TEST

START_TEST(io_read_names_a_folder_a_missing_file_and_reads_an_empty_one)
{
    char path[512];
    SimErr err = SIM_ERR_INIT;
    SimMem m;
    size_t peak, len = 5;
    peak_mem(&m, &peak);
    char *text;
    ck_assert_int_eq(sim_file_read(&m, tb_dir(), 100, "a scenario", &text, &len, &err), SIM_EIO);
    ck_assert_msg(strstr(sim_err_msg(&err), tb_dir()) && strstr(sim_err_msg(&err), "is a folder, not a scenario"),
                  "%s", sim_err_msg(&err));
    snprintf(path, sizeof path, "%s/nope", tb_dir());
    ck_assert_int_eq(sim_file_read(&m, path, 100, "a scenario", &text, &len, &err), SIM_EIO);
    ck_assert_msg(strstr(sim_err_msg(&err), "nope: cannot open: No such file"), "%s", sim_err_msg(&err));
    ck_assert_int_eq(sim_file_read(&m, "/dev/null", 100, "a scenario", &text, &len, &err), SIM_OK);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(text, "");
    sim_mem_free(&m, text, 1);
    ck_assert_int_eq(m.live, 0);
}
END_TEST

/* Failing allocation N for every N: out of memory is reported, nothing leaks. */
START_TEST(io_read_out_of_memory_leaks_nothing)
{
    const char *path = tb_write("big.txt", "");
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 300000; i++)
        fputc('a' + i % 26, f);
    ck_assert_int_eq(fclose(f), 0);
    char p[512];
    snprintf(p, sizeof p, "%s", path);
    int ok = 0;
    for (uint64_t n = 1; n < 64 && !ok; n++) {
        SimMem m;
        sim_mem_init(&m);
        m.fail_at = n;
        char *text;
        SimErr err = SIM_ERR_INIT;
        size_t len;
        int rc = sim_file_read(&m, p, (size_t)1 << 20, "a test input", &text, &len, &err);
        if (rc == SIM_OK) {
            ck_assert_uint_eq(len, 300000);
            sim_mem_free(&m, text, len + 1);
            ok = 1;
        } else {
            ck_assert_int_eq(rc, SIM_ENOMEM);
            ck_assert_msg(strstr(sim_err_msg(&err), "big.txt: out of memory"), "%s", sim_err_msg(&err));
        }
        ck_assert_int_eq(m.live, 0);
    }
    ck_assert_msg(ok, "no allocation count let the read succeed");
    unlink(p);
}
END_TEST

/* ---- sim_file_replace ------------------------------------------------------- */

START_TEST(io_replace_reports_a_full_device_and_leaves_it_a_device)
{
    SimErr err = SIM_ERR_INIT;
    ck_assert_int_eq(sim_file_replace("/dev/full", "abc", 3, &err), SIM_EIO);
    ck_assert_msg(strstr(sim_err_msg(&err), "/dev/full: cannot write: No space left on device"),
                  "%s", sim_err_msg(&err));
    assert_dev_full_intact();
}
END_TEST

START_TEST(io_replace_is_whole_or_nothing_and_names_the_reason)
{
    char path[512];
    SimErr err = SIM_ERR_INIT;
    snprintf(path, sizeof path, "%s/missing/x.txt", tb_dir());
    ck_assert_int_eq(sim_file_replace(path, "abc", 3, &err), SIM_EIO);
    ck_assert_msg(strstr(sim_err_msg(&err), "missing/x.txt: cannot write: No such file"), "%s", sim_err_msg(&err));
    ck_assert_int_eq(sim_file_replace(tb_dir(), "abc", 3, &err), SIM_EIO);
    ck_assert_msg(strstr(sim_err_msg(&err), "it is a folder"), "%s", sim_err_msg(&err));
    snprintf(path, sizeof path, "%s/x.txt", tb_dir());
    ck_assert_int_eq(chmod(tb_dir(), 0755), 0);
    mode_t um = umask(022);
    ck_assert_int_eq(sim_file_replace(path, "old", 3, &err), SIM_OK);
    ck_assert_int_eq(sim_file_replace(path, "new!", 4, &err), SIM_OK);
    umask(um);
    char got[16];
    tb_slurp(path, got, sizeof got);
    ck_assert_str_eq(got, "new!");
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0644);   /* not mkstemp's 0600 */
    unlink(path);
    assert_no_debris();
}
END_TEST

/* A link is kept and the file it names replaced: renaming over the link
 * (what the old code did with /dev/stdout when stdout was a file, run as
 * root) would swap it for a file, and the temporary would go in the link's
 * folder. */
START_TEST(io_replace_through_a_link_keeps_the_link)
{
    char real[512], link[512];
    SimErr err = SIM_ERR_INIT;
    ck_assert_int_eq(mkdir(in_dir("elsewhere"), 0755), 0);
    snprintf(real, sizeof real, "%s", in_dir("elsewhere/real.txt"));
    snprintf(link, sizeof link, "%s", in_dir("link.txt"));
    tb_write("elsewhere/real.txt", "old");
    ck_assert_int_eq(symlink(real, link), 0);
    ck_assert_int_eq(sim_file_replace(link, "new", 3, &err), SIM_OK);
    struct stat st;
    ck_assert_int_eq(lstat(link, &st), 0);
    ck_assert_msg(S_ISLNK(st.st_mode), "the link was replaced by a file");
    char got[16];
    tb_slurp(real, got, sizeof got);
    ck_assert_str_eq(got, "new");
    unlink(link);
    unlink(real);
    rmdir(in_dir("elsewhere"));
    assert_no_debris();
}
END_TEST

/* ---- the binary: stdout on a full disk ----------------------------------------- */

/* Issue 12: with stdout on a full disk these exited 0 having written nothing. */
START_TEST(io_every_stdout_command_fails_on_a_full_disk)
{
    write_manifest("d.yaml");
    char hpa[1200], sched[1200], ca[1200];
    snprintf(hpa, sizeof hpa, "explain hpa '%s'", fixture("explain_hpa/behavior_percent_policy_scale_up_rounds_up.json"));
    snprintf(sched, sizeof sched, "explain schedule '%s'", fixture("explain/fit_insufficient_cpu_reason.json"));
    snprintf(ca, sizeof ca, "explain autoscaler '%s'", fixture("explain_autoscaler/group_at_max_size_is_excluded.json"));
    ensure_run();
    const char *const cmds[][2] = {
        {hpa, "kubesim explain"},
        {sched, "kubesim explain"},
        {ca, "kubesim explain"},
        {"import d.yaml", "kubesim import"},
        {"export-sweep --vary surge=2,3", "kubesim export-sweep"},
        {"calibrate --quick", "kubesim calibrate"},
        {"validate", "kubesim validate"},
        {"trace dump r/trace.kst", "kubesim trace"},
        {"bench --json --only event_queue --quick", "kubesim bench"},
        {"bench --list", "kubesim bench"},
        {"run --list-params", "kubesim run"},
        {"--help", "kubesim"},
        {"--version", "kubesim"},
        {"replay --help", "kubesim replay"},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char err[4096];
        /* the command works when stdout can take it ... */
        ck_assert_msg(tb_run("%s", cmds[i][0]) == 0, "%s: %s", cmds[i][0], tb_err());
        ck_assert_msg(tb_out()[0] != '\0', "%s printed nothing", cmds[i][0]);
        /* ... and fails, saying why, when it cannot */
        ck_assert_msg(run_full(cmds[i][0], err, sizeof err) == 2, "%s > /dev/full did not exit 2: %s", cmds[i][0],
                      err);
        ck_assert_msg(strstr(err, cmds[i][1]) && strstr(err, "No space left on device"), "%s: %s", cmds[i][0],
                      err);
    }
}
END_TEST

/* The dump reports its own write error; main does not add a second message. */
START_TEST(io_trace_dump_to_a_full_disk_says_so_once)
{
    char err[4096];
    ensure_run();
    ck_assert_int_eq(run_full("trace dump r/trace.kst", err, sizeof err), 2);
    char *second = strstr(err, "No space left");
    ck_assert_msg(second && strstr(second + 1, "No space left") == NULL, "%s", err);
}
END_TEST

/* ---- the binary: files it writes --------------------------------------------------- */

/* Issue 12: `replay --png` onto a full disk exited 0 with a 0-byte PNG. */
START_TEST(io_replay_png_write_failures_exit_2)
{
    ensure_run();
    ck_assert_int_eq(tb_run("replay r --png /dev/full --at 1h"), 2);
    ck_assert_msg(strstr(tb_err(), "/dev/full: cannot write: No space left on device"), "%s", tb_err());
    assert_dev_full_intact();
    ck_assert_int_eq(tb_run("replay r --png nodir/f.png --at 1h"), 2);
    ck_assert_msg(strstr(tb_err(), "nodir/f.png: cannot write: No such file or directory"), "%s", tb_err());
    ck_assert_int_eq(tb_run("replay r --png r --at 1h"), 2);
    ck_assert_msg(strstr(tb_err(), "r: cannot write: it is a folder"), "%s", tb_err());
    ck_assert_int_eq(tb_run("replay r --png f.png --at 1h"), 0);
    size_t len = 0;
    char *png = tb_read(in_dir("f.png"), &len);
    ck_assert_ptr_nonnull(png);
    ck_assert_msg(len > 8 && memcmp(png, "\x89PNG", 4) == 0, "not a PNG (%zu bytes)", len);
    free(png);
    unlink(in_dir("f.png"));
    assert_no_debris();
}
END_TEST

/* Issue 12: an unwritable --openmetrics was named by its temporary name, and
 * a device destination was replaced by a rename. */
START_TEST(io_openmetrics_names_the_path_given_and_the_reason)
{
    /* A small run (its series fill about 200 KiB, past any stdio buffer, so
     * /dev/full fails mid-file): the default's wrote 78 MB twice. */
    tb_write("om.lua", "scenario { name = \"om\", duration = \"30m\" }\nregion { name = \"r\", zones = { \"r-a\" } }\n"
                       "nodegroup { name = \"cpu\", cpu = \"4\", memory = \"16Gi\", price = 1, min = 2, max = 2 }\n"
                       "deployment { name = \"web\", replicas = 3, cpu = \"500m\", memory = \"256Mi\" }\n");
    ck_assert_int_eq(tb_run("run om.lua --quiet --out om1 --openmetrics nodir/x.om"), 2);
    ck_assert_msg(strstr(tb_err(), "nodir/x.om: cannot write: No such file or directory"), "%s", tb_err());
    ck_assert_msg(strstr(tb_err(), ".tmp") == NULL, "%s", tb_err());
    ck_assert(!tb_exists("om1"));
    ck_assert_int_eq(tb_run("run om.lua --quiet --out om1 --openmetrics /dev/full"), 2);
    ck_assert_msg(strstr(tb_err(), "/dev/full: cannot write: No space left on device"), "%s", tb_err());
    ck_assert(!tb_exists("om1"));
    assert_dev_full_intact();
    assert_no_debris();
}
END_TEST

START_TEST(io_out_files_on_a_full_disk_exit_2)
{
    write_manifest("d2.yaml");
    const char *const cmds[] = {"calibrate --quick --out /dev/full", "import d2.yaml --out /dev/full",
                                "export-sweep --vary surge=2,3 --out /dev/full"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        ck_assert_msg(tb_run("%s", cmds[i]) == 2, "%s: %s", cmds[i], tb_err());
        ck_assert_msg(strstr(tb_err(), "/dev/full: cannot write: No space left on device"), "%s: %s", cmds[i],
                      tb_err());
        assert_dev_full_intact();
    }
    ck_assert_int_eq(tb_run("import d2.yaml --out sub/x.lua"), 2);
    ck_assert_msg(strstr(tb_err(), "cannot write sub/x.lua: the folder sub does not exist"), "%s", tb_err());
    assert_no_debris();
}
END_TEST

/* ---- the binary: inputs over their cap, folders --------------------------------------- */

/* The cap a message names: the loader's, or KUBESIM_TEST_INPUT_CAP's (1 MiB
 * in the sanitizer build, where reading 256 MiB of /dev/zero took a minute). */
static const char *cap(const char *want, const char *lowered)
{
    const char *e = getenv("KUBESIM_TEST_INPUT_CAP");
    if (e == NULL)
        return want;
    ck_assert_msg(strcmp(e, "1048576") == 0, "KUBESIM_TEST_INPUT_CAP=%s: this suite expects 1048576", e);
    return lowered;
}

START_TEST(io_every_loader_caps_dev_zero_and_names_a_folder)
{
    const char *const cases[][3] = {
        {"validate /dev/zero", cap("/dev/zero: larger than the 16 MiB limit", "/dev/zero: larger than the 1 MiB limit"),
         "a scenario"},
        {"validate .", ".: is a folder", "not a scenario"},
        {"export-sweep /dev/zero --vary surge=2", cap("16 MiB limit", "1 MiB limit"), "a scenario"},
        {"explain hpa /dev/zero",
         cap("/dev/zero: larger than the 64 MiB limit", "/dev/zero: larger than the 1 MiB limit"), "an explain case"},
        {"explain schedule .", ".: is a folder", "not an explain case"},
        {"backtest --data /dev/zero --strategy momentum",
         cap("larger than the 256 MiB limit", "larger than the 1 MiB limit"), "a backtest CSV"},
        {"backtest --data . --strategy momentum", "is a folder", "not a backtest CSV"},
        {"run --quiet --out c1 --calibration /dev/zero", "--calibration /dev/zero", "1 MiB limit"},
        {"run --quiet --out c1 --calibration .", "--calibration .: is a folder", "calibration JSON"},
        {"sweep --merge /dev/zero --out m1",
         cap("/dev/zero: larger than the 64 MiB limit", "/dev/zero: larger than the 1 MiB limit"), "input file"},
        {"import /dev/zero", "/dev/zero: larger than the", "limit"},
        {"trace dump .", ".: is a folder", "not a trace file"},
        {"trace dump /dev/zero", "/dev/zero", "not a kubesim trace"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_msg(tb_run("%s", cases[i][0]) == 2, "%s: %s", cases[i][0], tb_err());
        ck_assert_msg(strstr(tb_err(), cases[i][1]) && strstr(tb_err(), cases[i][2]), "%s: %s", cases[i][0],
                      tb_err());
    }
    ck_assert(!tb_exists("c1") && !tb_exists("m1"));
}
END_TEST

/* Issue 12: `trace dump` printed every record before the damage. */
START_TEST(io_trace_dump_of_a_damaged_trace_prints_nothing)
{
    ensure_run();
    size_t len = 0;
    char *b = tb_read(in_dir("r/trace.kst"), &len);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_gt(len, 1000);
    const char *cut = tb_write("cut.kst", "");
    FILE *f = fopen(cut, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, len - 40, f), len - 40);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(tb_run("trace dump cut.kst"), 2);
    ck_assert_str_eq(tb_out(), "");
    ck_assert_msg(strstr(tb_err(), "cut.kst") && strstr(tb_err(), "byte offset"), "%s", tb_err());
    b[len - 60] ^= 0x10;   /* inside the last block */
    const char *flip = tb_write("flip.kst", "");
    f = fopen(flip, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(tb_run("trace dump flip.kst"), 2);
    ck_assert_str_eq(tb_out(), "");
    ck_assert_msg(strstr(tb_err(), "checksum mismatch") && strstr(tb_err(), "byte offset"), "%s", tb_err());
    free(b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("io");
    TCase *tc = tcase_create("io");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, io_read_of_dev_zero_stops_at_the_cap);
    tcase_add_test(tc, io_read_of_an_endless_fifo_stops_at_the_cap);
    tcase_add_test(tc, io_read_cap_is_exact_and_checked_before_reading);
    tcase_add_test(tc, io_read_names_a_folder_a_missing_file_and_reads_an_empty_one);
    tcase_add_test(tc, io_read_out_of_memory_leaks_nothing);
    tcase_add_test(tc, io_replace_reports_a_full_device_and_leaves_it_a_device);
    tcase_add_test(tc, io_replace_is_whole_or_nothing_and_names_the_reason);
    tcase_add_test(tc, io_replace_through_a_link_keeps_the_link);
    tcase_add_test(tc, io_every_stdout_command_fails_on_a_full_disk);
    tcase_add_test(tc, io_trace_dump_to_a_full_disk_says_so_once);
    tcase_add_test(tc, io_replay_png_write_failures_exit_2);
    tcase_add_test(tc, io_openmetrics_names_the_path_given_and_the_reason);
    tcase_add_test(tc, io_out_files_on_a_full_disk_exit_2);
    tcase_add_test(tc, io_every_loader_caps_dev_zero_and_names_a_folder);
    tcase_add_test(tc, io_trace_dump_of_a_damaged_trace_prints_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (tb_setup("io") != 0)
        return 2;
    int failed = tr_run(suite(), 1);   /* tests share the folder and its run */
    tb_cleanup();
    return failed ? 1 : 0;
}
