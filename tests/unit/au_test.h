/* SPDX-License-Identifier: MIT */
/*
 * au_test: cmocka with the headers it needs before it, in the order it
 * needs them (clang-format would otherwise sort cmocka.h first), plus small
 * helpers the tests share.
 */
#ifndef AU_TEST_H
#define AU_TEST_H

/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#endif
