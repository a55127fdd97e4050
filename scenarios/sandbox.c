/*
 * sandbox.c: the Lua state a scenario runs in. It opens only base, table,
 * string, math, utf8 and coroutine, then removes what reaches outside
 * (dofile, loadfile, load, require, collectgarbage, string.dump). math.random
 * draws from the run's seeded stream, so a script cannot make a run differ
 * between two executions. Memory is capped in the allocator and VM
 * instructions are budgeted by a count hook; both end the script with a clear
 * error instead of hanging or exhausting the host.
 *
 * Every call from the host (the script, a hook, an expectation) runs in a
 * thread of its own (scn_sandbox_call): a thread that dies of an error keeps
 * its frames, so the message names the file and line that raised it even
 * for a memory error or an error value that is not a string. coroutine.wrap
 * is our own: Lua's prefixes its caller's position at every level of
 * nesting. Instructions are paid for a period at a time, before they run,
 * so a budget of N runs at most N however small N is. The allocator stamps
 * each object's block with its creation number (order.c: the identity that
 * replaces addresses in pairs order and tostring).
 *
 * A count hook sees only VM instructions, so the library functions that can
 * loop in C for as long as their arguments say are charged to the same
 * budget (see harden()): every byte a script allocates (every 8 bytes a
 * step), pattern matching (by a worst-case estimate: backtracking is
 * polynomial in the subject's length), table.insert/remove/sort/move/
 * unpack/concat, string.byte and utf8.codepoint by their element counts,
 * utf8.len and offset by the bytes they scan, print by the bytes it writes;
 * string.rep of an empty string returns at once. Once the budget is spent
 * the count hook fires on every instruction and the host call fails even if
 * the script caught the error, and xpcall calls its handler after
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

/* Each block Lua asks for carries a header before it: the number of the
 * object it holds (tables, functions, coroutines and userdata are numbered
 * 1, 2, ... in the order the state creates them; other blocks 0) and a check
 * word. order.c reads the number through lua_topointer, where the address
 * would otherwise be the only identity an object has. */
typedef struct ObjHeader {
    uint64_t number, check;
} ObjHeader;
#define HDR sizeof(ObjHeader)   /* 16: keeps the blocks Lua gets aligned as malloc's */
#define HDR_MAGIC UINT64_C(0x6b75626573696d21)

static void stamp(ScnScenario *s, char *block, size_t tag)
{
    ObjHeader h = {0, 0};
    if (tag == LUA_TTABLE || tag == LUA_TFUNCTION || tag == LUA_TTHREAD || tag == LUA_TUSERDATA)
        h.number = ++s->objects;
    h.check = h.number ^ HDR_MAGIC;
    memcpy(block, &h, sizeof h);
}

/* The number stamped before a block Lua allocated, or 0. */
static uint64_t block_number(const void *p)
{
    ObjHeader h;
    memcpy(&h, (const char *)p - HDR, sizeof h);
    return h.number && (h.number ^ HDR_MAGIC) == h.check ? h.number : 0;
}

/* Lua's allocator, through the scenario's SimMem, refusing growth past the
 * cap. When ptr is NULL, osize is the type of the object Lua creates. */
static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    ScnScenario *s = ud;
    size_t old = ptr ? osize : 0;
    char *base = ptr ? (char *)ptr - HDR : NULL;
    if (nsize == 0) {
        if (ptr)
            sim_mem_free(s->mem, base, osize + HDR);
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
            s->spent = 1;
            return NULL;
        }
    }
    /* lua_cap_hit says why the last refusal was made: set on failures only,
     * as the message is built after later allocations succeeded. */
    if (nsize > old && s->lua_used + (nsize - old) > s->lua_mem) {
        s->lua_cap_hit = 1;
        return NULL;
    }
    char *q = sim_mem_realloc(s->mem, base, ptr ? old + HDR : 0, nsize + HDR);
    if (q == NULL) {
        s->lua_cap_hit = 0;
        s->mem->oom = 0;   /* Lua reports and unwinds this itself */
        return NULL;
    }
    s->lua_used = s->lua_used - old + nsize;
    if (ptr == NULL)
        stamp(s, q, osize);
    return q + HDR;
}

