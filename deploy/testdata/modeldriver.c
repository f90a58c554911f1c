/*
 * Test driver for the C runtime's learn blocks (deploy's tests): runs the
 * networks and anomaly blocks the test generated (models.c) on feature
 * vectors read from stdin.
 *
 * Input, repeated: uint32 kind (0 network, 1 K-means, 2 GMM; 0xffffffff
 * ends), uint32 index, then the block's input as float64. Output: int32
 * status, uint32 flags (1: wrote past the arena, 2: past the outputs), then
 * the outputs (network) or the score as float64. Arenas and outputs are
 * allocated with exactly their size plus TI_CANARY pattern bytes (0 under
 * AddressSanitizer).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ti_model.h"

#ifndef TI_CANARY
#define TI_CANARY 64
#endif
#define PATTERN 0xA5

extern const ti_network *const ti_nets[];
extern const ti_kmeans_config *const ti_kmeans[];
extern const ti_gmm_config *const ti_gmms[];

static void die(const char *msg)
{
	fprintf(stderr, "modeldriver: %s\n", msg);
	exit(2);
}

static void put(const void *p, size_t n)
{
	if (fwrite(p, 1, n, stdout) != n)
		die("write failed");
}

static double *read_vec(size_t n)
{
	double *v = malloc(n * sizeof(double) + 1);
	if (!v)
		die("out of memory");
	if (fread(v, sizeof(double), n, stdin) != n)
		die("truncated input");
	return v;
}

int main(void)
{
	for (;;) {
		uint32_t hdr[2], flags = 0, i;
		int32_t status = 0;
		if (fread(hdr, 4, 1, stdin) != 1)
			die("truncated input");
		if (hdr[0] == 0xffffffffu)
			break;
		if (fread(hdr + 1, 4, 1, stdin) != 1)
			die("truncated input");
		if (hdr[0] == 0) {
			const ti_network *n = ti_nets[hdr[1]];
			double *v = read_vec(n->inputs);
			float *in = malloc(n->inputs * sizeof(float) + 1);
			unsigned char *arena = malloc(n->arena + TI_CANARY + 1);
			unsigned char *outb = malloc(n->outputs * sizeof(float) + TI_CANARY + 1);
			float *out = (float *)(void *)outb;
			if (!in || !arena || !outb)
				die("out of memory");
			for (i = 0; i < n->inputs; i++)
				in[i] = (float)v[i];
			memset(arena, PATTERN, n->arena + TI_CANARY);
			memset(outb, PATTERN, n->outputs * sizeof(float) + TI_CANARY);
			status = ti_network_run(n, in, out, arena, n->arena);
			for (i = 0; i + 1 < TI_CANARY + 1u; i++) {
				if (arena[n->arena + i] != PATTERN)
					flags |= 1;
				if (outb[n->outputs * sizeof(float) + i] != PATTERN)
					flags |= 2;
			}
			put(&status, 4);
			put(&flags, 4);
			for (i = 0; i < n->outputs; i++) {
				double d = (double)out[i];
				put(&d, sizeof d);
			}
			free(v);
			free(in);
			free(arena);
			free(outb);
		} else {
			uint32_t features = hdr[0] == 1 ? ti_kmeans[hdr[1]]->features : ti_gmms[hdr[1]]->features;
			double *v = read_vec(features), d;
			ti_real *x = malloc(features * sizeof(ti_real) + 1);
			if (!x)
				die("out of memory");
			for (i = 0; i < features; i++)
				x[i] = (ti_real)v[i];
			d = (double)(hdr[0] == 1 ? ti_kmeans_score(ti_kmeans[hdr[1]], x) : ti_gmm_score(ti_gmms[hdr[1]], x));
			put(&status, 4);
			put(&flags, 4);
			put(&d, sizeof d);
			free(v);
			free(x);
		}
	}
	return fflush(stdout) == 0 ? 0 : 2;
}
