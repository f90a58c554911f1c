/*
 * Measures processing blocks and anomaly blocks on the emulated Cortex-M4F
 * for the calibration of package device's estimates (deploy's tests).
 *
 * Processing blocks: the cases of cases.c (deploy's casesC), their windows
 * read from the host file in.bin (uint32 index, then the window as
 * float64; 0xffffffff ends) and converted to ti_real before the run, read
 * back through get_data with memcpy as a library's ti_buffer does. Each
 * block runs twice; the second run is timed with the CMSDK timer (under
 * QEMU's -icount shift=0 one tick is 40 instructions) and its stack
 * measured by painting. Anomaly blocks: the K-means and GMM blocks of
 * ti_anomalies, scored on features from a linear congruential generator.
 * out.bin receives, per case, int32 status, uint32 ticks, uint32 stack.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ti_model.h"

#define TIMER_CTRL (*(volatile uint32_t *)0x40000000u)
#define TIMER_VALUE (*(volatile uint32_t *)0x40000004u)
#define TIMER_RELOAD (*(volatile uint32_t *)0x40000008u)

#define PAINT 0xC5C5C5C5u
#define PAINT_BYTES (32u * 1024u)

enum { K_RAW, K_FLATTEN, K_IMAGE, K_SPECTRAL, K_SPECTROGRAM, K_MFE, K_MFCC };

typedef struct tcase {
	int kind;
	const void *cfg;
	uint32_t n_in, n_out;
	uint32_t arena;
} tcase;

extern const tcase ti_cases[];
extern const uint32_t ti_n_cases;

/* An anomaly block: K-means (gmm 0) or GMM, scoring features values. */
typedef struct tanomaly {
	int gmm;
	const void *cfg;
	uint32_t features;
} tanomaly;

extern const tanomaly ti_anomalies[];
extern const uint32_t ti_n_anomalies;

typedef struct window {
	const ti_real *v;
	size_t n;
} window;

static int get_data(size_t offset, size_t length, ti_real *out, void *ctx)
{
	const window *w = ctx;
	if (offset > w->n || length > w->n - offset)
		return -1;
	memcpy(out, w->v + offset, length * sizeof(ti_real));
	return 0;
}

static int run(const tcase *c, const ti_signal *sig, ti_real *out, void *arena)
{
	switch (c->kind) {
	case K_RAW:
		return ti_raw(c->cfg, sig, out, arena, c->arena);
	case K_FLATTEN:
		return ti_flatten(c->cfg, sig, out, arena, c->arena);
	case K_IMAGE:
		return ti_image(c->cfg, sig, out, arena, c->arena);
	case K_SPECTRAL:
		switch (((const ti_spectral_config *)c->cfg)->analysis) {
		case TI_SPECTRAL_WAVELET:
			return ti_spectral_wavelet(c->cfg, sig, out, arena, c->arena);
		case TI_SPECTRAL_V1:
			return ti_spectral_v1(c->cfg, sig, out, arena, c->arena);
		}
		return ti_spectral(c->cfg, sig, out, arena, c->arena);
	case K_SPECTROGRAM:
		return ti_spectrogram(c->cfg, sig, out, arena, c->arena);
	case K_MFE:
		return ti_mfe(c->cfg, sig, out, arena, c->arena);
	case K_MFCC:
		return ti_mfcc(c->cfg, sig, out, arena, c->arena);
	}
	return 99;
}

static void die(const char *msg)
{
	fprintf(stderr, "measure_dsp: %s\n", msg);
	exit(2);
}

static void put(const void *p, size_t n)
{
	if (fwrite(p, 1, n, stdout) != n)
		die("write failed");
}

static uint32_t stack_pointer(void)
{
	uint32_t v;
	__asm volatile("mov %0, sp" : "=r"(v));
	return v;
}

__attribute__((noinline)) static void paint(uint32_t top)
{
	volatile uint32_t *p = (volatile uint32_t *)(top - PAINT_BYTES);
	while ((uint32_t)p < top - 256u)
		*p++ = PAINT;
}

__attribute__((noinline)) static uint32_t stack_used(uint32_t top)
{
	volatile uint32_t *p = (volatile uint32_t *)(top - PAINT_BYTES);
	while ((uint32_t)p < top - 256u && *p == PAINT)
		p++;
	return top - (uint32_t)p;
}

static void report(int32_t status, uint32_t ticks, uint32_t stack)
{
	put(&status, 4);
	put(&ticks, 4);
	put(&stack, 4);
}

int main(void)
{
	uint32_t k, i;
	if (!freopen("in.bin", "rb", stdin) || !freopen("out.bin", "wb", stdout))
		die("cannot open in.bin/out.bin");
	TIMER_RELOAD = 0xFFFFFFFFu;
	TIMER_VALUE = 0xFFFFFFFFu;
	TIMER_CTRL = 1;
	for (;;) {
		uint32_t idx, t0, t1, top, used;
		int32_t status;
		double *in;
		ti_real *v, *out;
		void *arena;
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
		v = malloc((size_t)c->n_in * sizeof(ti_real) + 1);
		out = malloc((size_t)c->n_out * sizeof(ti_real) + 1);
		arena = malloc((size_t)c->arena + 8);
		if (!in || !v || !out || !arena)
			die("out of memory");
		if (fread(in, sizeof(double), c->n_in, stdin) != c->n_in)
			die("truncated window");
		for (i = 0; i < c->n_in; i++)
			v[i] = (ti_real)in[i];
		w.v = v;
		w.n = c->n_in;
		sig.total_length = c->n_in;
		sig.get_data = get_data;
		sig.ctx = &w;
		status = run(c, &sig, out, arena);
		top = stack_pointer();
		paint(top);
		t0 = TIMER_VALUE;
		status |= run(c, &sig, out, arena);
		t1 = TIMER_VALUE;
		used = stack_used(top);
		report(status, t0 - t1, used);
		free(in);
		free(v);
		free(out);
		free(arena);
	}
	for (k = 0; k < ti_n_anomalies; k++) {
		const tanomaly *a = &ti_anomalies[k];
		ti_real *x = malloc(a->features * sizeof(ti_real) + 1);
		uint32_t s = 12345u + k, t0, t1, top, used;
		ti_real score;
		if (!x)
			die("out of memory");
		for (i = 0; i < a->features; i++) {
			s = s * 1664525u + 1013904223u;
			x[i] = (ti_real)((int32_t)(s >> 8) - 8388608) * (ti_real)(1.0f / 1048576.0f);
		}
		score = a->gmm ? ti_gmm_score(a->cfg, x) : ti_kmeans_score(a->cfg, x);
		top = stack_pointer();
		paint(top);
		t0 = TIMER_VALUE;
		score += a->gmm ? ti_gmm_score(a->cfg, x) : ti_kmeans_score(a->cfg, x);
		t1 = TIMER_VALUE;
		used = stack_used(top);
		report(score == score ? 0 : -4, t0 - t1, used);
		free(x);
	}
	return fflush(stdout) == 0 ? 0 : 2;
}
