/*
 * Test driver for the C runtime's processing blocks (deploy's tests): runs
 * the cases the test generated (cases.c) on windows read from stdin and
 * writes the features and memory checks to stdout.
 *
 * Input, repeated: uint32 case index (0xffffffff ends), then the case's
 * n_in values as float64. Output per case: int32 status, uint32 arena size
 * reported by ti_<block>_arena_size, uint32 arena bytes written (high-water
 * mark), uint32 canary and bounds flags (0 is clean), uint32 bad-input
 * checks that failed (0 is clean; see bad_inputs), then n_out float64. The
 * high-water mark and canaries cover the normal run and the bad-input runs
 * after it; the features are those of a last run after them, which must
 * equal the first run's (flag 8).
 *
 * The arena and the output are allocated with exactly the size the Go side
 * computed, followed by TI_CANARY pattern bytes (0 under AddressSanitizer,
 * which checks the bounds itself); get_data checks that every read lies
 * inside the window. With TI_SEMIHOST_FILES (the emulator) the input and
 * output are the host files in.bin and out.bin.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ti_dsp.h"

#ifndef TI_CANARY
#define TI_CANARY 64
#endif
#define PATTERN 0xA5

enum { K_RAW, K_FLATTEN, K_IMAGE, K_SPECTRAL, K_SPECTROGRAM, K_MFE, K_MFCC };

typedef struct tcase {
	int kind;
	const void *cfg;
	uint32_t n_in, n_out;
	uint32_t arena;
} tcase;

extern const tcase ti_cases[];
extern const uint32_t ti_n_cases;

typedef struct window {
	const double *v;
	size_t n;
	int bad_read;
	unsigned calls, fail_at; /* get_data calls so far; fail the fail_at-th (0: never) */
} window;

static int get_data(size_t offset, size_t length, ti_real *out, void *ctx)
{
	window *w = ctx;
	size_t i;
	if (offset > w->n || length > w->n - offset) {
		w->bad_read = 1;
		return -1;
	}
	if (++w->calls == w->fail_at)
		return -7;
	for (i = 0; i < length; i++)
		out[i] = (ti_real)w->v[offset + i];
	return 0;
}

static int run(const tcase *c, const void *cfg, const ti_signal *sig, ti_real *out, void *arena, size_t arena_size)
{
	switch (c->kind) {
	case K_RAW:
		return ti_raw(cfg, sig, out, arena, arena_size);
	case K_FLATTEN:
		return ti_flatten(cfg, sig, out, arena, arena_size);
	case K_IMAGE:
		return ti_image(cfg, sig, out, arena, arena_size);
	case K_SPECTRAL:
		switch (((const ti_spectral_config *)c->cfg)->analysis) {
		case TI_SPECTRAL_WAVELET:
			return ti_spectral_wavelet(cfg, sig, out, arena, arena_size);
		case TI_SPECTRAL_V1:
			return ti_spectral_v1(cfg, sig, out, arena, arena_size);
		}
		return ti_spectral(cfg, sig, out, arena, arena_size);
	case K_SPECTROGRAM:
		return ti_spectrogram(cfg, sig, out, arena, arena_size);
	case K_MFE:
		return ti_mfe(cfg, sig, out, arena, arena_size);
	case K_MFCC:
		return ti_mfcc(cfg, sig, out, arena, arena_size);
	}
	return 99;
}

/*
 * Bad input: each check that does not return the expected error code sets
 * its bit in the result. The block must also keep to its arena, output and
 * window (the caller checks the canaries and bad_read afterwards).
 */
static uint32_t bad_inputs(const tcase *c, const double *in, unsigned calls, unsigned char *arena, ti_real *out)
{
	uint32_t bad = 0;
	double *v = malloc((size_t)c->n_in * sizeof(double) + 1);
	window w;
	ti_signal sig;
	unsigned k, f;
	if (!v)
		return 0x80000000u;
	memcpy(v, in, (size_t)c->n_in * sizeof(double));
	w.v = v;
	w.n = c->n_in;
	w.bad_read = 0;
	w.calls = 0;
	w.fail_at = 0;
	sig.total_length = c->n_in;
	sig.get_data = get_data;
	sig.ctx = &w;
#define EXPECT(bit, call, code)            \
	do {                                   \
		w.calls = 0;                       \
		if ((call) != (code))              \
			bad |= 1u << (bit);            \
	} while (0)
	EXPECT(0, run(c, NULL, &sig, out, arena, c->arena), TI_ERR_NULL);
	EXPECT(1, run(c, c->cfg, NULL, out, arena, c->arena), TI_ERR_NULL);
	EXPECT(2, run(c, c->cfg, &sig, NULL, arena, c->arena), TI_ERR_NULL);
	sig.get_data = NULL;
	EXPECT(3, run(c, c->cfg, &sig, out, arena, c->arena), TI_ERR_NULL);
	sig.get_data = get_data;
	sig.total_length = c->n_in - 1;
	EXPECT(4, run(c, c->cfg, &sig, out, arena, c->arena), TI_ERR_LENGTH);
	sig.total_length = c->n_in + 1;
	EXPECT(5, run(c, c->cfg, &sig, out, arena, c->arena), TI_ERR_LENGTH);
	sig.total_length = c->n_in;
	if (c->arena > 0) {
		EXPECT(6, run(c, c->cfg, &sig, out, NULL, c->arena), TI_ERR_NULL);
		EXPECT(7, run(c, c->cfg, &sig, out, arena, c->arena - 1), TI_ERR_ARENA);
	}
	/* get_data fails on its first, middle and last call of a normal run */
	for (f = 0; f < 3; f++) {
		unsigned at = f == 0 ? 1 : f == 1 ? (calls + 1) / 2 : calls;
		w.fail_at = at;
		EXPECT(8 + f, run(c, c->cfg, &sig, out, arena, c->arena), TI_ERR_SIGNAL);
	}
	w.fail_at = 0;
	/* a non-finite first value, which every block reads */
	for (k = 0; k < 3; k++) {
		double bad_v[3] = {NAN, INFINITY, -INFINITY};
		v[0] = bad_v[k];
		EXPECT(11 + k, run(c, c->cfg, &sig, out, arena, c->arena), TI_ERR_INPUT);
	}
	v[0] = in[0];
	if (c->kind == K_IMAGE) {
		/* pixels that are not integers 0xRRGGBB in [0, 2^32) */
		double bad_px[3] = {0.5, -1, 4294967296.0};
		for (k = 0; k < 3; k++) {
			v[c->n_in - 1] = bad_px[k];
			EXPECT(14 + k, run(c, c->cfg, &sig, out, arena, c->arena), TI_ERR_INPUT);
		}
	}
	if (w.bad_read)
		bad |= 1u << 20;
	free(v);
	return bad;
}

