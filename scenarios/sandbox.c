/*
 * sandbox.c: the Lua state a scenario runs in. It opens only base, table,
 * string, math, utf8 and coroutine, then removes what reaches outside
 * (dofile, loadfile, load, require, collectgarbage, string.dump). math.random
 * draws from the run's seeded stream, so a script cannot make a run differ
 * between two executions. Memory is capped in the allocator and VM
 * instructions are budgeted by a count hook; both end the script with a clear
 * error instead of hanging or exhausting the host.
 *
 * A count hook sees only VM instructions, so the library functions that can
 * loop in C for as long as their arguments say are charged to the same
 * budget (see harden()): every byte a script allocates (every 8 bytes a
 * step), pattern matching (by a worst-case estimate: backtracking is
 * polynomial in the subject's length), table.insert/remove/sort/move/
 * unpack/concat, string.byte and utf8.codepoint by their element counts,
 * utf8.len and offset by the bytes they scan, print by the bytes it writes,
 * and a coroutine by the instructions it may run before its own count hook
 * first fires; string.rep of an empty string returns at once. Once the
 * budget is spent the count hook fires on every instruction, so a script
 * cannot pcall its way past the error, and xpcall calls its handler after
 * the error has unwound (Lua calls it inside the hook, with hooks off).
 * Finalisers (__gc) are refused: Lua runs them with hooks off. The string
 * metatable and the host's read-only tables (k) are out of reach of
 * getmetatable and rawset. Declarations are refused once the run has started
 * (from a hook or an expectation): the world is already built from them.
 */
#include "scenarios/scn_int.h"

#include <lualib.h>
#include <stdio.h>
#include <string.h>

#define HOOK_EVERY 10000
#define ALLOC_BYTES_PER_STEP 8
#define SPENT_SLACK 1024         /* bytes granted per block once the budget is spent */
#define CAP_BUDGET 2             /* lua_cap_hit: refused because the budget is spent */

/* Lua's allocator, through the scenario's SimMem, refusing growth past the cap. */
static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    ScnScenario *s = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        if (ptr)
            sim_mem_free(s->mem, ptr, osize);
        s->lua_used -= old;
        return NULL;
    }
    /* Growth is work the count hook cannot see (one `..` may copy 100 MiB):
     * once the script runs, every ALLOC_BYTES_PER_STEP bytes asked for cost a
     * step, granted or not. With the budget spent, only the small blocks an
     * error message needs are still granted. */
    if (nsize > old && s->L && lua_gethookmask(s->L)) {
        uint64_t cost = (nsize - old) / ALLOC_BYTES_PER_STEP + 1;
        if (cost <= s->steps_left) {
            s->steps_left -= cost;
        } else if (s->steps_left > 0 || nsize - old > SPENT_SLACK) {
            s->steps_left = 0;
            s->lua_cap_hit = CAP_BUDGET;
            return NULL;
        }
    }
    s->lua_cap_hit = nsize > old && s->lua_used + (nsize - old) > s->lua_mem;
    if (s->lua_cap_hit)
        return NULL;
    void *q = sim_mem_realloc(s->mem, ptr, old, nsize);
    if (q)
        s->lua_used = s->lua_used - old + nsize;
    else
        s->mem->oom = 0;   /* Lua reports and unwinds this itself */
    return q;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    ScnScenario *s = scn_from_lua(L);
    uint64_t every = (uint64_t)lua_gethookcount(L);
    if (s->steps_left <= every) {
        /* Spent: from now on this thread stops at every instruction, so a
         * pcall or coroutine.resume that caught the error cannot go on.
         * Inside a hook, level 0 is the running Lua function (luaL_error
         * would name its caller), so the position is built here. */
        lua_Debug d;
        s->steps_left = 0;
        lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
        if (lua_getstack(L, 0, &d) && lua_getinfo(L, "Sl", &d) && d.currentline > 0)
            lua_pushfstring(L, "%s:%d: ", d.short_src, d.currentline);
        else
            lua_pushstring(L, "");
        lua_pushstring(L, "instruction budget exceeded (raise it with --lua-steps)");
        lua_concat(L, 2);
        lua_error(L);
    }
    s->steps_left -= every;
}

