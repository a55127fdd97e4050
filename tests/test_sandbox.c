/*
 * test_sandbox.c: the usual escapes from a Lua sandbox, tried through the
 * real binary (KUBESIM_BIN). Each script either fails with exit 2, a message
 * naming the file and line (or, for a refused allocation, the file) and no
 * --out folder, or runs and proves the trick harmless with expectations that
 * pass. Covered: string.dump and load of source or bytecode; debug, io, os,
 * package.loadlib, require; metatable tricks on shared tables (the string
 * metatable, library tables and _G, the hooks' read-only `k`, the summary a
 * script's expectations read); __gc finalisers; the instruction budget
 * dodged through coroutines, pcall, C library loops (patterns, string.rep,
 * table.move/insert, plain find) and big allocations; memory bombs; deep
 * recursion; print floods; declarations smuggled into a running simulation.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tb.h"
#include "tr.h"

/* Three lines of world, so the trick under test is on line 4. */
static const char world[] =
    "region { name = \"r\" }\n"
    "nodegroup { name = \"cpu\", region = \"r\", cpu = \"8\", memory = \"32Gi\", min = 1, max = 2, size = 1 }\n"
    "scenario { duration = \"10m\" }\n";

static void write_script(const char *name, const char *body)
{
    static char text[8192];
    snprintf(text, sizeof text, "%s%s\n", world, body);
    tb_write(name, text);
}

static void clean_out(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/out'", tb_dir());
    ck_assert_int_eq(system(cmd), 0);
}

/* The end of what the last run printed (a flood of print output ends with the error). */
static const char *err_tail(void)
{
    const char *e = tb_err();
    size_t n = strlen(e);
    return e + (n > 400 ? n - 400 : 0);
}

/* The script fails: exit 2, stderr holds frag1 and frag2, nothing in --out.
 * Budgets are kept small so that a refused trick is also a quick one. */
static void refused(const char *body, const char *flags, const char *frag1, const char *frag2)
{
    clean_out();
    write_script("t.lua", body);
    time_t t0 = time(NULL);
    int rc = tb_run("run t.lua --quiet --out out --lua-steps 20000000 %s", flags ? flags : "");
    ck_assert_msg(rc == 2, "exit %d (want 2) for:\n%s\nstderr: %s", rc, body, err_tail());
    ck_assert_msg(strstr(tb_err(), frag1) != NULL, "stderr lacks '%s' for:\n%s\nstderr: %s", frag1, body, err_tail());
    if (frag2)
        ck_assert_msg(strstr(tb_err(), frag2) != NULL, "stderr lacks '%s' for:\n%s\nstderr: %s", frag2, body,
                      err_tail());
    ck_assert_msg(!tb_exists("out"), "--out was written for:\n%s", body);
    ck_assert_msg(time(NULL) - t0 < 60, "took %lds:\n%s", (long)(time(NULL) - t0), body);
}

/* The script runs (exit 0) and every expectation it declares passed. */
static cJSON *harmless(const char *body)
{
    clean_out();
    write_script("h.lua", body);
    int rc = tb_run("run h.lua --quiet --out out --lua-steps 20000000");
    ck_assert_msg(rc == 0, "exit %d for:\n%s\nstderr: %s", rc, body, err_tail());
    char path[600];
    snprintf(path, sizeof path, "%s/out/summary.json", tb_dir());
    char *text = tb_read(path, NULL);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    free(text);
    ck_assert_msg(j != NULL, "summary.json does not parse");
    const cJSON *x, *exp = cJSON_GetObjectItemCaseSensitive(j, "expectations");
    ck_assert_msg(cJSON_GetArraySize(exp) > 0, "no expectations in summary.json");
    cJSON_ArrayForEach(x, exp) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(x, "passed");
        ck_assert_msg(cJSON_IsTrue(p), "expectation %s failed: %s",
                      cJSON_GetObjectItemCaseSensitive(x, "name")->valuestring,
                      cJSON_GetObjectItemCaseSensitive(x, "detail")->valuestring);
    }
    return j;
}

