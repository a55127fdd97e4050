/*
 * fuzz_backtest_csv.c: `kubesim backtest --data PRICES.csv`: the input is the
 * price CSV, loaded through the same path-taking loader as the command, then
 * run through the default kernel (moving-average crossover) when it loads,
 * so odd but accepted data (one row, one asset, equal prices) reach the
 * kernel and the metrics.
 */
#include "fz.h"

#include "workloads/backtest/bt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    SimMem m;
    sim_mem_init(&m);
    BtCtx c;
    bt_ctx_init(&c, &m);
    BtData *d = NULL;
    BtResult *r = NULL;
    BtParams p;
    bt_params_default(&p, BT_MA_CROSS);
    if (bt_data_load_csv(&c, fz_file("prices.csv", data, size), &d) == SIM_OK)
        bt_run(&c, d, &p, &r);
    bt_result_free(r);
    bt_data_free(d);
    return 0;
}
