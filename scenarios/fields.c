/*
 * fields.c: reading a declaration's table. Keys are checked against the
 * declaration's list first, so a typo ("replcas") is refused with the nearest
 * valid key suggested instead of being silently ignored. Errors carry the
 * script's file and line (luaL_error's position of the calling chunk), the
 * declaration and the field.
 */
#include "scenarios/scn_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void decl_label(const ScnDecl *d, char *buf, size_t n)
{
    if (d->name)
        snprintf(buf, n, "%s '%s'", d->what, d->name);
    else
        snprintf(buf, n, "%s", d->what);
}

void scn_field_error(lua_State *L, const ScnDecl *d, const char *key, const char *fmt, ...)
{
    char what[160], msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    decl_label(d, what, sizeof what);
    luaL_error(L, "%s: field '%s': %s", what, key, msg);
    for (;;) {}   /* not reached: luaL_error does not return */
}


static void nearest_in(const char *key, const char *const *list, const char **best, size_t *bestd)
{
    for (size_t i = 0; list && list[i]; i++) {
        size_t dist = sim_edit_distance(key, list[i]);
        if (dist < *bestd) {
            *bestd = dist;
            *best = list[i];
        }
    }
}

static const char *nearest(const char *key, const char *const *own, const char *const *more)
{
    const char *best = NULL;
    size_t bestd = 99;
    nearest_in(key, own, &best, &bestd);
    nearest_in(key, more, &best, &bestd);
    size_t len = strlen(key);
    return bestd <= (len > 6 ? 3u : 2u) ? best : NULL;
}

static int is_allowed(const char *key, const char *const *list)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(key, list[i]) == 0)
            return 1;
    return 0;
}

/* ---- --set NAME.FIELD=VALUE ------------------------------------------------ */
/* Pushes text as the type the field has (absent: a boolean, a number, else a
 * string); 0 if it does not read as that type. */
static int push_as(lua_State *L, const char *text, int type)
{
    int is_bool = strcmp(text, "true") == 0 || strcmp(text, "false") == 0;
    if (type == LUA_TBOOLEAN || (type == LUA_TNIL && is_bool)) {
        lua_pushboolean(L, strcmp(text, "true") == 0);
        return is_bool;
    }
    if (type == LUA_TNUMBER || type == LUA_TNIL) {
        if (lua_stringtonumber(L, text) != 0)
            return 1;
        if (type == LUA_TNUMBER)
            return 0;
    }
    lua_pushstring(L, text);
    return 1;
}

/* Writes the set's value at path (FIELD or FIELD.SUB...) into the table at
 * idx, converted to the type of the value it replaces. */
static void override_path(lua_State *L, const ScnDecl *d, int idx, const char *path, const ScnSet *set)
{
    char what[160], seg[64];
    decl_label(d, what, sizeof what);
    lua_pushvalue(L, idx);
    for (;;) {
        size_t n = strcspn(path, ".");
        if (n == 0 || n >= sizeof seg)
            luaL_error(L, "--set %s=%s: '%s' is not a field name", set->name, set->value, path);
        memcpy(seg, path, n);
        seg[n] = '\0';
        int t = lua_getfield(L, -1, seg);
        if (path[n] == '.' && t == LUA_TNIL) {   /* labels.team on a declaration without labels */
            lua_pop(L, 1);
            lua_newtable(L);
            lua_pushvalue(L, -1);
            lua_setfield(L, -3, seg);
            t = LUA_TTABLE;
        }
        if (path[n] == '.') {
            if (t != LUA_TTABLE)
                luaL_error(L, "--set %s=%s: field '%s' of %s is not a table", set->name, set->value, seg, what);
            lua_remove(L, -2);
            path += n + 1;
            continue;
        }
        if (t == LUA_TTABLE || t == LUA_TFUNCTION)
            luaL_error(L, "--set %s=%s: field '%s' of %s is a %s; name a field inside it", set->name,
                       set->value, seg, what, lua_typename(L, t));
        lua_pop(L, 1);
        if (!push_as(L, set->value, t))
            luaL_error(L, "--set %s=%s: field '%s' of %s takes a %s", set->name, set->value, seg, what,
                       lua_typename(L, t));
        lua_setfield(L, -2, seg);
        lua_pop(L, 1);
        return;
    }
}

