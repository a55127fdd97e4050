/*
 * tl.h: Lua scenarios in a Check suite (prefix tl_).
 */
#ifndef KUBESIM_TESTS_TL_H
#define KUBESIM_TESTS_TL_H

#include <stdint.h>

/* The out-of-memory sweep of scn_load on the scenario at path: allocation n
 * and all after fail, for n = 1, 2, ..., until the scenario loads with no
 * allocation failed. Asserts that every attempt, loaded or refused, frees
 * every byte. Returns the attempts. */
uint64_t tl_load_oom_sweep(const char *path);

#endif
