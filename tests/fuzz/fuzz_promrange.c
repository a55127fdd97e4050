/*
 * fuzz_promrange.c: sim/promrange.c, the reader of recorded series
 * (`traffic { from }`, calibrate's Prometheus answers): the input is parsed
 * as a range-query answer and as a timestamp,value CSV; what loads is
 * selected by a label selector and every sample's location is formatted, so
 * accepted but odd series (one sample, labels without values) reach the
 * code that messages use.
 */
#include "fz.h"

#include "sim/promrange.h"

static void use(const SimPromRange *r)
{
    char buf[400];
    size_t i = 0;
    SimErr err = SIM_ERR_INIT;
    (void)sim_prom_select(r, "{site=\"a\"}", &i, &err);
    for (size_t s = 0; s < r->nseries; s++) {
        sim_prom_labels_text(&r->series[s], buf, sizeof buf);
        for (size_t k = 0; k < r->series[s].n; k++)
            sim_prom_where(r, s, k, buf, sizeof buf);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    SimMem m;
    sim_mem_init(&m);
    SimPromRange r;
    SimErr err = SIM_ERR_INIT;
    if (sim_prom_parse_json(&m, (const char *)data, size, "fuzz.json", &r, &err) == SIM_OK)
        use(&r);
    sim_prom_free(&r);
    if (sim_prom_parse_csv(&m, (const char *)data, size, "fuzz.csv", &r, &err) == SIM_OK)
        use(&r);
    sim_prom_free(&r);
    if (m.live != 0)
        __builtin_trap();   /* a leak is a finding */
    return 0;
}