/* ---- reaching outside --------------------------------------------------------- */
START_TEST(sandbox_stock_escapes_are_nil)
{
    static const char *const cases[][2] = {
        {"local f = string.dump(function() end)", "field 'dump'"},
        {"local f = (\"\"):dump()", "method 'dump'"},
        {"local f = load(\"return 1\")", "global 'load'"},
        {"local f = loadfile(\"/etc/passwd\")", "global 'loadfile'"},
        {"local f = dofile(\"/etc/passwd\")", "global 'dofile'"},
        {"local f = require(\"os\")", "global 'require'"},
        {"local f = debug.getinfo(1)", "global 'debug'"},
        {"local f = debug.sethook()", "global 'debug'"},
        {"local f = package.loadlib(\"libc.so.6\", \"system\")", "global 'package'"},
        {"local f = io.popen(\"id\")", "global 'io'"},
        {"local f = io.open(\"/etc/passwd\")", "global 'io'"},
        {"local f = os.execute(\"touch /tmp/kubesim-pwned\")", "global 'os'"},
        {"local f = os.getenv(\"HOME\")", "global 'os'"},
        {"local f = _G.os.exit(0)", "field 'os'"},
        {"local f = _ENV.io.write(\"x\")", "'io'"},
        {"local f = collectgarbage(\"count\")", "global 'collectgarbage'"},
        {"local f = math.randomseed(1)", "field 'randomseed'"},
        {"local f = rawget(_G, \"debug\").traceback()", "attempt to index a nil value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        refused(cases[i][0], NULL, "t.lua:4:", cases[i][1]);
}
END_TEST

START_TEST(sandbox_bytecode_is_refused)
{
    clean_out();
    char path[600];
    snprintf(path, sizeof path, "%s/b.lua", tb_dir());
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite("\x1bLua\x54\x00\x19\x93\r\n\x1a\n", 1, 12, f);
    fclose(f);
    ck_assert_int_eq(tb_run("run b.lua --quiet --out out"), 2);
    ck_assert_msg(strstr(tb_err(), "b.lua: ") && strstr(tb_err(), "binary"), "%s", tb_err());
    ck_assert(!tb_exists("out"));
}
END_TEST

/* ---- metatable tricks on shared tables --------------------------------------------- */
START_TEST(sandbox_string_metatable_is_out_of_reach)
{
    /* Replacing a method of every string (including the host's) needs it. */
    refused("getmetatable(\"\").__index = function() return \"pwned\" end", NULL, "t.lua:4:",
            "attempt to index a boolean value");
    refused("getmetatable(\"\").__tostring = function() error(\"x\") end", NULL, "t.lua:4:",
            "attempt to index a boolean value");
    refused("setmetatable(\"\", { __index = {} })", NULL, "t.lua:4:", "table expected, got string");
    refused("rawset(getmetatable(\"x\"), \"__index\", {})", NULL, "t.lua:4:", "table expected, got boolean");
    cJSON_Delete(harmless(
        "local mt = getmetatable(\"\")\n"
        "expect(\"getmetatable hides the string metatable\", function() return mt == false end)\n"
        "expect(\"string methods still work\", function() return (\"ab\"):upper() == \"AB\" end)"));
}
END_TEST

START_TEST(sandbox_k_is_read_only)
{
    refused("at(\"1m\", function(k) rawset(k, \"now\", function() return 42 end) end)", NULL, "t.lua:4:",
            "rawset: this table is read-only");
    refused("at(\"1m\", function(k) k.scale = function() end end)", NULL, "t.lua:4:", "k is read-only");
    refused("at(\"1m\", function(k) setmetatable(k, {}) end)", NULL, "t.lua:4:",
            "cannot change a protected metatable");
    refused("at(\"1m\", function(k) getmetatable(k).__index = {} end)", NULL, "t.lua:4:",
            "attempt to index a boolean value");
    cJSON_Delete(harmless(
        "local seen\n"
        "at(\"1m\", function(k) seen = getmetatable(k) end)\n"
        "expect(\"k's metatable is protected\", function() return seen == false end)"));
}
END_TEST

/* Library tables and _G belong to the script: changing them changes only the
 * script. The host reads neither, and every expectation gets its own copy of
 * the summary, so nothing crosses into summary.json or another expectation. */
START_TEST(sandbox_library_and_summary_tables_cannot_smuggle)
{
    cJSON *j = harmless(
        "rawset(_G, \"tostring\", function() return \"forged\" end)\n"
        "rawset(string, \"format\", function() return \"forged\" end)\n"
        "rawset(math, \"floor\", function() return -1 end)\n"
        "table.concat = nil\n"
        "setmetatable(_G, { __index = function(_, k) return \"forged-\" .. k end })\n"
        "at(\"1m\", function(k) rawset(string, \"rep\", nil) pairs = nil end)\n"
        "expect(\"a forging expectation\", function(r) r.pods.created = -1; r.cost_usd = 1e9; "
        "r.expectations = \"forged\"; return true end)\n"
        "expect(\"the next expectation sees the real summary\", function(r) "
        "return r.pods.created >= 0 and r.cost_usd < 1e9 and r.expectations ~= \"forged\" end)\n"
        "expect(\"a detail with __tostring is converted in the script\", function(r) "
        "return true, setmetatable({}, { __tostring = function() return \"fine\" end }) end)");
    const cJSON *pods = cJSON_GetObjectItemCaseSensitive(j, "pods");
    ck_assert(cJSON_GetObjectItemCaseSensitive(pods, "created")->valuedouble >= 0);
    ck_assert(cJSON_GetObjectItemCaseSensitive(j, "cost_usd")->valuedouble < 1e9);
    const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "expectations"), 2);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(e, "detail")->valuestring, "fine");
    cJSON_Delete(j);
}
END_TEST

