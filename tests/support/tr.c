/* tr.c: see tr.h. */
#include "tr.h"

#include <stdio.h>
#include <stdlib.h>

int tr_run(Suite *s, int nofork)
{
    SRunner *sr = srunner_create(s);
    if (nofork)
        srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed;
}

int tr_main(Suite *s, char *tmpdir)
{
    if (mkdtemp(tmpdir) == NULL) {
        perror(tmpdir);
        srunner_free(srunner_create(s));   /* frees s */
        return 2;
    }
    int failed = tr_run(s, 0);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", tmpdir);
        failed++;
    }
    return failed ? 1 : 0;
}

const char *tr_write(const char *dir, const char *name, const char *text)
{
    static char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    int bad = fputs(text, f) < 0;
    ck_assert_msg(fclose(f) == 0 && !bad, "cannot write %s", path);
    return path;
}
