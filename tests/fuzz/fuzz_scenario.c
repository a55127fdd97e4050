/*
 * fuzz_scenario.c: `kubesim validate` and the start of `kubesim run`: the
 * input is a Lua scenario, loaded by scn_load in the sandbox (a small memory
 * cap and instruction budget, so no input can hang the harness), then, when
 * it loads, built into an engine with the scheduler and the controllers and
 * run for at most a few simulated minutes and a few thousand events (not the
 * whole run: its cost would be the scenario's, not the loader's).
 */
#include "fz.h"

#include "scenarios/scn.h"
#include "scheduler/sched.h"

#define FZ_LUA_MEM ((size_t)32 << 20)
#define FZ_LUA_STEPS UINT64_C(200000)
#define FZ_EVENTS 5000
#define FZ_SIM_END SIM_SEC(600)

static void build_and_step(ScnScenario *s, SimMem *m)
{
    SimTime end = scn_duration(s) < FZ_SIM_END ? scn_duration(s) : FZ_SIM_END;
    SimConfig cfg = {.seed = 42, .end = end, .queue = SIM_EVQ_FAST, .mem = m};
    SimEngine *e = sim_engine_create(&cfg);
    SchedScheduler *sched = e ? sched_create(e) : NULL;
    WlControllers *wl = sched ? wl_create(e) : NULL;
    if (wl && scn_build(s, e, wl) == SIM_OK)
        for (int i = 0; i < FZ_EVENTS && sim_step(e) == SIM_OK; i++) {
        }
    wl_destroy(wl);
    sched_destroy(sched);
    sim_engine_destroy(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    SimMem m;
    sim_mem_init(&m);
    ScnOptions o = {.path = fz_file("fuzz.lua", data, size), .lua_mem = FZ_LUA_MEM,
                    .lua_steps = FZ_LUA_STEPS, .seed = 42};
    SimErr err = SIM_ERR_INIT;
    ScnScenario *s = scn_load(&m, &o, &err);
    if (s != NULL)
        build_and_step(s, &m);
    scn_free(s);
    return 0;
}
