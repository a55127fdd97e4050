/*
 * order.c: what a script sees of its tables and objects is the same in every
 * process. Debian's Lua seeds its string hash from addresses and the clock,
 * so the raw `next` visits string keys (and keys that are tables or
 * functions) in a different order in each process, and tostring shows
 * addresses. The sandbox's pairs and next visit keys in one total order,
 * tostring, print and string.format's %s show an object's number where
 * Lua shows its address (%p is refused), and table.sort is a stable merge
 * sort (Lua's quicksort picks pivots from the clock when unbalanced).
 *
 * The key order: integers ascending, then other numbers ascending, then
 * strings by their bytes (a prefix before the longer string), then false,
 * true, then every other key (tables, functions, coroutines) by its object
 * number. An object's number counts the objects the state has created, in
 * order (sandbox.c stamps it on the object's memory block), so the same
 * script numbers the same objects alike in every process.
 *
 * Cost: pairs(t) sorts a snapshot of t's keys once, O(n log n), and the loop
 * then costs O(1) a step: keys removed during the loop are skipped, keys
 * added are not visited (Lua leaves adding undefined). next(t, k) scans the
 * whole table for the smallest key after k, O(n) a call, so a loop written
 * with next is quadratic: write it with pairs (next also accepts a k no
 * longer in t, where Lua's may raise). A table with a __pairs metamethod is
 * iterated by it, as in stock Lua.
 *
 * Not pinned: what a weak table (__mode) still holds, as it depends on when
 * the collector ran; and #t of a table with holes (any border, as the
 * manual says), which depends on how Lua sized the table's parts.
 */
#include "scenarios/scn_int.h"

#include <lualib.h>
#include <stdlib.h>
#include <string.h>

enum { K_INT, K_FLOAT, K_STRING, K_FALSE, K_TRUE, K_OBJECT };

typedef struct Key {
    int cat;
    lua_Integer i;
    double d;
    const char *str;             /* anchored by the table the key came from */
    size_t len;
    uint64_t num;
    lua_Integer pos;             /* in the unsorted snapshot */
} Key;

/* Reads the key at idx without converting it (lua_next needs it intact). */
static void key_at(lua_State *L, int idx, Key *k)
{
    memset(k, 0, sizeof *k);
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
        k->cat = lua_isinteger(L, idx) ? K_INT : K_FLOAT;
        k->i = lua_tointeger(L, idx);
        k->d = lua_tonumber(L, idx);
        break;
    case LUA_TSTRING:
        k->cat = K_STRING;
        k->str = lua_tolstring(L, idx, &k->len);
        break;
    case LUA_TBOOLEAN:
        k->cat = lua_toboolean(L, idx) ? K_TRUE : K_FALSE;
        break;
    default:
        k->cat = K_OBJECT;
        k->num = scn_object_number(L, idx);
        break;
    }
}

static int key_cmp(const Key *a, const Key *b)
{
    if (a->cat != b->cat)
        return a->cat < b->cat ? -1 : 1;
    switch (a->cat) {
    case K_INT:
        return (a->i > b->i) - (a->i < b->i);
    case K_FLOAT:
        return (a->d > b->d) - (a->d < b->d);
    case K_STRING: {
        int c = memcmp(a->str, b->str, a->len < b->len ? a->len : b->len);
        return c ? c : (a->len > b->len) - (a->len < b->len);
    }
    case K_OBJECT:
        return (a->num > b->num) - (a->num < b->num);
    default:
        return 0;
    }
}

static int key_qcmp(const void *a, const void *b)
{
    return key_cmp(a, b);
}

/* log2(n) rounded up, at least 1. */
static uint64_t lg(uint64_t n)
{
    uint64_t l = 1;
    while (l < 63 && (UINT64_C(1) << l) < n)
        l++;
    return l;
}

