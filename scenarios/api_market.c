/*
 * api_market.c: `prices { data, asset }`, the daily closes of one asset of a
 * price CSV as a Lua list, so that a scenario can derive its load from
 * market days (issue 20, item 2):
 *
 *   local closes = prices { data = "data/eustockmarkets.csv", asset = "DAX" }
 *   -- closes[1], closes[2], ...: one close a row, in the file's order
 *
 * The file is a backtest price CSV (workloads/backtest: a header naming the
 * assets, then one row of closes a day, every price > 0), relative to the
 * scenario file's folder, read through the same loader, cap and cache as
 * backtest { data }: the script sees the numbers of one column, nothing else
 * of the file system. What the numbers mean for traffic (absolute returns,
 * realised volatility, ...) is the script's model, in plain sight.
 */
#include "scenarios/scn_int.h"

#include <string.h>

#include "workloads/backtest/bt.h"

static int l_prices(lua_State *L)
{
    static const char *const keys[] = {"data", "asset", NULL};
    ScnScenario *s = scn_from_lua(L);
    ScnDecl d = {"prices", NULL, 1};
    if (lua_type(L, 1) != LUA_TTABLE)
        return luaL_error(L, "prices: expected a table of fields, e.g. prices { data = \"prices.csv\", asset = "
                          "\"DAX\" }");
    scn_check_keys(L, &d, keys);
    const char *file = scn_req_string(L, &d, "data");
    const BtData *data = scn_price_file(L, s, &d, "data", file);
    size_t rows = bt_data_rows(data), assets = bt_data_assets(data), col = assets;
    const char *asset = scn_opt_string(L, &d, "asset", assets == 1 ? bt_data_name(data, 0) : NULL);
    if (asset == NULL)
        scn_field_error(L, &d, "asset", "is required: '%s' has %zu assets (%s, ...)", file, assets,
                        bt_data_name(data, 0));
    for (size_t a = 0; a < assets && col == assets; a++)
        if (strcmp(bt_data_name(data, a), asset) == 0)
            col = a;
    if (col == assets)
        scn_field_error(L, &d, "asset", "'%s' has no asset '%s' (it has %s, ...)", file, asset,
                        bt_data_name(data, 0));
    const double *p = bt_data_prices(data);
    lua_createtable(L, (int)rows, 0);
    for (size_t r = 0; r < rows; r++) {
        lua_pushnumber(L, p[r * assets + col]);
        lua_rawseti(L, -2, (lua_Integer)r + 1);
    }
    return 1;
}

void scn_api_market_register(lua_State *L)
{
    lua_register(L, "prices", l_prices);
}
