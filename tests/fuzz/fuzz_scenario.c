/*
 * fuzz_scenario.c: `kubesim validate` and the start of `kubesim run`: the
 * input is a Lua scenario, loaded by scn_load in the sandbox (a small memory
 * cap and instruction budget, so no input can hang the harness), then, when
 * it loads, built into a world as `kubesim run` builds it (scenarios/world.c)
 * and run for at most a few simulated minutes and a few thousand events (not the
 * whole run: its cost would be the scenario's, not the loader's).
 */
#include "fz.h"

#include "scenarios/scn.h"

#define FZ_LUA_MEM ((size_t)32 << 20)
#define FZ_LUA_STEPS UINT64_C(200000)
#define FZ_EVENTS 5000
#define FZ_SIM_END SIM_SEC(600)

static void build_and_step(ScnScenario *s, SimMem *m)
{
    SimTime end = scn_duration(s) < FZ_SIM_END ? scn_duration(s) : FZ_SIM_END;
    ScnWorldOptions wo = {.seed = 42, .parts = SCN_WORLD_RUN, .mem = m, .end = end, .quiet = 1};
    ScnWorld *w = NULL;
    if (scn_world_open(&w, s, &wo) == SIM_OK)
        for (int i = 0; i < FZ_EVENTS && sim_step(scn_world_engine(w)) == SIM_OK; i++) {
        }
    scn_world_close(w);
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
