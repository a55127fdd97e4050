/*
 * test_bad.c: the bad-input corpus. Every folder below tests/bad/ is one
 * malformed or hostile input: the kubesim arguments it is run with (`args`,
 * one per line, no shell), the exit code it must give (`exit`), the words its
 * message must contain (`stderr`, one substring per line), and optionally a
 * standard input (`stdin`) and a file that must survive in an existing --out
 * folder (`keep`). Each case runs the real binary in an empty working folder;
 * besides the exit code and the message, it must leave that folder empty,
 * write nothing at @OUT@ (or leave the `keep` folder as it was) and leave no
 * `*.tmp-*` debris anywhere it could have written. Cases are added with the
 * fix they pin; this file only walks them.
 */
#include "tb.h"
#include "tf.h"
#include "tr.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BAD_MAX 512
#define BAD_ARGS 64
#define BAD_SECONDS 120   /* a case that hangs is killed by SIGALRM and fails */
#define BAD_MIN 100       /* issue 12: at least 100 cases; a lost folder must not pass */

static char root[512];                 /* $KUBESIM_SRC/tests/bad */
static char names[BAD_MAX][128];
static int ncases;

static int by_name(const void *a, const void *b)
{
    return strcmp(a, b);
}

static int list_cases(void)
{
    DIR *d = opendir(root);
    struct dirent *ent;
    ncases = 0;
    while (d != NULL && (ent = readdir(d)) != NULL && ncases < BAD_MAX) {
        size_t len = strlen(ent->d_name);
        if (ent->d_name[0] != '.' && len < sizeof names[0])
            memcpy(names[ncases++], ent->d_name, len + 1);
    }
    if (d != NULL)
        closedir(d);
    qsort(names, (size_t)ncases, sizeof names[0], by_name);
    return ncases;
}

/* Reads CASE/file into a malloc'd string, or NULL when it is absent. */
static char *case_file(const char *cdir, const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", cdir, file);
    return tb_read(path, NULL);
}

/* Copies s into out, replacing every @CASE@ and @OUT@. */
static void substitute(const char *s, const char *cdir, const char *outp, char *out, size_t n)
{
    size_t k = 0;
    while (*s && k + 1 < n) {
        const char *rep = NULL;
        size_t skip = 0;
        if (strncmp(s, "@CASE@", 6) == 0)
            rep = cdir, skip = 6;
        else if (strncmp(s, "@OUT@", 5) == 0)
            rep = outp, skip = 5;
        if (rep != NULL) {
            k += (size_t)snprintf(out + k, n - k, "%s", rep);
            s += skip;
        } else {
            out[k++] = *s++;
        }
    }
    out[k < n ? k : n - 1] = '\0';
}

/* Splits the args file into argv (argv[0] is the binary); returns argc. */
static int split_args(char *text, const char *cdir, const char *outp, char **argv, char store[][1024])
{
    int argc = 0;
    argv[argc++] = (char *)tb_bin();
    for (char *line = strtok(text, "\n"); line != NULL && argc < BAD_ARGS - 1; line = strtok(NULL, "\n")) {
        substitute(line, cdir, outp, store[argc], sizeof store[0]);
        argv[argc] = store[argc];
        argc++;
    }
    argv[argc] = NULL;
    return argc;
}

static int run_case(char **argv, const char *work, const char *in, const char *o, const char *e)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fi = open(in, O_RDONLY), fo = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0644),
            fe = open(e, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fi < 0 || fo < 0 || fe < 0 || chdir(work) != 0)
            _exit(126);
        dup2(fi, 0), dup2(fo, 1), dup2(fe, 2);
        alarm(BAD_SECONDS);   /* survives exec: a hang ends with SIGALRM */
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st), "%s: killed by signal %d", argv[1], WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return WEXITSTATUS(st);
}