/* Light C functions (Lua's own library) and userdata have no header the
 * API can reach: they are numbered on first sight, in the registry. The
 * library's functions are all seen while the sandbox is built
 * (number_builtins), in the order of their names. */
static const char numbers_key = 'n';

static uint64_t lazy_number(lua_State *L, int idx)
{
    ScnScenario *s = scn_from_lua(L);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &numbers_key);
    lua_pushvalue(L, idx);
    if (lua_rawget(L, -2) == LUA_TNUMBER) {
        uint64_t n = (uint64_t)lua_tointeger(L, -1);
        lua_pop(L, 2);
        return n;
    }
    lua_pop(L, 1);
    lua_pushvalue(L, idx);
    lua_pushinteger(L, (lua_Integer)++s->objects);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    return s->objects;
}

static int is_light_function(lua_State *L, int idx)
{
    if (!lua_iscfunction(L, idx))
        return 0;
    if (lua_getupvalue(L, idx, 1) == NULL)   /* a C closure has at least one */
        return 1;
    lua_pop(L, 1);
    return 0;
}

uint64_t scn_object_number(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    uint64_t n = 0;
    switch (lua_type(L, idx)) {
    case LUA_TTABLE:
        n = block_number(lua_topointer(L, idx));
        break;
    case LUA_TFUNCTION:
        n = is_light_function(L, idx) ? 0 : block_number(lua_topointer(L, idx));
        break;
    case LUA_TTHREAD:   /* a thread's block starts with its extra space */
        n = block_number(lua_getextraspace(lua_tothread(L, idx)));
        break;
    default:
        break;
    }
    return n ? n : lazy_number(L, idx);
}

/* Numbers every light C function reachable from the globals, one table deep,
 * in the order of the names (and the iterators ipairs and utf8.codes return). */
static void number_table(lua_State *L, int t, int depth)
{
    scn_sorted_keys(L, t);
    int keys = lua_gettop(L);
    for (lua_Integer i = 1; lua_rawgeti(L, keys, i) != LUA_TNIL; i++) {
        int vt = lua_rawget(L, t);
        if (vt == LUA_TFUNCTION)
            (void)scn_object_number(L, -1);
        else if (vt == LUA_TTABLE && depth > 0)
            number_table(L, lua_gettop(L), depth - 1);
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
}

static void number_builtins(lua_State *L)
{
    lua_pushglobaltable(L);
    number_table(L, lua_gettop(L), 1);
    lua_getglobal(L, "ipairs");
    lua_newtable(L);
    lua_call(L, 1, 1);
    (void)scn_object_number(L, -1);
    lua_getglobal(L, LUA_UTF8LIBNAME);
    for (int lax = 0; lax <= 1; lax++) {
        lua_getfield(L, -1, "codes");
        lua_pushliteral(L, "");
        lua_pushboolean(L, lax);
        lua_call(L, 2, 1);
        (void)scn_object_number(L, -1);
        lua_pop(L, 1);
    }
    lua_pop(L, 3);
}

static void count_hook(lua_State *L, lua_Debug *ar);

/* Raises the budget error on top of L, first keeping it: the run fails with
 * it even if the script catches it (a coroutine.resume or a pcall would,
 * and a caller still inside a paid period could go on to the end). */
static int raise_spent(lua_State *L, ScnScenario *s)
{
    if (!s->spent) {
        s->spent = 1;
        snprintf(s->spent_msg, sizeof s->spent_msg, "%s", lua_tostring(L, -1));
    }
    return lua_error(L);
}

/* The next instruction thread T runs calls the count hook, which pays for a
 * period before T runs it (a new thread inherits its creator's period,
 * which nobody paid for). */
static void hook_next(lua_State *T)
{
    lua_sethook(T, count_hook, LUA_MASKCOUNT, 1);
}

/* The count hook fires before the instruction that ends a period: the
 * instructions up to the next firing are paid for now, so no thread ever
 * runs an instruction the budget did not cover (a budget of N runs at most
 * N, however small N is). */
static void count_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    ScnScenario *s = scn_from_lua(L);
    if (s->steps_left > 0) {
        uint64_t period = s->steps_left < HOOK_EVERY ? s->steps_left : HOOK_EVERY;
        s->steps_left -= period;
        lua_sethook(L, count_hook, LUA_MASKCOUNT, (int)period);
        return;
    }
    /* Spent: from now on this thread stops at every instruction, so a pcall
     * or coroutine.resume that caught the error cannot go on. Inside a
     * hook, level 0 is the running Lua function (luaL_error would name its
     * caller), so the position is built here. */
    lua_Debug d;
    hook_next(L);
    if (lua_getstack(L, 0, &d) && lua_getinfo(L, "Sl", &d) && d.currentline > 0)
        lua_pushfstring(L, "%s:%d: ", d.short_src, d.currentline);
    else
        lua_pushstring(L, "");
    lua_pushstring(L, "instruction budget exceeded (raise it with --lua-steps)");
    lua_concat(L, 2);
    raise_spent(L, s);
}

