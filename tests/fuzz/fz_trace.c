/*
 * fz_trace.c: reading a trace as `kubesim trace dump` and `kubesim replay`
 * do, for the two trace harnesses (raw bytes, and with checksums repaired).
 */
#include "fz.h"

#include "render/rnd.h"
#include "scenarios/scn.h"
#include "sim/trace.h"

void fz_read_trace(const char *path)
{
    SimMem m;
    sim_mem_init(&m);
    SimTrSchema schema;
    if (scn_trace_schema(&schema) != SIM_OK)
        return;
    sim_trace_dump(&m, &schema, path, fz_null(), fz_null());
    RndReplay *r = NULL;
    SimErr err = SIM_ERR_INIT;
    if (rnd_replay_open(&m, &schema, path, &r, &err) != SIM_OK)
        return;
    SimTime d = rnd_replay_duration(r);
    rnd_replay_seek(r, d / 2);
    rnd_replay_seek(r, d);
    rnd_replay_seek(r, 0);
    rnd_replay_digest(r);
    rnd_replay_close(r);
}