/* The declarations a --set may name without a name of their own. */
static int singleton(const char *what)
{
    return strcmp(what, "scenario") == 0 || strcmp(what, "autoscaler") == 0;
}

/* "NAMESPACE/NAME" of a declaration that has a namespace field (set, or
 * "default" by default), so that --set team-a/api.replicas=3 picks one of
 * two deployments named api; NULL for the others. */
static const char *qualified(lua_State *L, const ScnDecl *d, char *buf, size_t n)
{
    static const char *const namespaced[] = {"deployment", "job", "daemonset", "statefulset", "cronjob",
                                             "backtest", "hpa", "pdb", "quota", "limitrange", NULL};
    if (d->name == NULL || !is_allowed(d->what, namespaced))
        return NULL;
    int t = lua_getfield(L, d->idx, "namespace");
    snprintf(buf, n, "%s/%s", t == LUA_TSTRING ? lua_tostring(L, -1) : "default", d->name);
    lua_pop(L, 1);
    return buf;
}

/* Applies every --set NAME.FIELD=VALUE naming this declaration, before its
 * keys are checked and its fields read: the script runs as if it had written
 * the value. Only a top-level declaration's own table (argument 1) is
 * touched, and never a hook's k.* call during the run. */
static void apply_overrides(lua_State *L, const ScnDecl *d, const char *const *own, const char *const *more)
{
    if (d->idx != 1 || strncmp(d->what, "k.", 2) == 0)
        return;
    ScnScenario *s = scn_from_lua(L);
    char qual[200];
    const char *names[3] = {d->name, singleton(d->what) ? d->what : NULL, qualified(L, d, qual, sizeof qual)};
    for (size_t i = 0; i < s->sets.n; i++) {
        ScnSet *set = &s->sets.v[i];
        for (size_t k = 0; k < 3; k++) {
            size_t len = names[k] ? strlen(names[k]) : 0;
            if (len == 0 || strncmp(set->name, names[k], len) != 0 || set->name[len] != '.')
                continue;
            const char *path = set->name + len + 1;
            char first[64];
            snprintf(first, sizeof first, "%.*s", (int)strcspn(path, "."), path);
            if (!is_allowed(first, own) && !is_allowed(first, more)) {
                decl_label(d, set->missed, sizeof set->missed);   /* reported if nothing else takes it */
                set->near = nearest(first, own, more);
                continue;
            }
            override_path(L, d, d->idx, path, set);
            set->used = 1;
        }
    }
}

/* Reports the alphabetically first unknown key, so the message does not
 * depend on Lua's (seeded) table iteration order. */
void scn_check_keys2(lua_State *L, const ScnDecl *d, const char *const *own, const char *const *more)
{
    apply_overrides(L, d, own, more);
    char bad[64] = "";
    int have = 0;
    lua_pushnil(L);
    while (lua_next(L, d->idx) != 0) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            char what[160];
            decl_label(d, what, sizeof what);
            luaL_error(L, "%s: fields must be named (key = value); found a positional value", what);
        }
        const char *k = lua_tostring(L, -1);
        if (!is_allowed(k, own) && !is_allowed(k, more) && (!have || strcmp(k, bad) < 0)) {
            snprintf(bad, sizeof bad, "%s", k);
            have = 1;
        }
    }
    if (!have)
        return;
    char what[160];
    decl_label(d, what, sizeof what);
    const char *sugg = nearest(bad, own, more);
    if (sugg)
        luaL_error(L, "unknown field '%s' in %s (did you mean '%s'?)", bad, what, sugg);
    luaL_error(L, "unknown field '%s' in %s", bad, what);
}