static void die(const char *msg)
{
	fprintf(stderr, "dspdriver: %s\n", msg);
	exit(2);
}

static void put(const void *p, size_t n)
{
	if (fwrite(p, 1, n, stdout) != n)
		die("write failed");
}

int main(void)
{
#ifdef TI_SEMIHOST_FILES
	/* On the emulator, stdin and stdout are the semihosting console; the
	 * windows and features go through host files instead. */
	if (!freopen("in.bin", "rb", stdin) || !freopen("out.bin", "wb", stdout))
		die("cannot open in.bin/out.bin");
#endif
	for (;;) {
		uint32_t idx, flags = 0, used = 0, c_arena = 0, bad = 0, i;
		int32_t status;
		double *in;
		unsigned char *arena, *outb;
		ti_real *out;
		const tcase *c;
		window w;
		ti_signal sig;
		if (fread(&idx, 4, 1, stdin) != 1)
			die("truncated input");
		if (idx == 0xffffffffu)
			break;
		if (idx >= ti_n_cases)
			die("bad case index");
		c = &ti_cases[idx];
		in = malloc((size_t)c->n_in * sizeof(double) + 1);
		arena = malloc((size_t)c->arena + TI_CANARY + 1);
		outb = malloc((size_t)c->n_out * sizeof(ti_real) + TI_CANARY + 1);
		if (!in || !arena || !outb)
			die("out of memory");
		if (fread(in, sizeof(double), c->n_in, stdin) != c->n_in)
			die("truncated window");
		memset(arena, PATTERN, (size_t)c->arena + TI_CANARY);
		memset(outb, PATTERN, (size_t)c->n_out * sizeof(ti_real) + TI_CANARY);
		out = (ti_real *)(void *)outb;
		w.v = in;
		w.n = c->n_in;
		w.bad_read = 0;
		w.calls = 0;
		w.fail_at = 0;
		sig.total_length = c->n_in;
		sig.get_data = get_data;
		sig.ctx = &w;
		switch (c->kind) {
#define ARENA_SIZE(K, NAME)                                         \
	case K:                                                         \
		c_arena = (uint32_t)ti_##NAME##_arena_size(c->cfg);         \
		break;
			ARENA_SIZE(K_RAW, raw)
			ARENA_SIZE(K_FLATTEN, flatten)
			ARENA_SIZE(K_IMAGE, image)
			ARENA_SIZE(K_SPECTRAL, spectral)
			ARENA_SIZE(K_SPECTROGRAM, spectrogram)
			ARENA_SIZE(K_MFE, mfe)
			ARENA_SIZE(K_MFCC, mfcc)
		default:
			die("bad kind");
		}
		status = run(c, c->cfg, &sig, out, c->arena ? arena : NULL, c->arena);
		if (status == TI_OK) {
			/* bad input, then the window again: the same features (the
			 * blocks keep no state between calls) */
			size_t bytes = (size_t)c->n_out * sizeof(ti_real);
			unsigned char *saved = malloc(bytes + 1);
			if (!saved)
				die("out of memory");
			memcpy(saved, out, bytes);
			bad = bad_inputs(c, in, w.calls, arena, out);
			if (run(c, c->cfg, &sig, out, c->arena ? arena : NULL, c->arena) != TI_OK || memcmp(saved, out, bytes) != 0)
				flags |= 8;
			free(saved);
		}
		for (i = 0; i + 1 < TI_CANARY + 1u; i++) {
			if (arena[c->arena + i] != PATTERN)
				flags |= 1;
			if (outb[(size_t)c->n_out * sizeof(ti_real) + i] != PATTERN)
				flags |= 2;
		}
		if (w.bad_read)
			flags |= 4;
		for (i = c->arena; i > 0; i--)
			if (arena[i - 1] != PATTERN) {
				used = i;
				break;
			}
		put(&status, 4);
		put(&c_arena, 4);
		put(&used, 4);
		put(&flags, 4);
		put(&bad, 4);
		for (i = 0; i < c->n_out; i++) {
			double v = (double)out[i];
			put(&v, sizeof v);
		}
		free(in);
		free(arena);
		free(outb);
	}
	return fflush(stdout) == 0 ? 0 : 2;
}