void scn_sandbox_arm(ScnScenario *s, uint64_t steps)
{
    s->steps_left = steps;
    lua_sethook(s->L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
}

/* math.random as Lua 5.4 defines it, drawn from the run's seeded stream. */
static int l_random(lua_State *L)
{
    ScnScenario *s = scn_from_lua(L);
    lua_Integer lo = 1, hi;
    switch (lua_gettop(L)) {
    case 0:
        lua_pushnumber(L, sim_rng_unit(&s->rng));
        return 1;
    case 1:
        hi = luaL_checkinteger(L, 1);
        break;
    case 2:
        lo = luaL_checkinteger(L, 1);
        hi = luaL_checkinteger(L, 2);
        break;
    default:
        return luaL_error(L, "wrong number of arguments to 'random'");
    }
    luaL_argcheck(L, lo <= hi, lua_gettop(L), "interval is empty");
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    uint64_t r = span == UINT64_MAX ? sim_rng_u64(&s->rng) : sim_rng_below(&s->rng, span + 1);
    lua_pushinteger(L, (lua_Integer)((uint64_t)lo + r));
    return 1;
}

static void charge(lua_State *L, uint64_t cost, const char *what);

/* print: each value as tostring shows it; a byte written costs a step (a
 * loop printing one long string would otherwise flood the host's stderr). */
static int l_print(lua_State *L)
{
    int n = lua_gettop(L);
    fputs("scenario:", stderr);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *v = luaL_tolstring(L, i, &len);
        charge(L, len + 1, "print");
        fputc(' ', stderr);
        fwrite(v, 1, len, stderr);
        lua_pop(L, 1);   /* one slot at a time: print(table.unpack(t)) may pass thousands */
    }
    fputc('\n', stderr);
    return 0;
}

static void open_libs(lua_State *L)
{
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base}, {LUA_TABLIBNAME, luaopen_table}, {LUA_STRLIBNAME, luaopen_string},
        {LUA_MATHLIBNAME, luaopen_math}, {LUA_UTF8LIBNAME, luaopen_utf8}, {LUA_COLIBNAME, luaopen_coroutine}};
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        luaL_requiref(L, libs[i].name, libs[i].func, 1);
        lua_pop(L, 1);
    }
}

static void remove_escapes(lua_State *L)
{
    static const char *const base[] = {"dofile", "loadfile", "load", "require", "collectgarbage", NULL};
    for (size_t i = 0; base[i]; i++) {
        lua_pushnil(L);
        lua_setglobal(L, base[i]);
    }
    lua_getglobal(L, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    lua_getglobal(L, LUA_MATHLIBNAME);
    lua_pushcfunction(L, l_random);
    lua_setfield(L, -2, "random");
    lua_pushnil(L);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_print);
    lua_setglobal(L, "print");
}

/* ---- charging what runs in C ------------------------------------------------ */
/* Spends cost steps, or ends the script as the count hook does. */
static void charge(lua_State *L, uint64_t cost, const char *what)
{
    ScnScenario *s = scn_from_lua(L);
    if (!lua_gethookmask(L))
        return;   /* not armed: the host is setting up */
    if (cost < s->steps_left) {
        s->steps_left -= cost;
        return;
    }
    s->steps_left = 0;
    lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
    luaL_error(L, "%s: instruction budget exceeded (raise it with --lua-steps)", what);
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    return a != 0 && b > UINT64_MAX / 4 / a ? UINT64_MAX / 4 : a * b;
}

/* The original library function, upvalue 1 of its wrapper, called in the
 * wrapper's own frame (so its errors name the script's line). */