void scn_sorted_keys(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    lua_newtable(L);
    int raw = lua_gettop(L);
    lua_Integer n = 0;
    for (lua_pushnil(L); lua_next(L, idx); lua_rawseti(L, raw, ++n)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);   /* one copy stays for lua_next */
    }
    scn_charge(L, (uint64_t)n * (1 + lg((uint64_t)n) / 2), "pairs");
    Key *v = n ? lua_newuserdatauv(L, (size_t)n * sizeof *v, 0) : NULL;
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, raw, i);
        key_at(L, -1, &v[i - 1]);
        v[i - 1].pos = i;
        lua_pop(L, 1);   /* a string stays anchored in raw */
    }
    if (n > 1)
        qsort(v, (size_t)n, sizeof *v, key_qcmp);
    lua_createtable(L, n > INT32_MAX ? INT32_MAX : (int)n, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, raw, v[i - 1].pos);
        lua_rawseti(L, -2, i);
    }
    lua_replace(L, raw);
    lua_settop(L, raw);
}

/* The iterator pairs returns: upvalues (keys, table, position). */
static int pairs_next(lua_State *L)
{
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(3));
    for (;;) {
        if (lua_rawgeti(L, lua_upvalueindex(1), ++i) == LUA_TNIL)
            break;
        lua_pushvalue(L, -1);
        if (lua_rawget(L, lua_upvalueindex(2)) != LUA_TNIL)
            break;
        lua_pop(L, 2);   /* removed since pairs was called */
    }
    lua_pushinteger(L, i);
    lua_replace(L, lua_upvalueindex(3));
    return lua_isnil(L, -1) ? 1 : 2;
}

