/*
 * Test driver for the C runtime's int8 networks (deploy's tests): runs the
 * networks the test generated (qnets.c) on inputs read from stdin.
 *
 * Input, repeated: uint32 request (0xffffffff ends) = network index, with
 * bit 31 set to quantise features instead of running the network; then the
 * network's inputs as int8 bytes, or (quantise) its features as float64.
 * Output: int32 status, uint32 flags (1: wrote past the arena, 2: past the
 * outputs), then the outputs (or the quantised features) as int8 bytes.
 * The arena is allocated with exactly the network's size plus TI_CANARY
 * pattern bytes (0 under AddressSanitizer, which checks bounds itself).
 * With TI_SEMIHOST_FILES (the emulator) the input and output are the host
 * files in.bin and out.bin.
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

extern const ti_qnetwork *const ti_qnets[];

static void die(const char *msg)
{
	fprintf(stderr, "qdriver: %s\n", msg);
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
	if (!freopen("in.bin", "rb", stdin) || !freopen("out.bin", "wb", stdout))
		die("cannot open in.bin/out.bin");
#endif
	for (;;) {
		uint32_t req, flags = 0, i, nout;
		int32_t status;
		const ti_qnetwork *n;
		unsigned char *arena, *outb;
		if (fread(&req, 4, 1, stdin) != 1)
			die("truncated input");
		if (req == 0xffffffffu)
			break;
		n = ti_qnets[req & 0x7fffffffu];
		if (req & 0x80000000u) {
			double *v = malloc(n->inputs * sizeof(double) + 1);
			ti_real *x = malloc(n->inputs * sizeof(ti_real) + 1);
			int8_t *q = malloc(n->inputs + 1);
			if (!v || !x || !q)
				die("out of memory");
			if (fread(v, sizeof(double), n->inputs, stdin) != n->inputs)
				die("truncated features");
			for (i = 0; i < n->inputs; i++)
				x[i] = (ti_real)v[i];
			status = ti_quantize(n, x, q);
			put(&status, 4);
			put(&flags, 4);
			put(q, n->inputs);
			free(v);
			free(x);
			free(q);
			continue;
		}
		nout = n->outputs;
		{
			int8_t *in = malloc(n->inputs + 1);
			arena = malloc(n->arena + TI_CANARY + 1);
			outb = malloc(nout + TI_CANARY + 1);
			if (!in || !arena || !outb)
				die("out of memory");
			if (fread(in, 1, n->inputs, stdin) != n->inputs)
				die("truncated input");
			memset(arena, PATTERN, n->arena + TI_CANARY);
			memset(outb, PATTERN, nout + TI_CANARY);
			status = ti_qnetwork_run(n, in, (int8_t *)outb, arena, n->arena);
			for (i = 0; i + 1 < TI_CANARY + 1u; i++) {
				if (arena[n->arena + i] != PATTERN)
					flags |= 1;
				if (outb[nout + i] != PATTERN)
					flags |= 2;
			}
			put(&status, 4);
			put(&flags, 4);
			put(outb, nout);
			free(in);
			free(arena);
			free(outb);
		}
	}
	return fflush(stdout) == 0 ? 0 : 2;
}