/* Fails when any name below dir contains ".tmp-" (half-written output). */
static void assert_no_debris(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *ent;
    while (d != NULL && (ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        char child[1024];
        snprintf(child, sizeof child, "%s/%s", dir, ent->d_name);
        ck_assert_msg(strstr(ent->d_name, ".tmp-") == NULL, "debris left: %s", child);
        struct stat st;
        if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
            assert_no_debris(child);
    }
    if (d != NULL)
        closedir(d);
}

static void check_stderr(const char *name, const char *want, const char *got)
{
    char *copy = strdup(want);
    int lines = 0;
    for (char *w = strtok(copy, "\n"); w != NULL; w = strtok(NULL, "\n")) {
        if (*w == '\0')
            continue;
        lines++;
        ck_assert_msg(strstr(got, w) != NULL, "%s: stderr lacks \"%s\"; it was:\n%s", name, w, got);
    }
    free(copy);
    ck_assert_msg(lines > 0, "%s: its stderr file names no words to check", name);
}

/* Sets up @OUT@ with the case's `keep` file, if it has one. */
static void prepare_out(const char *outp, const char *keep)
{
    if (keep == NULL)
        return;
    char path[1024];
    ck_assert_int_eq(mkdir(outp, 0755), 0);
    snprintf(path, sizeof path, "%s/keep", outp);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(keep, f);
    ck_assert_int_eq(fclose(f), 0);
}

static void check_out(const char *name, const char *outp, const char *keep)
{
    if (keep == NULL) {
        ck_assert_msg(tb_count_entries(outp) < 0 && access(outp, F_OK) != 0, "%s: wrote %s", name, outp);
        return;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/keep", outp);
    char *now = tb_read(path, NULL);
    ck_assert_msg(now != NULL && strcmp(now, keep) == 0, "%s: the existing --out lost its file", name);
    ck_assert_msg(tb_count_entries(outp) == 1, "%s: wrote into the existing --out", name);
    free(now);
}

START_TEST(bad_input_is_refused_cleanly)
{
    const char *name = names[_i];
    char cdir[700], scratch[400], work[450], outp[450], o[450], e[450], in[800];
    snprintf(cdir, sizeof cdir, "%s/%s", root, name);
    snprintf(scratch, sizeof scratch, "%s/%s", tb_dir(), name);
    snprintf(work, sizeof work, "%s/work", scratch);
    snprintf(outp, sizeof outp, "%s/out", scratch);
    snprintf(o, sizeof o, "%s/stdout", scratch);
    snprintf(e, sizeof e, "%s/stderr", scratch);
    snprintf(in, sizeof in, "%s/stdin", cdir);
    ck_assert_int_eq(mkdir(scratch, 0755), 0);
    ck_assert_int_eq(mkdir(work, 0755), 0);
    if (access(in, R_OK) != 0)
        snprintf(in, sizeof in, "/dev/null");

    char *args = case_file(cdir, "args"), *code = case_file(cdir, "exit"), *want = case_file(cdir, "stderr");
    char *keep = case_file(cdir, "keep");
    ck_assert_msg(args && code && want, "%s: needs args, exit and stderr files", name);
    static char store[BAD_ARGS][1024];
    char *argv[BAD_ARGS];
    split_args(args, cdir, outp, argv, store);
    prepare_out(outp, keep);

    int rc = run_case(argv, work, in, o, e);
    char *got = tb_read(e, NULL);
    ck_assert_msg(rc == atoi(code), "%s: exit %d, want %d; stderr:\n%s", name, rc, atoi(code), got ? got : "");
    check_stderr(name, want, got ? got : "");
    ck_assert_msg(tb_count_entries(work) == 0, "%s: wrote into the working folder", name);
    check_out(name, outp, keep);
    assert_no_debris(scratch);
    assert_no_debris(cdir);
    free(args), free(code), free(want), free(keep), free(got);
}
END_TEST

static Suite *bad_suite(void)
{
    Suite *s = suite_create("bad");
    TCase *tc = tcase_create("corpus");
    tcase_set_timeout(tc, BAD_SECONDS * 2);
    tcase_add_loop_test(tc, bad_input_is_refused_cleanly, 0, ncases);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *src = tf_src("bad");
    if (src == NULL || tb_setup("bad") != 0)
        return 2;
    snprintf(root, sizeof root, "%s/tests/bad", src);
    if (list_cases() < BAD_MIN) {
        fprintf(stderr, "test_bad: %d cases in %s, fewer than %d\n", ncases, root, BAD_MIN);
        tb_cleanup();
        return 1;
    }
    int failed = tr_run(bad_suite(), 0);
    tb_cleanup();
    return failed ? 1 : 0;
}