/* A __tostring on an expectation's detail used to run outside any protected
 * call (an error there aborted the process); now it is the script's error. */
START_TEST(sandbox_tostring_of_a_detail_is_protected)
{
    refused("expect(\"x\", function() return true, setmetatable({}, { __tostring = function() error(\"boom\") end }) end)",
            NULL, "t.lua:4: boom", "expect 'x'");
    refused("expect(\"x\", function() return true, setmetatable({}, { __tostring = function() while true do end end }) "
            "end)", NULL, "t.lua:4:", "instruction budget exceeded");
}
END_TEST

START_TEST(sandbox_gc_finalisers_are_refused)
{
    /* Lua runs __gc with hooks off: a loop there would escape the budget. */
    refused("setmetatable({}, { __gc = function() while true do end end })", NULL, "t.lua:4:",
            "__gc finalisers are not allowed");
    /* A __gc added after setmetatable never runs (Lua's rule): harmless. */
    cJSON_Delete(harmless(
        "local mt = {}\n"
        "local t = setmetatable({}, mt)\n"
        "mt.__gc = function() while true do end end\n"
        "t = nil\n"
        "expect(\"a late __gc is inert\", function() return true end)"));
}
END_TEST

/* Declarations build the world before the run: from a hook or an expectation
 * they would change vectors the running simulation reads. */
START_TEST(sandbox_declarations_refused_during_a_run)
{
    refused("at(\"1m\", function(k) deployment { name = \"late\", cpu = \"1\", memory = \"1Gi\" } end)", NULL,
            "t.lua:4:", "deployment: declarations are made while the script loads");
    refused("every(\"1m\", function(k) nodegroup { name = \"more\", region = \"r\", cpu = \"8\", memory = \"8Gi\", "
            "min = 1, max = 9 } end)", NULL, "t.lua:4:", "nodegroup: declarations are made");
    refused("expect(\"e\", function(r) expect(\"f\", function() return true end) return true end)", NULL,
            "t.lua:4:", "expect: declarations are made");
    refused("expect(\"e\", function(r) param(\"x\", 1) return true end)", NULL, "t.lua:4:",
            "param: declarations are made");
}
END_TEST

/* ---- the instruction budget ------------------------------------------------------- */
START_TEST(sandbox_budget_cannot_be_caught)
{
    refused("while true do pcall(function() while true do end end) end", NULL, "t.lua:4:",
            "instruction budget exceeded");
    refused("while true do pcall(error, \"x\") end", NULL, "t.lua:4:", "instruction budget exceeded");
    refused("local co = coroutine.wrap(function() while true do end end)\n"
            "while true do pcall(co) end", NULL, "t.lua:", "budget exceeded");
    refused("while true do xpcall(function() while true do end end, function() while true do end end) end", NULL,
            "t.lua:4:", "instruction budget exceeded");
}
END_TEST

