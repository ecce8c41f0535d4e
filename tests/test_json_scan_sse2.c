/*
 * test_json_scan_sse2.c: every test of test_json_scan.c against the
 * scanner built without its AVX2 windows (JSON_SCAN_NO_AVX2), so that
 * the SSE2 way, which machines without AVX2 take, is tested on machines
 * that have it. The scanner's source is compiled into this program; the
 * library's copy is not linked.
 */
#define JSON_SCAN_NO_AVX2 1
#include "../core/json_scan.c"

/* the scanner in line in the tests' own functions makes GCC see paths
 * to the tests' values that the assertions before them rule out */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "test_json_scan.c"
