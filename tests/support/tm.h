/*
 * tm.h: writable views of the engine's objects for tests alone (the
 * sim_*_mut accessors of sim/sim_int.h). Upper layers see const objects and
 * change them only through sim_* setters; a test may reach past that to set
 * up a case no setter makes (a group's price after it was added) or to
 * corrupt the model on purpose and see sim_check catch it. tests/support is
 * the one place outside sim/ that test_layering lets include sim_int.h.
 */
#ifndef KUBESIM_TESTS_TM_H
#define KUBESIM_TESTS_TM_H

#include "sim/sim_int.h"

#endif