/* Each coroutine counts its own instructions; creating many short ones used to
 * run without limit. */
START_TEST(sandbox_coroutines_cannot_dodge_the_budget)
{
    refused("local function f(d) if d == 0 then for i = 1, 9000 do end return end "
            "for j = 1, 900 do coroutine.wrap(f)(d - 1) end end f(8)",
            NULL, "t.lua:4:", "instruction budget exceeded");
    refused("local function f(d) if d == 0 then return end "
            "for j = 1, 900 do coroutine.resume(coroutine.create(f), d - 1) end end f(8)",
            NULL, "t.lua:4:", "instruction budget exceeded");
}
END_TEST

/* C library loops do not execute VM instructions; they are charged. */
START_TEST(sandbox_c_loops_are_charged)
{
    refused("local x = string.rep(\"a\", 5000):find(\".-.-.-.-b\")", NULL, "t.lua:4:",
            "string.find: instruction budget exceeded");
    refused("for w in string.rep(\"a\", 3000):gmatch(\"(a*)*b\") do end", NULL, "t.lua:4:",
            "string.gmatch: instruction budget exceeded");
    refused("local x = string.rep(\"a\", 3000):gsub(\"a-a-a-b\", \"\")", NULL, "t.lua:4:",
            "string.gsub: instruction budget exceeded");
    refused("local s = string.rep(\"a\", 4e6) local x = s:find(string.rep(\"a\", 2e6) .. \"b\", 1, true)", NULL,
            "t.lua:4:", "string.find: instruction budget exceeded");
    refused("table.move({}, 1, math.maxinteger - 1, 2)", NULL, "t.lua:4:", "table.move: instruction budget");
    refused("local t = table.unpack({}, 1, 1e8)", NULL, "t.lua:4:", "table.unpack: instruction budget");
    refused("local t = setmetatable({}, { __len = function() return 1 << 60 end }) table.insert(t, 1, 5)", NULL,
            "t.lua:4:", "__len metamethod");
    refused("local t = setmetatable({}, { __len = function() return 1 << 30 end }) table.sort(t)", NULL,
            "t.lua:4:", "__len metamethod");
    refused("local s = string.rep(\"x\", 1e5) for i = 1, 1e6 do local n = select(\"#\", s:byte(1, -1)) end", NULL,
            "t.lua:4:", "string.byte: instruction budget");
    refused("local s = string.rep(\"x\", 1e7) for i = 1, 1e7 do local n = utf8.len(s) end", NULL, "t.lua:4:",
            "utf8.len: instruction budget");
    refused("local t = setmetatable({}, { __index = function() return \"\" end }) "
            "local s = table.concat(t, \"\", 1, 1e12)", NULL, "t.lua:4:", "table.concat: instruction budget");
    /* Copying 100 MB is one VM instruction: allocations are charged too. */
    refused("local s = string.rep(\"x\", 1e8) for i = 1, 1e7 do local y = s .. \"y\" end", NULL, "t.lua",
            "instruction budget exceeded");
    cJSON_Delete(harmless(
        "local e = string.rep(\"\", 1 << 60) .. string.rep(\"\", 1 << 62, \"\")\n"
        "local a, b = (\"09:30\"):match(\"^(%d+):(%d+)$\")\n"
        "local n = 0 for w in (\"a,b,c\"):gmatch(\"[^,]+\") do n = n + 1 end\n"
        "local t = {} for i = 0, 62 do t[1 << i] = i end table.insert(t, 1, \"x\")\n"
        "expect(\"string.rep of nothing is nothing, at once\", function() return e == \"\" end)\n"
        "local u, c, bytes = utf8.len(\"h\\u{e9}llo\"), table.concat({ \"a\", \"b\" }, \",\"), { (\"abc\"):byte(-2, -1) }\n"
        "expect(\"ordinary patterns still work\", function() return a == \"09\" and b == \"30\" and n == 3 end)\n"
        "local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)\n"
        "local sum = gen() + gen() + gen()\n"
        "local ok, msg = xpcall(function(x) error(\"e\" .. x, 0) end, function(m) return \"handled \" .. m end, 1)\n"
        "expect(\"counted functions still work\", function() return u == 5 and c == \"a,b\" and bytes[1] == 98 "
        "and bytes[2] == 99 and sum == 6 and not ok and msg == \"handled e1\" end)"));
}
END_TEST

