/*
 * Test driver for the C runtime's processing blocks (deploy's tests): runs
 * the cases the test generated (cases.c) on windows read from stdin and
 * writes the features and memory checks to stdout.
 *
 * Input, repeated: uint32 case index (0xffffffff ends), then the case's
 * n_in values as float64. Output per case: int32 status, uint32 arena size
 * reported by ti_<block>_arena_size, uint32 arena bytes written (high-water
 * mark), uint32 canary and bounds flags (0 is clean), then n_out float64.
 *
 * The arena and the output are allocated with exactly the size the Go side
 * computed, followed by TI_CANARY pattern bytes (0 under AddressSanitizer,
 * which checks the bounds itself); get_data checks that every read lies
 * inside the window. With TI_SEMIHOST_FILES (the emulator) the input and
 * output are the host files in.bin and out.bin.
 */
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
} window;

static int get_data(size_t offset, size_t length, ti_real *out, void *ctx)
{
	window *w = ctx;
	size_t i;
	if (offset > w->n || length > w->n - offset) {
		w->bad_read = 1;
		return -1;
	}
	for (i = 0; i < length; i++)
		out[i] = (ti_real)w->v[offset + i];
	return 0;
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
		uint32_t idx, flags = 0, used = 0, c_arena = 0, i;
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
		sig.total_length = c->n_in;
		sig.get_data = get_data;
		sig.ctx = &w;
		switch (c->kind) {
#define RUN(K, NAME)                                                                   \
	case K:                                                                            \
		c_arena = (uint32_t)ti_##NAME##_arena_size(c->cfg);                            \
		status = ti_##NAME(c->cfg, &sig, out, c->arena ? arena : NULL, c->arena);     \
		break;
			RUN(K_RAW, raw)
			RUN(K_FLATTEN, flatten)
			RUN(K_IMAGE, image)
			RUN(K_SPECTRAL, spectral)
			RUN(K_SPECTROGRAM, spectrogram)
			RUN(K_MFE, mfe)
			RUN(K_MFCC, mfcc)
		default:
			die("bad kind");
			return 2;
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
