/*
 * fuzz_trace_crc.c: the trace reader with the framing repaired, so the
 * fuzzer's mutations reach record decoding and the replay instead of dying at
 * a checksum: the magic and version are set, each length is clamped to the
 * bytes there are, each checksum (meta, block, end marker) and the end
 * marker's record count are recomputed. A block's record count and its
 * payload stay as the fuzzer made them. Then read as fuzz_trace.c reads.
 */
#include "fz.h"

#include <stdlib.h>
#include <string.h>

#include "sim/trace.h"

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Clamps the length field at p to the n bytes that follow its frame. */
static uint32_t clamp_len(uint8_t *p, size_t n)
{
    uint32_t len = get32(p);
    if (len > n) {
        len = (uint32_t)n;
        put32(p, len);
    }
    return len;
}

/* The end marker at b (16 bytes): its count is the blocks' total. */
static void repair_end(uint8_t *b, uint64_t records)
{
    for (int i = 0; i < 8; i++)
        b[4 + i] = (uint8_t)(records >> (8 * i));
    put32(b + 12, sim_crc32(0, b, 12));
}

static void repair(uint8_t *b, size_t n)
{
    if (n < 20)
        return;
    memcpy(b, "KSTRACE\n", 8);
    put32(b + 8, SIM_TRACE_VERSION);
    uint32_t mlen = clamp_len(b + 12, n - 20);
    put32(b + 16 + mlen, sim_crc32(0, b + 16, mlen));
    uint64_t records = 0;
    for (size_t at = 20 + (size_t)mlen; at + 16 <= n;) {
        if (memcmp(b + at, "KSE1", 4) == 0) {
            repair_end(b + at, records);
            at += 16;
            continue;
        }
        memcpy(b + at, "KSB1", 4);
        uint32_t len = clamp_len(b + at + 4, n - at - 16);
        records += get32(b + at + 8);
        put32(b + at + 12, sim_crc32(0, b + at + 16, len));
        at += 16 + (size_t)len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *b = malloc(size ? size : 1);
    if (b == NULL)
        return 0;
    if (size)
        memcpy(b, data, size);
    repair(b, size);
    fz_read_trace(fz_file("trace.kst", b, size));
    free(b);
    return 0;
}
