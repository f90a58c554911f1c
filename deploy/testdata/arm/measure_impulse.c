/*
 * Measures a whole impulse on the emulated Cortex-M4F (deploy's tests):
 * runs ti_run_classifier twice on a window compiled into flash, with the
 * CMSDK timer as the clock (under QEMU's -icount shift=0 one tick is 40
 * instructions) and a painted stack, and prints the figures, the result
 * and the scores' bits through semihosting. measure_impulse.h (generated)
 * gives the sizes; with TI_BASELINE the impulse is left out.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* newlib's integer-only printf: the harness links no floating-point
 * formatting (and its software double arithmetic), so the baseline does not
 * hide the double routines the code under test needs. */
int iprintf(const char *format, ...);

#include "ti_impulse.h"
#include "measure_impulse.h"

#define TIMER_CTRL (*(volatile uint32_t *)0x40000000u)
#define TIMER_VALUE (*(volatile uint32_t *)0x40000004u)
#define TIMER_RELOAD (*(volatile uint32_t *)0x40000008u)

#define PAINT 0xC5C5C5C5u
#define PAINT_BYTES (64u * 1024u)

/* Timer ticks since it started (it counts down). */
static uint32_t ticks(void)
{
	return 0xFFFFFFFFu - TIMER_VALUE;
}

static ti_result res;
#ifndef TI_BASELINE
extern const ti_impulse imp;
extern const ti_real ti_input[N_IN];
static uint64_t arena[ARENA / 8 + 1];
static float scores[N_OUT];

static int get_data(size_t offset, size_t length, ti_real *dst, void *ctx)
{
	(void)ctx;
	memcpy(dst, ti_input + offset, length * sizeof(ti_real));
	return 0;
}

static int run(void)
{
	ti_signal sig;
	sig.total_length = N_IN;
	sig.get_data = get_data;
	sig.ctx = NULL;
	res.classification = scores;
	return ti_run_classifier(&imp, &sig, &res, arena, ARENA, ticks);
}
#else
static int run(void)
{
	res.dsp_time = ticks();
	return 0;
}
#endif

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

int main(void)
{
	uint32_t top, t0, t1, used, i;
	int status;
	TIMER_RELOAD = 0xFFFFFFFFu;
	TIMER_VALUE = 0xFFFFFFFFu;
	TIMER_CTRL = 1;
	status = run(); /* warm-up */
	top = stack_pointer();
	paint(top);
	t0 = ticks();
	status |= run();
	t1 = ticks();
	used = stack_used(top);
	iprintf("status %d\n", status);
	iprintf("ticks %lu\n", (unsigned long)(t1 - t0));
	iprintf("dsp %lu\n", (unsigned long)res.dsp_time);
	iprintf("nn %lu\n", (unsigned long)res.classification_time);
	iprintf("anomaly %lu\n", (unsigned long)res.anomaly_time);
	iprintf("stack %lu\n", (unsigned long)used);
	iprintf("result %ld\n", (long)res.result);
#ifndef TI_BASELINE
	{
		union {
			float f;
			uint32_t u;
		} v;
		v.f = (float)res.anomaly;
		iprintf("a %08lx\n", (unsigned long)v.u);
		for (i = 0; i < N_OUT; i++) {
			v.f = scores[i];
			iprintf("s %08lx\n", (unsigned long)v.u);
		}
	}
#else
	(void)i;
#endif
	return 0;
}