/* print converts and writes one value at a time (print(table.unpack(t))
 * used to push one string per value past the C stack's guaranteed slots),
 * and a flood of output is charged to the budget. */
START_TEST(sandbox_print_is_bounded)
{
    refused("local s = string.rep(\"x\", 1e4) while true do print(s) end", "--lua-steps 1000000", "t.lua:4:",
            "print: instruction budget exceeded");
    cJSON_Delete(harmless(
        "local t = {} for i = 1, 5000 do t[i] = i end\n"
        "print(table.unpack(t))\n"
        "print(setmetatable({}, { __tostring = function() return \"custom\" end }), nil, true)\n"
        "expect(\"print returned\", function() return true end)"));
    ck_assert_msg(strstr(tb_err(), "scenario: 1 2 3 ") && strstr(tb_err(), " 4999 5000\n"), "%.200s", tb_err());
    ck_assert_msg(strstr(tb_err(), "scenario: custom nil true\n"), "%s", err_tail());
}
END_TEST

START_TEST(sandbox_infinite_loops_stop)
{
    refused("while true do end", NULL, "t.lua:4:", "instruction budget exceeded");
    refused("local function f() return f() end f()", NULL, "t.lua:4:", "instruction budget exceeded");
    refused("every(\"1m\", function(k) while true do end end)", NULL, "t.lua:4:", "instruction budget exceeded");
    refused("repeat until false", "--lua-steps 1000", "t.lua:4:", "instruction budget exceeded");
}
END_TEST

/* ---- memory ------------------------------------------------------------------------ */
START_TEST(sandbox_memory_bombs_stop)
{
    refused("local t = {} for i = 1, 1e9 do t[i] = string.rep(\"x\", 1e6) .. i end",
            "--lua-mem 64 --lua-steps 1000000000", "t.lua:4: ", "memory limit of 64 MiB");
    refused("local s = \"x\" while true do s = s .. s end", "--lua-mem 64 --lua-steps 1000000000", "t.lua:4: ",
            "memory limit of 64 MiB");
    refused("local t = {} while true do t[#t + 1] = {} end", "--lua-mem 32 --lua-steps 1000000000", "t.lua:4: ",
            "memory limit of 32 MiB");
    refused("local s = string.rep(\"x\", 1 << 40)", NULL, "t.lua", NULL);
    refused("local s = string.rep(\"abc\", 1 << 62, \"def\")", NULL, "t.lua:4:", "resulting string too large");
    /* pcall cannot keep a bomb going: the failed requests are charged. */
    refused("local t = {} while true do pcall(function() t[#t + 1] = string.rep(\"x\", 1e7) end) end",
            "--lua-mem 64", "t.lua", "budget exceeded");
}
END_TEST

START_TEST(sandbox_deep_recursion_stops)
{
    refused("local function f(n) return 1 + f(n + 1) end f(1)", NULL, "t.lua:4:", "stack overflow");
    refused("local t = setmetatable({}, {}) getmetatable(t).__index = function(t, k) return t[k] end local x = t.a",
            NULL, "t.lua:4:", "stack overflow");
    /* Lua -> C -> Lua recursion (__index -> tostring -> __tostring -> __index). */
    refused("local t t = setmetatable({}, { __index = function(_, k) "
            "return tostring(setmetatable({}, { __tostring = function() return t[k] end })) end }) local x = t.a",
            NULL, "t.lua:4:", "stack overflow");
}
END_TEST

/* ---- one message with the file and line, whatever was raised ------------------------- */
/* Refused with frag in the message, and the script's position given once:
 * no "t.lua:N: t.lua:N: ..." chain. */
static void refused_once(const char *body, const char *flags, const char *frag)
{
    refused(body, flags, frag, NULL);
    const char *first = strstr(tb_err(), "t.lua:");
    ck_assert_msg(first && strstr(first + 1, "t.lua:") == NULL, "the position repeats for:\n%s\nstderr: %s", body,
                  err_tail());
}

