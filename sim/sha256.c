/*
 * sha256.c: SHA-256 (FIPS 180-4), incremental. The trace writer hashes every
 * byte it writes so a run's trace_sha256 costs no second pass over the file.
 * The work goes to OpenSSL's libcrypto (EVP), whose hand-written code uses
 * the CPU's SHA extensions where it has them; the portable code below is the
 * fallback when libcrypto cannot allocate its context (libcrypto allocates
 * with malloc, outside the engine's allocator hook, so an out-of-memory
 * sweep never fails it; the fallback keeps the hash total and identical).
 * Invariant of the portable state: s->buf holds the s->nbuf < 64 bytes not
 * yet compressed, and s->len counts every byte passed to update (the padding
 * needs the bit length).
 */
#include "sim/trace.h"

#include <openssl/evp.h>
#include <string.h>

static const uint32_t K[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u,
    0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu,
    0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu,
    0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
    0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
    0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
    0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u,
    0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u,
    0xc67178f2u,
};

static uint32_t ror(uint32_t x, int n)
{
    return (x >> n) | (x << (32 - n));
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void schedule(uint32_t w[64], const unsigned char *blk)
{
    for (int i = 0; i < 16; i++)
        w[i] = be32(blk + 4 * i);
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
}

static void compress(uint32_t h[8], const unsigned char *blk)
{
    uint32_t w[64], v[8];
    schedule(w, blk);
    memcpy(v, h, sizeof v);
    for (int i = 0; i < 64; i++) {
        uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
        uint32_t t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) + ch + K[i] + w[i];
        uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
        uint32_t t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) + maj;
        memmove(v + 1, v, 7 * sizeof v[0]);
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (int i = 0; i < 8; i++)
        h[i] += v[i];
}

void sim_sha256_init_portable(SimSha256 *s)
{
    static const uint32_t h0[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                                   0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
    s->evp = NULL;
    memcpy(s->h, h0, sizeof s->h);
    s->len = 0;
    s->nbuf = 0;
}

void sim_sha256_init(SimSha256 *s)
{
    sim_sha256_init_portable(s);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1)
        s->evp = ctx;
    else
        EVP_MD_CTX_free(ctx);
}

void sim_sha256_free(SimSha256 *s)
{
    EVP_MD_CTX_free(s->evp);
    s->evp = NULL;
}

static void finish_evp(SimSha256 *s, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    int ok = EVP_DigestFinal_ex(s->evp, md, &len);
    SIM_ASSERT(ok == 1 && len == 32);
    sim_sha256_free(s);
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
}

void sim_sha256_update(SimSha256 *s, const void *data, size_t n)
{
    if (s->evp != NULL) {
        int ok = EVP_DigestUpdate(s->evp, data, n);   /* fails only on a broken context */
        SIM_ASSERT(ok == 1);
        return;
    }
    const unsigned char *p = data;
    s->len += n;
    if (s->nbuf > 0) {
        size_t k = n < 64 - s->nbuf ? n : 64 - s->nbuf;
        memcpy(s->buf + s->nbuf, p, k);
        s->nbuf += k;
        p += k;
        n -= k;
        if (s->nbuf < 64)
            return;
        compress(s->h, s->buf);
        s->nbuf = 0;
    }
    /* Whole blocks straight from the caller's data: no copy on the hot path. */
    for (; n >= 64; p += 64, n -= 64)
        compress(s->h, p);
    memcpy(s->buf, p, n);
    s->nbuf = n;
}

/* Padding: a 1 bit, zeros up to 56 mod 64 bytes, then the message length in
 * bits as a big-endian u64. */
void sim_sha256_hex(SimSha256 *s, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    if (s->evp != NULL) {
        finish_evp(s, hex);
        return;
    }
    uint64_t bits = s->len * 8;
    unsigned char pad[72] = {0x80};
    size_t npad = (s->nbuf < 56 ? 56 : 120) - s->nbuf;
    for (int i = 0; i < 8; i++)
        pad[npad + (size_t)i] = (unsigned char)(bits >> (56 - 8 * i));
    sim_sha256_update(s, pad, npad + 8);
    SIM_ASSERT(s->nbuf == 0);
    for (int i = 0; i < 32; i++) {
        unsigned char b = (unsigned char)(s->h[i / 4] >> (24 - 8 * (i % 4)));
        hex[2 * i] = digits[b >> 4];
        hex[2 * i + 1] = digits[b & 15];
    }
    hex[64] = '\0';
}