void scn_check_keys(lua_State *L, const ScnDecl *d, const char *const *allowed)
{
    scn_check_keys2(L, d, allowed, NULL);
}

int scn_field(lua_State *L, const ScnDecl *d, const char *key)
{
    return lua_getfield(L, d->idx, key);
}

const char *scn_opt_string(lua_State *L, const ScnDecl *d, const char *key, const char *deflt)
{
    int t = scn_field(L, d, key);
    const char *v = deflt;
    if (t == LUA_TSTRING)
        v = lua_tostring(L, -1);   /* stays alive: the declaration table holds it */
    else if (t != LUA_TNIL)
        scn_field_error(L, d, key, "expected a string, got %s", lua_typename(L, t));
    lua_pop(L, 1);
    return v;
}

const char *scn_req_string(lua_State *L, const ScnDecl *d, const char *key)
{
    const char *v = scn_opt_string(L, d, key, NULL);
    if (v == NULL || *v == '\0')
        scn_field_error(L, d, key, "is required");
    return v;
}

double scn_opt_number(lua_State *L, const ScnDecl *d, const char *key, double deflt, double lo, double hi)
{
    int t = scn_field(L, d, key);
    double v = deflt;
    if (t == LUA_TNUMBER)
        v = lua_tonumber(L, -1);
    else if (t != LUA_TNIL)
        scn_field_error(L, d, key, "expected a number, got %s", lua_typename(L, t));
    lua_pop(L, 1);
    if (!(v >= lo && v <= hi))
        scn_field_error(L, d, key, "%g is out of range [%g, %g]", v, lo, hi);
    return v;
}

int64_t scn_opt_int(lua_State *L, const ScnDecl *d, const char *key, int64_t deflt, int64_t lo, int64_t hi)
{
    int t = scn_field(L, d, key);
    int64_t v = deflt;
    if (t == LUA_TNUMBER) {
        int isint = 0;
        v = (int64_t)lua_tointegerx(L, -1, &isint);
        if (!isint)
            scn_field_error(L, d, key, "expected a whole number, got %s", lua_tostring(L, -1));
    } else if (t != LUA_TNIL) {
        scn_field_error(L, d, key, "expected a whole number, got %s", lua_typename(L, t));
    }
    lua_pop(L, 1);
    if (v < lo || v > hi)
        scn_field_error(L, d, key, "%lld is out of range [%lld, %lld]", (long long)v, (long long)lo,
                        (long long)hi);
    return v;
}

/* A quantity is a string as Kubernetes writes it, or a plain number of units
 * (cores for cpu, bytes for memory). */
int64_t scn_opt_quantity(lua_State *L, const ScnDecl *d, const char *key, int milli, int64_t deflt)
{
    int t = scn_field(L, d, key);
    int64_t v = deflt;
    const char *why = NULL;
    if (t == LUA_TNUMBER || t == LUA_TSTRING) {
        char text[64];
        if (t == LUA_TNUMBER && lua_isinteger(L, -1))
            snprintf(text, sizeof text, "%lld", (long long)lua_tointeger(L, -1));
        else if (t == LUA_TNUMBER)
            snprintf(text, sizeof text, "%.9f", lua_tonumber(L, -1));
        else
            snprintf(text, sizeof text, "%s", lua_tostring(L, -1));
        if (t == LUA_TNUMBER && lua_tonumber(L, -1) < 0)
            why = "must not be negative";
        else if (sim_quantity_parse(text, milli, &v, &why) == SIM_OK)
            why = NULL;
        if (why)
            scn_field_error(L, d, key, "\"%s\" %s", lua_tostring(L, -1), why);
    } else if (t != LUA_TNIL) {
        scn_field_error(L, d, key, "expected a quantity such as \"500m\" or \"4Gi\", got %s",
                        lua_typename(L, t));
    }
    lua_pop(L, 1);
    return v;
}