START_TEST(sandbox_errors_name_file_and_line)
{
    refused_once("error({})", NULL, "t.lua:4: error object is a table value");
    refused_once("error(nil)", NULL, "t.lua:4: error object is a nil value");
    refused_once("error()", NULL, "t.lua:4: error object is a nil value");
    refused_once("error(true)", NULL, "t.lua:4: error object is a boolean value");
    refused_once("error(42)", NULL, "t.lua:4: 42");
    refused_once("error(\"plain\", 0)", NULL, "t.lua:4: plain");
    refused_once("error(setmetatable({}, { __tostring = function() return \"custom boom\" end }))", NULL,
                 "t.lua:4: custom boom");
    refused_once("error(setmetatable({}, { __tostring = function() return {} end }))", NULL,
                 "t.lua:4: error object is a table value");
    refused_once("error(setmetatable({}, { __tostring = function() while true do end end }))", NULL,
                 "t.lua:4: error object is a table value");
    /* The line that raised it, not the line that called. */
    refused_once("local function f()\n  error({})\nend\nf()", NULL, "t.lua:5: error object is a table value");
    refused_once("coroutine.yield(1)", NULL, "t.lua:4: attempt to yield from outside a coroutine");
}
END_TEST

START_TEST(sandbox_hook_and_expectation_errors_name_file_and_line)
{
    refused_once("at(\"1m\", function(k)\n  error({})\nend)", NULL, "t.lua:5: error object is a table value");
    refused_once("every(\"1m\", function(k)\n  error(nil)\nend)", NULL, "t.lua:5: error object is a nil value");
    refused_once("at(\"1m\", function(k)\n  coroutine.wrap(function() error({}) end)()\nend)", NULL,
                 "t.lua:5: error object is a table value");
    refused_once("expect(\"x\", function(r)\n  error({})\nend)", NULL, "t.lua:5: error object is a table value");
    refused_once("expect(\"x\", function(r)\n  error(setmetatable({}, { __tostring = function() "
                 "return \"bad summary\" end }))\nend)", NULL, "t.lua:5: bad summary");
}
END_TEST

/* Lua's coroutine.wrap prefixes its caller's position to a string error at
 * each level: 46 nested wraps gave 46 prefixes. */
START_TEST(sandbox_nested_coroutine_errors_name_the_raising_line_once)
{
    static const char nest[] =
        "local function nest(n, raise)\n"
        "  if n == 0 then raise() end\n"
        "  return coroutine.wrap(function() return nest(n - 1, raise) end)()\n"
        "end\n";
    char body[1024];
    snprintf(body, sizeof body, "%snest(46, function() error(\"deep\") end)", nest);
    refused_once(body, NULL, "t.lua:8: deep");
    snprintf(body, sizeof body, "%snest(46, function()\n  error({})\nend)", nest);
    refused_once(body, NULL, "t.lua:9: error object is a table value");
    snprintf(body, sizeof body, "%snest(3, function()\n  error(nil)\nend)", nest);
    refused_once(body, NULL, "t.lua:9: error object is a nil value");
    /* A table error caught and raised again is the same object: the report
     * names the line in the coroutine that raised it first. */
    snprintf(body, sizeof body, "%slocal ok, e = pcall(nest, 3, function() error({}) end)\nerror(e)", nest);
    refused_once(body, NULL, "t.lua:8: error object is a table value");
    refused_once("coroutine.wrap(function()\n  local s = \"x\" while true do s = s .. s end\nend)()",
                 "--lua-mem 64 --lua-steps 1000000000", "t.lua:5: the script exceeded its memory limit of 64 MiB");
    refused_once("local ok, e = coroutine.resume(coroutine.create(function()\n  local s = \"x\" "
                 "while true do s = s .. s end\nend))\nerror(e, 0)",
                 "--lua-mem 64 --lua-steps 1000000000", "t.lua:5: the script exceeded its memory limit of 64 MiB");
    refused_once("coroutine.wrap(function() coroutine.wrap(function()\n  while true do end\nend)() end)()", NULL,
                 "t.lua:5: instruction budget exceeded");
}
END_TEST