void scn_sandbox_arm(ScnScenario *s, uint64_t steps)
{
    s->steps_left = steps;
    s->spent = 0;
    s->spent_msg[0] = '\0';
    hook_next(s->L);
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


/* print: each value as tostring shows it (order.c: no addresses); a byte written costs a step (a
 * loop printing one long string would otherwise flood the host's stderr). */
static int l_print(lua_State *L)
{
    int n = lua_gettop(L);
    fputs("scenario:", stderr);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *v = scn_tostring(L, i, &len);
        scn_charge(L, len + 1, "print");
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
void scn_charge(lua_State *L, uint64_t cost, const char *what)
{
    ScnScenario *s = scn_from_lua(L);
    if (!lua_gethookmask(L))
        return;   /* not armed: the host is setting up */
    if (cost < s->steps_left) {
        s->steps_left -= cost;
        return;
    }
    s->steps_left = 0;
    hook_next(L);
    luaL_where(L, 1);
    lua_pushfstring(L, "%s: instruction budget exceeded (raise it with --lua-steps)", what);
    lua_concat(L, 2);
    raise_spent(L, s);
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
    scn_charge(L, cost, what);
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
    }
    scn_charge(L, cost, what);
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

/* ---- coroutines and where an error happened ---------------------------------- */
/* "FILE:LINE" of the innermost Lua function on T's stack (a thread that
 * died of an error keeps its frames until it is reset). */
static int position(lua_State *T, char *buf, size_t n)
{
    lua_Debug ar;
    for (int level = 0; lua_getstack(T, level, &ar); level++)
        if (lua_getinfo(T, "Sl", &ar) && ar.currentline > 0) {
            snprintf(buf, n, "%s:%d", ar.short_src, ar.currentline);
            return 1;
        }
    return 0;
}

/* Whether msg already starts with a position in the script ("FILE:LINE:"). */
static int positioned(const ScnScenario *s, const char *msg)
{
    size_t n = strlen(s->src);
    if (n == 0 || strncmp(msg, s->src, n) != 0 || msg[n] != ':')
        return 0;
    size_t i = n + 1;
    while (msg[i] >= '0' && msg[i] <= '9')
        i++;
    return i > n + 1 && msg[i] == ':';
}

/* Why an allocation failed (the memory error itself says only "not enough memory"). */
static const char *mem_reason(const ScnScenario *s, char *buf, size_t n)
{
    if (s->lua_cap_hit == CAP_BUDGET)
        return "instruction budget exceeded while allocating (raise it with --lua-steps)";
    if (!s->lua_cap_hit)
        return "out of memory";
    snprintf(buf, n, "the script exceeded its memory limit of %zu MiB (raise it with --lua-mem)", s->lua_mem >> 20);
    return buf;
}

/* coroutine.create: the new thread pays for its first instructions. */
static int l_cocreate(lua_State *L)
{
    int n = call_orig(L);
    if (lua_gethookmask(L) && lua_isthread(L, -1))
        hook_next(lua_tothread(L, -1));
    return n;
}

/* coroutine.resume: a memory error in the coroutine says why and where. */
static int l_coresume(lua_State *L)
{
    lua_State *co = lua_tothread(L, 1);
    int n = call_orig(L);
    if (co && n == 2 && !lua_toboolean(L, -2) && lua_status(co) == LUA_ERRMEM) {
        char where[200] = "", buf[160];
        position(co, where, sizeof where);
        lua_pushfstring(L, "%s%s%s", where, where[0] ? ": " : "", mem_reason(scn_from_lua(L), buf, sizeof buf));
        lua_replace(L, -2);
    }
    return n;
}

/* Moves narg arguments to co and resumes it; its results (>= 0) or -1
 * with an error value on L. */
static int resume_with(lua_State *L, lua_State *co, int narg)
{
    int nres;
    if (!lua_checkstack(co, narg)) {
        lua_pushliteral(L, "too many arguments to resume");
        return -1;
    }
    lua_xmove(L, co, narg);
    int st = lua_resume(co, L, narg, &nres);
    if (st != LUA_OK && st != LUA_YIELD) {
        lua_xmove(co, L, 1);
        return -1;
    }
    if (!lua_checkstack(L, nres + 1)) {
        lua_pop(co, nres);
        lua_pushliteral(L, "too many results to resume");
        return -1;
    }
    lua_xmove(co, L, nres);
    return nres;
}

/* Where an error value that is not a string was raised in a coroutine: the
 * host's report names that line, not the line of the outermost wrap. */
static const char wrapped_key = 'w';

/* The function coroutine.wrap returns. Lua's own prefixes the caller's
 * position to every string error it passes on, so an error through 46
 * nested wraps carried 46 prefixes; this one names the line that raised it,
 * once, and turns a memory error into the message that says why. */
static int l_auxwrap(lua_State *L)
{
    ScnScenario *s = scn_from_lua(L);
    lua_State *co = lua_tothread(L, lua_upvalueindex(1));
    int r = resume_with(L, co, lua_gettop(L));
    if (r >= 0)
        return r;
    char where[200] = "", buf[160];
    int st = lua_status(co);
    if (st != LUA_OK && st != LUA_YIELD) {   /* the coroutine died: close it */
        position(co, where, sizeof where);
        st = lua_resetthread(co);
        lua_xmove(co, L, 1);
    }
    if (!where[0])
        position(L, where, sizeof where);
    if (st == LUA_ERRMEM) {
        lua_pushfstring(L, "%s: %s", where, mem_reason(s, buf, sizeof buf));
    } else if (lua_type(L, -1) == LUA_TSTRING) {
        if (!positioned(s, lua_tostring(L, -1)) && where[0]) {
            lua_pushfstring(L, "%s: %s", where, lua_tostring(L, -1));
            lua_remove(L, -2);
        }
    } else if (where[0]) {   /* kept from the innermost coroutine it left */
        lua_rawgetp(L, LUA_REGISTRYINDEX, &wrapped_key);
        int known = s->err_where[0] && lua_rawequal(L, -1, -2);
        lua_pop(L, 1);
        if (!known) {
            snprintf(s->err_where, sizeof s->err_where, "%s", where);
            lua_pushvalue(L, -1);
            lua_rawsetp(L, LUA_REGISTRYINDEX, &wrapped_key);
        }
    }
    return lua_error(L);
}

static int l_cowrap(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *co = lua_newthread(L);
    if (lua_gethookmask(L))
        hook_next(co);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    lua_pushcclosure(L, l_auxwrap, 1);
    return 1;
}

static void harden(lua_State *L)
{
    static const char *const counted[][2] = {
        {LUA_TABLIBNAME, "insert"}, {LUA_TABLIBNAME, "remove"}, {LUA_TABLIBNAME, "sort"},
        {LUA_TABLIBNAME, "move"}, {LUA_TABLIBNAME, "unpack"}, {LUA_TABLIBNAME, "concat"},
        {LUA_STRLIBNAME, "byte"}, {LUA_UTF8LIBNAME, "codepoint"}, {LUA_UTF8LIBNAME, "len"},
        {LUA_UTF8LIBNAME, "offset"}};
    static const char *const patterns[] = {"find", "match", "gmatch", "gsub"};
    scn_order_install(L);   /* first: its table.sort is charged as the counted one */
    for (size_t i = 0; i < sizeof counted / sizeof counted[0]; i++)
        wrap(L, counted[i][0], counted[i][1], l_counted);
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++)
        wrap(L, LUA_STRLIBNAME, patterns[i], l_pattern);
    wrap(L, LUA_STRLIBNAME, "rep", l_rep);
    wrap(L, LUA_GNAME, "setmetatable", l_setmetatable);
    wrap(L, LUA_GNAME, "rawset", l_rawset);
    wrap(L, LUA_COLIBNAME, "create", l_cocreate);
    wrap(L, LUA_COLIBNAME, "resume", l_coresume);
    lua_getglobal(L, LUA_COLIBNAME);
    lua_pushcfunction(L, l_cowrap);
    lua_setfield(L, -2, "wrap");
    lua_pop(L, 1);
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
        scn_tostring(L, -1, NULL);
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
    /* In the order of the names: the closures' object numbers are fixed. */
    scn_sorted_keys(L, todo);
    int names = lua_gettop(L);
    for (lua_Integer i = 1; lua_rawgeti(L, names, i) != LUA_TNIL; i++) {
        lua_pushvalue(L, -1);   /* name */
        lua_rawget(L, todo);    /* function */
        lua_pushvalue(L, -2);
        lua_pushcclosure(L, l_decl_guard, 2);
        lua_rawset(L, g);
    }
    lua_pop(L, 4);
}

static int l_setup(lua_State *L)
{
    lua_newtable(L);   /* numbers_key: weak keys, so it keeps nothing alive */
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &numbers_key);
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
    number_builtins(L);
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

/* ---- the host's calls into the script ------------------------------------------ */
/* A message for an error the script's thread did not describe (the host's
 * own code failed, e.g. creating the thread). Pops the error value. */
static void error_message(ScnScenario *s, int status, SimErr *err)
{
    char buf[160];
    const char *msg = status == LUA_ERRMEM ? mem_reason(s, buf, sizeof buf) : lua_tostring(s->L, -1);
    size_t cl = strlen(s->chunk);
    /* Syntax errors name the file, except a refused binary chunk. */
    if (msg == NULL || status == LUA_ERRMEM ||
        (status == LUA_ERRSYNTAX && (strncmp(msg, s->chunk, cl) != 0 || msg[cl] != ':')))
        sim_err_set(err, scn_sandbox_rc(s, status), "%s: %s", s->chunk,
                    msg ? msg : "error object is not a string");
    else
        sim_err_set(err, SIM_EINVAL, "%s", msg);
    lua_pop(s->L, 1);
}

typedef struct HostCall {
    ScnScenario *s;
    int nargs;
    SimErr *err;
    int described;               /* err holds the message */
} HostCall;

/* Runs protected: tostring of the error value on top (a __tostring runs
 * under the budget, on the host's thread). */
static int p_tostring(lua_State *L)
{
    scn_tostring(L, 1, NULL);
    return 1;
}

/* Describes the error value of a script's thread that died (status st) in
 * hc->err: one message, "FILE:LINE: what", whatever the value was. */
static void describe(lua_State *L, lua_State *co, HostCall *hc, int st)
{
    ScnScenario *s = hc->s;
    char where[200] = "", buf[160];
    if (!position(co, where, sizeof where))
        snprintf(where, sizeof where, "%s", s->chunk);
    hc->described = 1;
    if (st == LUA_YIELD) {
        sim_err_set(hc->err, SIM_EINVAL, "%s: attempt to yield from outside a coroutine", where);
        return;
    }
    if (st == LUA_ERRMEM) {
        sim_err_set(hc->err, scn_sandbox_rc(s, st), "%s: %s", where, mem_reason(s, buf, sizeof buf));
        return;
    }
    lua_xmove(co, L, 1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &wrapped_key);
    if (s->err_where[0] && lua_rawequal(L, -1, -2))
        snprintf(where, sizeof where, "%s", s->err_where);   /* raised in a coroutine */
    lua_pop(L, 1);
    int t = lua_type(L, -1);
    if (t == LUA_TSTRING && positioned(s, lua_tostring(L, -1))) {
        sim_err_set(hc->err, SIM_EINVAL, "%s", lua_tostring(L, -1));
        return;
    }
    if (t == LUA_TSTRING || t == LUA_TNUMBER) {
        sim_err_set(hc->err, SIM_EINVAL, "%s: %s", where, lua_tostring(L, -1));
        return;
    }
    const char *type = luaL_typename(L, -1);
    int mt = luaL_getmetafield(L, -1, "__tostring") != LUA_TNIL;
    if (mt) {
        lua_pop(L, 1);
        lua_pushcfunction(L, p_tostring);
        lua_pushvalue(L, -2);
        hook_next(L);
        mt = lua_pcall(L, 1, 1, 0) == LUA_OK;
        if (mt)
            sim_err_set(hc->err, SIM_EINVAL, "%s: %s", where, lua_tostring(L, -1));
    }
    if (!mt)
        sim_err_set(hc->err, SIM_EINVAL, "%s: error object is a %s value", where, type);
}

/* Runs the function below its arguments in a thread of its own: when it
 * fails, the thread keeps the frames where it failed (a memory error or a
 * raised table carries no position of its own). */
static int l_host(lua_State *L)
{
    HostCall *hc = lua_touserdata(L, 1);
    int armed = lua_gethookmask(L);
    lua_sethook(L, NULL, 0, 0);          /* the thread is the host's work, not the script's */
    lua_State *co = lua_newthread(L);
    if (armed) {
        hook_next(L);
        hook_next(co);
    }
    lua_rotate(L, 2, 1);                 /* hc, co, fn, args... */
    lua_xmove(L, co, hc->nargs + 1);
    hc->s->err_where[0] = '\0';
    int nres, st = lua_resume(co, L, hc->nargs, &nres);
    ScnScenario *s = hc->s;
    if (s->spent && s->spent_msg[0]) {
        sim_err_set(hc->err, SIM_EINVAL, "%s", s->spent_msg);
        hc->described = 1;
    } else if (s->spent && st == LUA_OK) {
        sim_err_set(hc->err, SIM_EINVAL, "%s: %s", s->chunk, "instruction budget exceeded while allocating "
                    "(raise it with --lua-steps)");
        hc->described = 1;
    } else if (st == LUA_OK) {
        lua_xmove(co, L, nres);
        return nres;
    } else {
        describe(L, co, hc, st);
    }
    lua_pushstring(L, sim_err_msg(hc->err));
    return lua_error(L);
}

int scn_sandbox_call(ScnScenario *s, int nargs, int nres, SimErr *err)
{
    lua_State *L = s->L;
    HostCall hc = {s, nargs, err, 0};
    lua_pushcfunction(L, l_host);
    lua_insert(L, -(nargs + 2));
    lua_pushlightuserdata(L, &hc);
    lua_insert(L, -(nargs + 2));
    int st = lua_pcall(L, nargs + 2, nres, 0);
    if (st == LUA_OK)
        return LUA_OK;
    if (hc.described)
        lua_pop(L, 1);
    else
        error_message(s, st, err);
    return st;
}

int scn_sandbox_rc(const ScnScenario *s, int status)
{
    return status == LUA_ERRMEM && !s->lua_cap_hit ? SIM_ENOMEM : SIM_EINVAL;
}

void scn_error_message(ScnScenario *s, int status, SimErr *err)
{
    error_message(s, status, err);
}
