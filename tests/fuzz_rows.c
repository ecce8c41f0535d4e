/*
 * fuzz_rows.c: libFuzzer target for CSV rows of the logs around the UAL
 * (ingest_csv.c's rows reader): headers read as the shape of a record
 * (Parameters[0].Name paths rebuilt, Sentinel's " [UTC]"), each row rebuilt
 * as JSON and normalized, unknown headers refused whole, and
 * Search-UnifiedAuditLog's ResultIndex / ResultCount reckoning. The
 * input goes through ingest_stream whole and in pieces; fuzz_logsink.h
 * says what must hold.
 */
#include "fuzz_logsink.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

int FUZZ_ENTRY(const uint8_t *data, size_t size);
int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	fz_both_ways(data, size);
	return 0;
}