static int call_orig(lua_State *L)
{
    return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

static size_t skip_set(const char *p, size_t lp, size_t i)
{
    i++;                               /* '[' */
    if (i < lp && p[i] == '^')
        i++;
    do {
        i += i < lp && p[i] == '%' ? 2 : 1;
    } while (i < lp && p[i] != ']');
    return i + 1;
}

/* Backtracking points of a Lua pattern: each quantifier, %b and back
 * reference multiplies the worst-case work by the subject's length. */
static unsigned pattern_branches(const char *p, size_t lp)
{
    unsigned q = 0;
    size_t i = lp > 0 && p[0] == '^' ? 1 : 0;
    while (i < lp) {
        if (p[i] == '(' || p[i] == ')') {
            i++;
            continue;
        }
        if (p[i] == '%' && i + 1 < lp) {
            char d = p[i + 1];
            if (d == 'b' || (d >= '0' && d <= '9')) {
                q++;
                i += d == 'b' ? 4 : 2;
                continue;
            }
            if (d == 'f') {
                i = i + 2 < lp && p[i + 2] == '[' ? skip_set(p, lp, i + 2) : i + 3;
                continue;
            }
            i += 2;
        } else if (p[i] == '[') {
            i = skip_set(p, lp, i);
        } else {
            i++;
        }
        if (i < lp && (p[i] == '*' || p[i] == '+' || p[i] == '-' || p[i] == '?')) {
            q++;
            i++;
        }
    }
    return q;
}

static int has_specials(const char *p, size_t lp)
{
    for (size_t i = 0; i < lp; i++)
        if (strchr("^$*+?.([%-", p[i]))
            return 1;
    return 0;
}

/* find, match, gmatch, gsub: (n+1)^(branches+1) * (m+1), one factor fewer
 * when anchored; a plain find costs (n+1) * (m+1). Upvalue 2 names it. */
static int l_pattern(lua_State *L)
{
    size_t n, m;
    luaL_checklstring(L, 1, &n);
    const char *p = luaL_checklstring(L, 2, &m);
    const char *what = lua_tostring(L, lua_upvalueindex(2));
    int is_find = strcmp(what, "string.find") == 0, is_gmatch = strcmp(what, "string.gmatch") == 0;
    uint64_t cost = sat_mul(n + 1, m + 1);
    if (!(is_find && (lua_toboolean(L, 4) || !has_specials(p, m)))) {
        unsigned q = pattern_branches(p, m) + (m > 0 && p[0] == '^' && !is_gmatch ? 0 : 1);
        for (unsigned i = 0; i < q; i++)
            cost = sat_mul(cost, n + 1);
    }
    charge(L, cost, what);
    return call_orig(L);
}

/* string.rep of an empty string and separator would loop n times for "". */
static int l_rep(lua_State *L)
{
    size_t l, lsep = 0;
    luaL_checklstring(L, 1, &l);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &lsep);
    if (n > 0 && l + lsep == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    return call_orig(L);
}

/* An integer range [i, j] of arguments ia and ja (defaults di, dj): its length. */
static uint64_t span(lua_State *L, int ia, lua_Integer di, int ja, lua_Integer dj)
{
    lua_Integer i = luaL_optinteger(L, ia, di), j = luaL_optinteger(L, ja, dj);
    return i > j ? 0 : (uint64_t)j - (uint64_t)i + 1;
}

/* table.insert, remove, sort: the length must be the raw one (a __len could
 * answer differently to this check and to the function). */
static uint64_t raw_length(lua_State *L, const char *what)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    if (luaL_getmetafield(L, 1, "__len") != LUA_TNIL)
        luaL_error(L, "%s: tables with a __len metamethod are not supported in scenarios", what);
    return (uint64_t)lua_rawlen(L, 1);
}

static int l_counted(lua_State *L)
{
    const char *what = lua_tostring(L, lua_upvalueindex(2));
    uint64_t cost = 1;
    if (strcmp(what, "table.sort") == 0) {
        uint64_t n = raw_length(L, what), lg = 1;
        while (lg < 64 && (UINT64_C(1) << lg) < n)
            lg++;
        cost = sat_mul(n, 2 * lg);
    } else if (strcmp(what, "table.insert") == 0 || strcmp(what, "table.remove") == 0) {
        cost = raw_length(L, what) + 1;
    } else if (strcmp(what, "table.move") == 0) {
        cost = span(L, 2, 0, 3, 0) + 1;
    } else if (strcmp(what, "table.unpack") == 0) {
        cost = span(L, 2, 1, 3, lua_istable(L, 1) ? (lua_Integer)lua_rawlen(L, 1) : 0) + 1;
    } else if (strcmp(what, "string.byte") == 0 || strcmp(what, "utf8.codepoint") == 0) {
        size_t n;
        luaL_checklstring(L, 1, &n);
        lua_Integer i = luaL_optinteger(L, 2, 1), j = luaL_optinteger(L, 3, i), l = (lua_Integer)n;
        i = i < 0 ? (i < -l ? 1 : l + i + 1) : i;   /* as posrelat: counted from the end */
        j = j < 0 ? (j < -l ? 0 : l + j + 1) : (j > l ? l : j);
        cost = (i > j ? 0 : (uint64_t)(j - i) + 1) + 1;
    } else if (strcmp(what, "utf8.len") == 0 || strcmp(what, "utf8.offset") == 0) {
        size_t n;
        luaL_checklstring(L, 1, &n);
        cost = n / ALLOC_BYTES_PER_STEP + 1;   /* a scan of the string, allocating nothing */
    } else if (strcmp(what, "table.concat") == 0) {
        luaL_checktype(L, 1, LUA_TTABLE);
        cost = span(L, 3, 1, 4, (lua_Integer)lua_rawlen(L, 1)) + 1;
    } else if (strcmp(what, "coroutine.create") == 0 || strcmp(what, "coroutine.wrap") == 0) {
        /* A new thread counts its own instructions from zero: it may run
         * HOOK_EVERY of them before its hook first charges the budget. */
        cost = HOOK_EVERY;
    }
    charge(L, cost, what);
    return call_orig(L);
}

