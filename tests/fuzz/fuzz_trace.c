/*
 * fuzz_trace.c: the trace reader on raw bytes, as `kubesim trace dump FILE`
 * and `kubesim replay FILE` read trace.kst: the dump, then the replay's index
 * with seeks to the middle, the end and the start. Most mutations break a
 * checksum and stop at the header or the first block; fuzz_trace_crc.c
 * repairs them to reach the records.
 */
#include "fz.h"

#include "render/rnd.h"
#include "sim/trace.h"

static void read_trace(const char *path)
{
    SimMem m;
    sim_mem_init(&m);
    sim_trace_dump(&m, path, fz_null(), fz_null());
    RndReplay *r = NULL;
    char err[1024];
    if (rnd_replay_open(&m, path, &r, err, sizeof err) != SIM_OK)
        return;
    SimTime d = rnd_replay_duration(r);
    rnd_replay_seek(r, d / 2);
    rnd_replay_seek(r, d);
    rnd_replay_seek(r, 0);
    rnd_replay_digest(r);
    rnd_replay_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_trace(fz_file("trace.kst", data, size));
    return 0;
}
