/*
 * Measures networks operator by operator on the emulated Cortex-M4F
 * (deploy's tests): every int8 network of ti_qnets and float32 network of
 * ti_fnets runs on an input from a linear congruential generator (the
 * same in the Go test), once to warm up and once built with TI_PROFILE,
 * whose hook reads the CMSDK timer before and after each operator (under
 * QEMU's -icount shift=0 one tick is 40 instructions). It prints, per
 * network, the ticks of each operator and of the whole run and an FNV-1a
 * hash of the outputs' bytes. measure_nets.h (generated) gives the sizes.
 */
#include <stdint.h>
#include <string.h>

int iprintf(const char *format, ...);

#include "ti_model.h"
#include "measure_nets.h"

#define TIMER_VALUE (*(volatile uint32_t *)0x40000004u)
#define TIMER_CTRL (*(volatile uint32_t *)0x40000000u)
#define TIMER_RELOAD (*(volatile uint32_t *)0x40000008u)

extern const ti_qnetwork *const ti_qnets[];
extern const uint32_t ti_qseeds[];
extern const ti_network *const ti_fnets[];
extern const uint32_t ti_fseeds[];
extern const uint32_t ti_n_qnets, ti_n_fnets;

static uint64_t arena[ARENA / 8 + 1];
static uint64_t input[MAX_IN / 8 + 1];
static uint64_t output[MAX_OUT / 8 + 1];

static uint32_t op_start, op_ticks[MAX_OPS];
static int profiling;

void ti_profile(uint32_t op, int end)
{
	uint32_t now = TIMER_VALUE;
	if (!profiling || op >= MAX_OPS)
		return;
	if (!end)
		op_start = now;
	else
		op_ticks[op] = op_start - now;
}

static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s;
}

static uint32_t fnv(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint32_t h = 2166136261u;
	size_t i;
	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static void report(char kind, uint32_t k, uint32_t n_ops, uint32_t total, int status, uint32_t hash)
{
	uint32_t i;
	iprintf("net %c %lu status %d total %lu hash %08lx\n", kind, (unsigned long)k, status, (unsigned long)total, (unsigned long)hash);
	for (i = 0; i < n_ops && i < MAX_OPS; i++)
		iprintf("op %c %lu %lu %lu\n", kind, (unsigned long)k, (unsigned long)i, (unsigned long)op_ticks[i]);
}

int main(void)
{
	uint32_t k, i, t0, t1;
	int status;
	TIMER_RELOAD = 0xFFFFFFFFu;
	TIMER_VALUE = 0xFFFFFFFFu;
	TIMER_CTRL = 1;
	for (k = 0; k < ti_n_qnets; k++) {
		const ti_qnetwork *n = ti_qnets[k];
		int8_t *x = (int8_t *)input, *y = (int8_t *)output;
		uint32_t s = ti_qseeds[k];
		for (i = 0; i < n->inputs; i++)
			x[i] = (int8_t)(lcg(&s) >> 24);
		profiling = 0;
		status = ti_qnetwork_run(n, x, y, arena, sizeof arena);
		memset(op_ticks, 0, sizeof op_ticks);
		profiling = 1;
		t0 = TIMER_VALUE;
		status |= ti_qnetwork_run(n, x, y, arena, sizeof arena);
		t1 = TIMER_VALUE;
		report('q', k, n->n_ops, t0 - t1, status, fnv(y, n->outputs));
	}
	for (k = 0; k < ti_n_fnets; k++) {
		const ti_network *n = ti_fnets[k];
		float *x = (float *)input, *y = (float *)output;
		uint32_t s = ti_fseeds[k];
		for (i = 0; i < n->inputs; i++)
			x[i] = (float)((int32_t)(lcg(&s) >> 8) - 8388608) * (1.0f / 8388608.0f);
		profiling = 0;
		status = ti_network_run(n, x, y, arena, sizeof arena);
		memset(op_ticks, 0, sizeof op_ticks);
		profiling = 1;
		t0 = TIMER_VALUE;
		status |= ti_network_run(n, x, y, arena, sizeof arena);
		t1 = TIMER_VALUE;
		report('f', k, n->n_ops, t0 - t1, status, fnv(y, n->outputs * sizeof(float)));
	}
	return 0;
}