SimTime scn_opt_duration(lua_State *L, const ScnDecl *d, const char *key, SimTime deflt)
{
    int t = scn_field(L, d, key);
    SimTime v = deflt;
    if (t == LUA_TNUMBER || t == LUA_TSTRING) {
        if (scn_parse_duration(lua_tostring(L, -1), &v) != SIM_OK)
            scn_field_error(L, d, key, "\"%s\" is not a duration (e.g. \"90s\", \"15m\", \"2h\")",
                            lua_tostring(L, -1));
    } else if (t != LUA_TNIL) {
        scn_field_error(L, d, key, "expected a duration such as \"90s\", got %s", lua_typename(L, t));
    }
    lua_pop(L, 1);
    return v;
}

/* "HH:MM[:SS]" (the first such wall time at or after the start) or
 * "YYYY-MM-DD HH:MM[:SS]" (that day's), on the scenario's clock. */
static SimTime when_clock(lua_State *L, ScnScenario *s, const ScnDecl *d, const char *key, const char *text)
{
    SimTime clock;
    int y, m, day = 0, dated = strlen(text) > 11 && text[10] == ' ';
    char date[11] = "";
    if (dated) {
        memcpy(date, text, 10);
        date[10] = '\0';
    }
    if (dated && scn_parse_date(date, &y, &m, &day) != SIM_OK)
        scn_field_error(L, d, key, "\"%s\" does not start with a date (YYYY-MM-DD HH:MM)", text);
    if (scn_parse_clock(dated ? text + 11 : text, &clock) != SIM_OK)
        scn_field_error(L, d, key, "\"%s\" is not a time of day (e.g. \"09:30\" or \"2026-03-19 09:30\")", text);
    s->clock.used = 1;
    if (!dated)
        return scn_clock_time(s, clock, 0);
    SimTime v = scn_clock_time(s, clock, scn_clock_day(s, y, m, day));
    if (v < 0)
        scn_field_error(L, d, key, "\"%s\" is before the scenario's start", text);
    return v;
}

SimTime scn_opt_when(lua_State *L, ScnScenario *s, const ScnDecl *d, const char *key, SimTime deflt)
{
    int t = scn_field(L, d, key);
    SimTime v = deflt;
    if (t == LUA_TSTRING && strchr(lua_tostring(L, -1), ':')) {
        v = when_clock(L, s, d, key, lua_tostring(L, -1));
    } else if (t == LUA_TSTRING || t == LUA_TNUMBER) {
        if (scn_parse_duration(lua_tostring(L, -1), &v) != SIM_OK)
            scn_field_error(L, d, key, "\"%s\" is neither a time of day nor a duration", lua_tostring(L, -1));
    } else if (t != LUA_TNIL) {
        scn_field_error(L, d, key, "expected a time such as \"09:30\" or \"90m\", got %s", lua_typename(L, t));
    }
    lua_pop(L, 1);
    return v;
}

/* "hpa 'web': field 'KEY'": how the messages name a nested table. */
void scn_field_label(char *what, size_t n, const ScnDecl *d, const char *key, lua_Integer i)
{
    char k[80];
    if (i > 0)
        snprintf(k, sizeof k, "%s[%d]", key, (int)i);
    else
        snprintf(k, sizeof k, "%s", key);
    if (d->name)
        snprintf(what, n, "%s '%s': field '%s'", d->what, d->name, k);
    else
        snprintf(what, n, "%s: field '%s'", d->what, k);
}

/* A sub-table as a declaration of its own, left on the stack until the
 * caller pops it. 0 (and nothing pushed) when the field is nil. */
int scn_sub_decl(lua_State *L, const ScnDecl *d, const char *key, ScnDecl *sub, char *what, size_t n)
{
    int t = scn_field(L, d, key);
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return 0;
    }
    if (t != LUA_TTABLE)
        scn_field_error(L, d, key, "expected a table, got %s", lua_typename(L, t));
    scn_field_label(what, n, d, key, 0);
    *sub = (ScnDecl){what, NULL, lua_gettop(L)};
    return 1;
}
