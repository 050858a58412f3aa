/* SPDX-License-Identifier: MIT */
/*
 * timeutil: the two clocks the programs read, in milliseconds: the wall
 * clock (timestamps on the wire, in the store and in logs) and the
 * monotonic clock (deadlines and durations, immune to clock steps).
 */
#ifndef AU_TIMEUTIL_H
#define AU_TIMEUTIL_H

#include <stdint.h>

/* Wall-clock time (CLOCK_REALTIME) in Unix milliseconds.  Never blocks. */
uint64_t timeutil_wall_ms(void);

/* Monotonic time (CLOCK_MONOTONIC) in milliseconds from an arbitrary
 * origin: only differences mean anything.  Never blocks. */
uint64_t timeutil_mono_ms(void);

#endif
