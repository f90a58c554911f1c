/*
 * Test driver for the C runtime's whole impulses (deploy's tests): runs
 * the impulses the test generated (impulses.c) on windows read from stdin.
 *
 * Input, repeated: uint32 impulse index (0xffffffff ends), then the
 * window's input_length values as float64. Output: int32 status, int32
 * result, uint32 flags (1: wrote past the arena, 2: past the scores),
 * float64 anomaly score, then the n_labels scores (1 for a regression, 0
 * without a network) as float64. The arena is allocated with exactly
 * ti_impulse_arena_size bytes plus TI_CANARY pattern bytes (0 under
 * AddressSanitizer); the test checks that it equals the Go figure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ti_impulse.h"

#ifndef TI_CANARY
#define TI_CANARY 64
#endif
#define PATTERN 0xA5

extern const ti_impulse *const ti_impulses[];

typedef struct window {
	const double *v;
	size_t n;
} window;

static int get_data(size_t offset, size_t length, ti_real *out, void *ctx)
{
	window *w = ctx;
	size_t i;
	if (offset > w->n || length > w->n - offset)
		return -1;
	for (i = 0; i < length; i++)
		out[i] = (ti_real)w->v[offset + i];
	return 0;
}

static void die(const char *msg)
{
	fprintf(stderr, "impdriver: %s\n", msg);
	exit(2);
}

static void put(const void *p, size_t n)
{
	if (fwrite(p, 1, n, stdout) != n)
		die("write failed");
}

int main(void)
{
	for (;;) {
		uint32_t idx, flags = 0, i, nout;
		size_t asize;
		const ti_impulse *imp;
		double *in, an;
		unsigned char *arena, *outb;
		window w;
		ti_signal sig;
		ti_result res;
		int32_t status, result;
		if (fread(&idx, 4, 1, stdin) != 1)
			die("truncated input");
		if (idx == 0xffffffffu)
			break;
		imp = ti_impulses[idx];
		nout = imp->network || imp->qnetwork ? (imp->regression ? 1 : imp->n_labels) : 0;
		asize = ti_impulse_arena_size(imp);
		if (asize != imp->arena)
			die("ti_impulse_arena_size differs from the generated arena");
		in = malloc(imp->input_length * sizeof(double) + 1);
		arena = malloc(asize + TI_CANARY + 1);
		outb = malloc(nout * sizeof(float) + TI_CANARY + 1);
		if (!in || !arena || !outb)
			die("out of memory");
		if (fread(in, sizeof(double), imp->input_length, stdin) != imp->input_length)
			die("truncated window");
		memset(arena, PATTERN, asize + TI_CANARY);
		memset(outb, PATTERN, nout * sizeof(float) + TI_CANARY);
		w.v = in;
		w.n = imp->input_length;
		sig.total_length = imp->input_length;
		sig.get_data = get_data;
		sig.ctx = &w;
		res.classification = (float *)(void *)outb;
		status = ti_run_classifier(imp, &sig, &res, arena, asize, NULL);
		for (i = 0; i + 1 < TI_CANARY + 1u; i++) {
			if (arena[asize + i] != PATTERN)
				flags |= 1;
			if (outb[nout * sizeof(float) + i] != PATTERN)
				flags |= 2;
		}
		result = res.result;
		an = (double)res.anomaly;
		put(&status, 4);
		put(&result, 4);
		put(&flags, 4);
		put(&an, sizeof an);
		for (i = 0; i < nout; i++) {
			double d = (double)res.classification[i];
			put(&d, sizeof d);
		}
		free(in);
		free(arena);
		free(outb);
	}
	return fflush(stdout) == 0 ? 0 : 2;
}
