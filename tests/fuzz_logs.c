/*
 * fuzz_logs.c: libFuzzer target for the JSON logs around the UAL
 * (normalize_logs.c, and the reader's {"records"} and {"tables"}
 * wrappers): Azure Monitor diagnostic records, Log Analytics answers,
 * pipeline captures, Graph activity, message trace, Activity log, risk,
 * alerts, XDR rows. The input goes through ingest_stream (fuzz_logsink.h
 * says what must hold), and when it is one JSON object, through the
 * normalizer as every one of those kinds in turn, which must either make
 * an event that holds the same invariants or say why not.
 */
#include "fuzz_logsink.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

int FUZZ_ENTRY(const uint8_t *data, size_t size);
int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	fz_both_ways(data, size);
	const char *p = (const char *)data, *end = p + size;
	struct jval v;
	const char *e = json_scan_value(p, end, &v, NULL, NULL);
	if (!e || v.t != JT_OBJ)
		return 0;
	struct norm nm;
	norm_init(&nm);
	uint64_t sum = 0;
	for (int k = REC_SIGNIN; k < REC_COUNT; k++) {
		struct event ev;
		const char *why = NULL;
		norm_reset(&nm, v.n);
		int rc = normalize_json(&nm, (enum rec_kind)k, &v, NULL, &ev, &why);
		if (rc == 0) {
			normalize_synth_id(&nm, &ev);
			fz_check_event(&ev, &sum);
		} else {
			FUZZ_CHECK(why && *why, "kind %d failed without a reason", k);
		}
	}
	norm_free(&nm);
	return 0;
}