/* The budget holds however small: a period of the count hook is paid
 * before it runs. --lua-steps 5 ran 10,000 instructions; a budget of 14,000
 * let a 15,000-instruction loop finish. */
START_TEST(sandbox_small_budgets_hold_exactly)
{
    refused("", "--lua-steps 5", "t.lua:", "instruction budget exceeded (raise it with --lua-steps)");
    refused("for i = 1, 15000 do end", "--lua-steps 14000", "t.lua:4: ", "instruction budget exceeded");
    cJSON_Delete(harmless("for i = 1, 15000 do end\nexpect(\"ran\", function() return true end)"));
}
END_TEST

/* ---- the same in every process -------------------------------------------------------- */
/* The key order: integers, other numbers, strings by bytes, false, true,
 * then tables and functions by their creation order. */
START_TEST(sandbox_pairs_and_next_follow_the_key_order)
{
    cJSON_Delete(harmless(
        "local o1, o2 = {}, {}\n"
        "local t = { [3] = 1, [1] = 1, [2.5] = 1, [-1.5] = 1, b = 1, a = 1, ab = 1, [\"\"] = 1, B = 1,\n"
        "            [true] = 1, [false] = 1, [-7] = 1 }\n"
        "t[o2] = \"o2\" t[o1] = \"o1\"\n"
        "local function name(k) return type(k) == \"table\" and t[k] or \"<\" .. tostring(k) .. \">\" end\n"
        "local seen, walked = {}, {}\n"
        "for k in pairs(t) do seen[#seen + 1] = name(k) end\n"
        "local k = next(t) while k ~= nil do walked[#walked + 1] = name(k) k = next(t, k) end\n"
        "local want = \"<-7> <1> <3> <-1.5> <2.5> <> <B> <a> <ab> <b> <false> <true> o1 o2\"\n"
        "expect(\"pairs\", function() return table.concat(seen, \" \") == want, table.concat(seen, \" \") end)\n"
        "expect(\"next\", function() return table.concat(walked, \" \") == want, table.concat(walked, \" \") end)\n"
        /* removed during the loop: skipped; the loop still ends */
        "local d = { a = 1, b = 2, c = 3 } local visited = \"\"\n"
        "for k in pairs(d) do visited = visited .. k d.b = nil end\n"
        "expect(\"removal\", function() return visited == \"ac\", visited end)\n"
        "local mt = setmetatable({}, { __pairs = function(t) return function(_, k) if not k then return 1, 2 end end, t, nil end })\n"
        "local via = 0 for k, v in pairs(mt) do via = via + k + v end\n"
        "expect(\"__pairs\", function() return via == 3, tostring(via) end)\n"));
}
END_TEST

/* pairs sorts once per call: a loop over a 10,000-key table, 30 times, fits
 * a budget a quadratic walk (10^8 steps) would not. */
START_TEST(sandbox_pairs_over_big_tables_is_not_quadratic)
{
    cJSON_Delete(harmless(
        "local t = {} for i = 1, 10000 do t[\"k\" .. i] = i end\n"
        "local sum = 0 for r = 1, 30 do for k, v in pairs(t) do sum = sum + v end end\n"
        "expect(\"sum\", function() return sum == 30 * 50005000, tostring(sum) end)\n"));
}
END_TEST

/* Lua 5.4.4's sort draws pivots from the clock on lopsided partitions, so
 * equal elements could come out in another order in another process; the
 * sandbox's sort is stable. */
START_TEST(sandbox_table_sort_is_stable)
{
    cJSON_Delete(harmless(
        "local t = {} for i = 1, 600 do t[i] = { key = (i * 7919) % 5, i = i } end\n"
        "table.sort(t, function(a, b) return a.key < b.key end)\n"
        "local ok = true for i = 2, #t do local a, b = t[i - 1], t[i]\n"
        "  if a.key > b.key or (a.key == b.key and a.i > b.i) then ok = false end end\n"
        "expect(\"stable\", function() return ok end)\n"
        "local n = { 5, 3, 9, 1, 1, 7 } table.sort(n)\n"
        "expect(\"numbers\", function() return table.concat(n, \",\") == \"1,1,3,5,7,9\", table.concat(n, \",\") end)\n"
        "local d = { \"b\", \"c\", \"a\" } table.sort(d, function(x, y) return x > y end)\n"
        "expect(\"comparator\", function() return table.concat(d) == \"cba\", table.concat(d) end)\n"));
    refused("table.sort({ 1, \"x\", 2 })", NULL, "t.lua:4: ", "attempt to compare");
}
END_TEST