/* Replaces lib.name by a wrapper closure (original, "lib.name"). */
static void wrap(lua_State *L, const char *lib, const char *name, lua_CFunction w)
{
    lua_getglobal(L, lib);
    lua_getfield(L, -1, name);
    lua_pushfstring(L, "%s.%s", lib, name);
    lua_pushcclosure(L, w, 2);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
}

/* setmetatable refuses finalisers: Lua runs __gc with hooks off, so neither
 * the budget nor the run's order of events would hold inside one. */
static int l_setmetatable(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "setmetatable: __gc finalisers are not allowed in scenarios");
        lua_pop(L, 1);
    }
    return call_orig(L);
}

/* rawset refuses a table whose metatable is protected (k): read-only means it. */
static int l_rawset(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    if (lua_getmetatable(L, 1)) {
        lua_pushliteral(L, "__metatable");
        int prot = lua_rawget(L, -2) != LUA_TNIL;
        lua_pop(L, 2);
        if (prot)
            return luaL_error(L, "rawset: this table is read-only");
    }
    return call_orig(L);
}

/* xpcall(f, msgh, ...) with msgh called once the error has unwound. Lua
 * calls a message handler where the error is raised, and an error the count
 * hook raises is raised with hooks off: the handler would run unbudgeted.
 * Without the debug library a handler cannot look at the stack anyway. */
static int l_xpcall(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushboolean(L, 1);
    lua_pushvalue(L, 1);
    for (int i = 3; i <= n; i++)
        lua_pushvalue(L, i);
    if (lua_pcall(L, n - 2, LUA_MULTRET, 0) == LUA_OK)
        return lua_gettop(L) - n;
    lua_pushvalue(L, 2);
    lua_insert(L, -2);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        lua_pop(L, 1);
        lua_pushliteral(L, "error in error handling");
    }
    lua_pushboolean(L, 0);
    lua_replace(L, n + 1);
    return 2;
}

static void harden(lua_State *L)
{
    static const char *const counted[][2] = {
        {LUA_TABLIBNAME, "insert"}, {LUA_TABLIBNAME, "remove"}, {LUA_TABLIBNAME, "sort"},
        {LUA_TABLIBNAME, "move"}, {LUA_TABLIBNAME, "unpack"}, {LUA_TABLIBNAME, "concat"},
        {LUA_STRLIBNAME, "byte"}, {LUA_UTF8LIBNAME, "codepoint"}, {LUA_UTF8LIBNAME, "len"},
        {LUA_UTF8LIBNAME, "offset"},
        {LUA_COLIBNAME, "create"}, {LUA_COLIBNAME, "wrap"}};
    static const char *const patterns[] = {"find", "match", "gmatch", "gsub"};
    for (size_t i = 0; i < sizeof counted / sizeof counted[0]; i++)
        wrap(L, counted[i][0], counted[i][1], l_counted);
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++)
        wrap(L, LUA_STRLIBNAME, patterns[i], l_pattern);
    wrap(L, LUA_STRLIBNAME, "rep", l_rep);
    wrap(L, LUA_GNAME, "setmetatable", l_setmetatable);
    wrap(L, LUA_GNAME, "rawset", l_rawset);
    lua_pushcfunction(L, l_xpcall);
    lua_setglobal(L, "xpcall");
    /* getmetatable("") answers false; the metatable itself stays out of reach. */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);
}

/* ---- declarations only while the script loads ---------------------------------- */
/* expect's function, called through this closure so that its detail (the
 * second result) becomes a string inside the protected call: a __tostring
 * runs under the budget and its errors are the script's. */
static int l_expect_fn(lua_State *L)
{
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, 2);
    int t = lua_type(L, -1);
    if (t != LUA_TNIL && t != LUA_TSTRING && t != LUA_TNUMBER && t != LUA_TBOOLEAN) {
        luaL_tolstring(L, -1, NULL);
        lua_replace(L, -2);
    }
    return 2;
}

