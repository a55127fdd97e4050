/*
 * fuzz_trace.c: the trace reader on raw bytes, as `kubesim trace dump FILE`
 * and `kubesim replay FILE` read trace.kst: the dump, then the replay's index
 * with seeks to the middle, the end and the start. Most mutations break a
 * checksum and stop at the header or the first block; fuzz_trace_crc.c
 * repairs them to reach the records.
 */
#include "fz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_read_trace(fz_file("trace.kst", data, size));
    return 0;
}