START_TEST(sandbox_tostring_shows_no_address)
{
    cJSON_Delete(harmless(
        "local checks = {\n"
        "  tostring({}), tostring(print), tostring(function() end), tostring(coroutine.create(print)),\n"
        "  string.format(\"%s\", {}), string.format(\"%-12s|%%|%d\", {}, 3), (\"%s\"):format(print),\n"
        "  tostring(setmetatable({}, { __name = \"Thing\" })), tostring(setmetatable({}, { __tostring = function() return \"me\" end })),\n"
        "  tostring(k), tostring(nil), tostring(1.5), tostring(true) }\n"
        "local want = { \"^table: %d+$\", \"^function: %d+$\", \"^function: %d+$\", \"^thread: %d+$\",\n"
        "  \"^table: %d+$\", \"^table: %d+ *|%%|3$\", \"^function: %d+$\", \"^Thing: %d+$\", \"^me$\",\n"
        "  \"^nil$\", \"^nil$\", \"^1.5$\", \"^true$\" }\n"
        "for i = 1, #want do local c = checks[i] or \"nil\"\n"
        "  expect(\"tostring \" .. i, function() return c:match(want[i]) ~= nil, c end) end\n"
        "local a, b = {}, {}\n"
        "expect(\"numbers in creation order\", function()\n"
        "  return tonumber(tostring(a):match(\"%d+\")) < tonumber(tostring(b):match(\"%d+\")) end)\n"
        "expect(\"stable\", function() return tostring(a) == tostring(a) end)\n"));
    refused("local s = string.format(\"%p\", {})", NULL, "t.lua:4: ", "%p is not available in scenarios");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sandbox");
    TCase *tc = tcase_create("escapes");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, sandbox_stock_escapes_are_nil);
    tcase_add_test(tc, sandbox_bytecode_is_refused);
    tcase_add_test(tc, sandbox_string_metatable_is_out_of_reach);
    tcase_add_test(tc, sandbox_k_is_read_only);
    tcase_add_test(tc, sandbox_library_and_summary_tables_cannot_smuggle);
    tcase_add_test(tc, sandbox_tostring_of_a_detail_is_protected);
    tcase_add_test(tc, sandbox_gc_finalisers_are_refused);
    tcase_add_test(tc, sandbox_declarations_refused_during_a_run);
    tcase_add_test(tc, sandbox_budget_cannot_be_caught);
    tcase_add_test(tc, sandbox_coroutines_cannot_dodge_the_budget);
    tcase_add_test(tc, sandbox_c_loops_are_charged);
    tcase_add_test(tc, sandbox_print_is_bounded);
    tcase_add_test(tc, sandbox_infinite_loops_stop);
    tcase_add_test(tc, sandbox_memory_bombs_stop);
    tcase_add_test(tc, sandbox_deep_recursion_stops);
    tcase_add_test(tc, sandbox_errors_name_file_and_line);
    tcase_add_test(tc, sandbox_hook_and_expectation_errors_name_file_and_line);
    tcase_add_test(tc, sandbox_nested_coroutine_errors_name_the_raising_line_once);
    tcase_add_test(tc, sandbox_small_budgets_hold_exactly);
    tcase_add_test(tc, sandbox_pairs_and_next_follow_the_key_order);
    tcase_add_test(tc, sandbox_pairs_over_big_tables_is_not_quadratic);
    tcase_add_test(tc, sandbox_tostring_shows_no_address);
    tcase_add_test(tc, sandbox_table_sort_is_stable);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int rc = tb_setup("sandbox");
    if (rc != 0)
        return rc;
    int failed = tr_run(suite(), 0);   /* forked: a hang is a timeout, not a stuck suite */
    tb_cleanup();
    return failed ? 1 : 0;
}