/* A declaration function, refused once the run has started. */
static int l_decl_guard(lua_State *L)
{
    const char *name = lua_tostring(L, lua_upvalueindex(2));
    if (scn_from_lua(L)->hooks.closed)
        return luaL_error(L, "%s: declarations are made while the script loads, not from a hook or an expectation",
                          name);
    if (strcmp(name, "expect") == 0 && lua_type(L, 2) == LUA_TFUNCTION) {
        lua_pushvalue(L, 2);
        lua_pushcclosure(L, l_expect_fn, 1);
        lua_replace(L, 2);
    }
    return call_orig(L);
}

/* Wraps each global C function registered since `before` (a set of names). */
static void guard_declarations(lua_State *L, int before)
{
    lua_pushglobaltable(L);
    int g = lua_gettop(L);
    lua_newtable(L);
    int todo = lua_gettop(L);
    for (lua_pushnil(L); lua_next(L, g); lua_pop(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING || !lua_iscfunction(L, -1))
            continue;
        if (lua_getupvalue(L, -1, 1) != NULL) {   /* a closure: not a declaration */
            lua_pop(L, 1);
            continue;
        }
        const char *name = lua_tostring(L, -2);
        if (strcmp(name, "at") == 0 || strcmp(name, "every") == 0)
            continue;   /* hooks.c refuses them itself, saying why */
        lua_pushvalue(L, -2);
        int old = lua_rawget(L, before) != LUA_TNIL;
        lua_pop(L, 1);
        if (!old) {
            lua_pushvalue(L, -2);
            lua_pushvalue(L, -2);
            lua_rawset(L, todo);
        }
    }
    for (lua_pushnil(L); lua_next(L, todo); lua_pop(L, 1)) {
        lua_pushvalue(L, -2);   /* name */
        lua_pushvalue(L, -2);   /* function */
        lua_pushvalue(L, -2);
        lua_pushcclosure(L, l_decl_guard, 2);
        lua_rawset(L, g);
    }
    lua_pop(L, 2);
}

static int l_setup(lua_State *L)
{
    open_libs(L);
    remove_escapes(L);
    harden(L);
    lua_newtable(L);
    int before = lua_gettop(L);
    lua_pushglobaltable(L);
    for (lua_pushnil(L); lua_next(L, -2); lua_pop(L, 1)) {
        lua_pushvalue(L, -2);
        lua_pushboolean(L, 1);
        lua_rawset(L, before);
    }
    lua_pop(L, 1);
    scn_api_register(L);
    guard_declarations(L, before);
    lua_pop(L, 1);
    return 0;
}

lua_State *scn_sandbox_new(ScnScenario *s)
{
    lua_State *L = lua_newstate(l_alloc, s);
    if (L == NULL)
        return NULL;
    /* The scenario pointer sits in the state's extra space for the C API. */
    memcpy(lua_getextraspace(L), &s, sizeof s);
    lua_pushcfunction(L, l_setup);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        lua_close(L);
        return NULL;
    }
    return L;
}

ScnScenario *scn_from_lua(lua_State *L)
{
    ScnScenario *s;
    memcpy(&s, lua_getextraspace(L), sizeof s);
    return s;
}

void scn_error_message(ScnScenario *s, int status, char *err, size_t errlen)
{
    if (status == LUA_ERRMEM && s->lua_cap_hit == CAP_BUDGET) {
        snprintf(err, errlen, "%s: instruction budget exceeded while allocating (raise it with --lua-steps)",
                 s->chunk);
        return;
    }
    if (status == LUA_ERRMEM && !s->lua_cap_hit) {
        snprintf(err, errlen, "%s: out of memory", s->chunk);
        return;
    }
    if (status == LUA_ERRMEM) {
        snprintf(err, errlen, "%s: the script exceeded its memory limit of %zu MiB (raise it with --lua-mem)",
                 s->chunk, s->lua_mem >> 20);
        return;
    }
    const char *msg = lua_tostring(s->L, -1);
    size_t cl = strlen(s->chunk);
    /* Syntax errors name the file, except a refused binary chunk. */
    if (status == LUA_ERRSYNTAX && msg && (strncmp(msg, s->chunk, cl) != 0 || msg[cl] != ':'))
        snprintf(err, errlen, "%s: %s", s->chunk, msg);
    else
        snprintf(err, errlen, "%s", msg ? msg : "error object is not a string");
    lua_pop(s->L, 1);
}