static int l_pairs(lua_State *L)
{
    luaL_checkany(L, 1);
    if (luaL_getmetafield(L, 1, "__pairs") != LUA_TNIL) {
        lua_pushvalue(L, 1);
        lua_call(L, 1, 3);
        return 3;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    scn_sorted_keys(L, 1);
    lua_pushvalue(L, 1);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, pairs_next, 3);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* next(t, k): the smallest key after k (after nothing when k is nil). */
static int l_next(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    lua_pushnil(L);   /* 3: the best key so far */
    Key after, best, c;
    int from = !lua_isnil(L, 2), found = 0;
    if (from)
        key_at(L, 2, &after);
    uint64_t n = 0;
    for (lua_pushnil(L); lua_next(L, 1); lua_pop(L, 1), n++) {
        key_at(L, -2, &c);
        if ((!from || key_cmp(&c, &after) > 0) && (!found || key_cmp(&c, &best) < 0)) {
            best = c;
            found = 1;
            lua_pushvalue(L, -2);
            lua_replace(L, 3);   /* anchors best.str */
        }
    }
    scn_charge(L, n + 1, "next");
    if (!found)
        return 1;
    lua_pushvalue(L, 3);
    lua_rawget(L, 1);
    return 2;
}

const char *scn_tostring(lua_State *L, int idx, size_t *len)
{
    idx = lua_absindex(L, idx);
    if (luaL_callmeta(L, idx, "__tostring")) {
        if (!lua_isstring(L, -1))
            luaL_error(L, "'__tostring' must return a string");
        return lua_tolstring(L, -1, len);
    }
    switch (lua_type(L, idx)) {
    case LUA_TTABLE: case LUA_TFUNCTION: case LUA_TTHREAD: case LUA_TUSERDATA: case LUA_TLIGHTUSERDATA: {
        int named = luaL_getmetafield(L, idx, "__name") == LUA_TSTRING;
        const char *kind = named ? lua_tostring(L, -1) : luaL_typename(L, idx);
        lua_pushfstring(L, "%s: %I", kind, (lua_Integer)scn_object_number(L, idx));
        if (named)
            lua_remove(L, -2);
        return lua_tolstring(L, -1, len);
    }
    default:
        return luaL_tolstring(L, idx, len);   /* nil, booleans, numbers, strings: no address */
    }
}

static int l_tostring(lua_State *L)
{
    luaL_checkany(L, 1);
    scn_tostring(L, 1, NULL);
    return 1;
}

/* string.format, upvalue 1 the original: %s of an object shows its number,
 * %p (an address) is refused. */
static int l_format(lua_State *L)
{
    size_t n;
    const char *f = luaL_checklstring(L, 1, &n);
    int arg = 1, top = lua_gettop(L);
    for (size_t i = 0; i < n; i++) {
        if (f[i] != '%' || (i + 1 < n && f[++i] == '%'))
            continue;
        while (i < n && f[i] != '\0' && strchr("-+ #0123456789.", f[i]))
            i++;
        if (i >= n)
            break;   /* the original says what is wrong with the format */
        if (f[i] == 'p')
            return luaL_error(L, "string.format: %%p is not available in scenarios (an address differs "
                              "between runs; tostring gives an object's number)");
        if (++arg <= top && f[i] == 's' && !lua_isstring(L, arg) && lua_type(L, arg) != LUA_TNIL &&
            lua_type(L, arg) != LUA_TBOOLEAN) {
            scn_tostring(L, arg, NULL);
            lua_replace(L, arg);
        }
    }
    return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

/* ---- table.sort: a stable merge sort ---------------------------------------------- */
/* Lua 5.4.4's quicksort draws a new pivot from clock() and time() when a
 * partition comes out lopsided, so equal elements could land in another
 * order in another process. This one is a bottom-up merge sort: equal
 * elements keep their order, and nothing depends on the clock. */
static int sort_less(lua_State *L, int a, int b)
{
    if (lua_isnil(L, 2))
        return lua_compare(L, a, b, LUA_OPLT);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, a < 0 ? a - 1 : a);
    lua_pushvalue(L, b < 0 ? b - 2 : b);
    lua_call(L, 2, 1);
    int r = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return r;
}

/* Merges src[lo..mid-1] and src[mid..hi-1] into dst (stack indices). */
static void merge(lua_State *L, int src, int dst, lua_Integer lo, lua_Integer mid, lua_Integer hi)
{
    lua_Integer i = lo, j = mid;
    for (lua_Integer k = lo; k < hi; k++) {
        int right = 0;
        if (i < mid && j < hi) {
            lua_rawgeti(L, src, j);
            lua_rawgeti(L, src, i);
            right = sort_less(L, -2, -1);   /* take the right one only if strictly less */
            lua_pop(L, 2);
        } else {
            right = i >= mid;
        }
        lua_rawgeti(L, src, right ? j++ : i++);
        lua_rawseti(L, dst, k);
    }
}

static int l_sort(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    if (!lua_isnoneornil(L, 2))
        luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    if (n < 2)
        return 0;
    luaL_argcheck(L, n < INT32_MAX, 1, "array too big");
    lua_createtable(L, (int)n, 0);   /* 3 */
    lua_createtable(L, (int)n, 0);   /* 4 */
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 1, i);
        lua_rawseti(L, 3, i);
    }
    int src = 3, dst = 4;
    for (lua_Integer w = 1; w < n; w *= 2, src ^= 7, dst ^= 7)   /* 3 <-> 4 */
        for (lua_Integer lo = 1; lo <= n; lo += 2 * w)
            merge(L, src, dst, lo, lo + w <= n ? lo + w : n + 1, lo + 2 * w <= n ? lo + 2 * w : n + 1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, src, i);
        lua_seti(L, 1, i);
    }
    return 0;
}

void scn_order_install(lua_State *L)
{
    static const luaL_Reg base[] = {{"pairs", l_pairs}, {"next", l_next}, {"tostring", l_tostring}};
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) {
        lua_pushcfunction(L, base[i].func);
        lua_setglobal(L, base[i].name);
    }
    lua_getglobal(L, LUA_TABLIBNAME);
    lua_pushcfunction(L, l_sort);
    lua_setfield(L, -2, "sort");
    lua_pop(L, 1);
    lua_getglobal(L, LUA_STRLIBNAME);
    lua_getfield(L, -1, "format");
    lua_pushcclosure(L, l_format, 1);
    lua_setfield(L, -2, "format");
    lua_pop(L, 1);
}
