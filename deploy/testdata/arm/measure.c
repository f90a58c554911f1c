/*
 * Measures one processing block on the emulated Cortex-M4F (deploy's
 * tests): runs it twice on a window compiled into flash, timing the second
 * run with the CMSDK timer (under QEMU's -icount shift=0 one tick is 40
 * instructions) and measuring its stack with a painted region, then prints
 * the figures and the features' bits through semihosting. measure_block.h
 * (generated) names the block; with TI_BASELINE the block is left out, which
 * gives the ROM of everything but the block.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* newlib's integer-only printf: the harness links no floating-point
 * formatting (and its software double arithmetic), so the baseline does not
 * hide the double routines the code under test needs. */
int iprintf(const char *format, ...);

#include "ti_dsp.h"
#include "measure_block.h"

#define TIMER_CTRL (*(volatile uint32_t *)0x40000000u)
#define TIMER_VALUE (*(volatile uint32_t *)0x40000004u)
#define TIMER_RELOAD (*(volatile uint32_t *)0x40000008u)

#define PAINT 0xC5C5C5C5u
#define PAINT_BYTES (64u * 1024u)

#ifndef TI_BASELINE
extern const BLOCK_CONFIG_TYPE blk;
extern const ti_real ti_input[N_IN];
static uint64_t arena[ARENA / 8 + 1];
static ti_real out[N_OUT];

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
	return BLOCK_FUNC(&blk, &sig, out, arena, ARENA);
}
#else
static int run(void)
{
	return 0;
}
#endif

static uint32_t stack_pointer(void)
{
	uint32_t v;
	__asm volatile("mov %0, sp" : "=r"(v));
	return v;
}

/* Paints [top - PAINT_BYTES, top - 256) below the caller's frame. */
__attribute__((noinline)) static void paint(uint32_t top)
{
	volatile uint32_t *p = (volatile uint32_t *)(top - PAINT_BYTES);
	while ((uint32_t)p < top - 256u)
		*p++ = PAINT;
}

/* Bytes below top that a call wrote to. */
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
	t0 = TIMER_VALUE;
	status |= run();
	t1 = TIMER_VALUE;
	used = stack_used(top);
	iprintf("status %d\n", status);
	iprintf("ticks %lu\n", (unsigned long)(t0 - t1));
	iprintf("stack %lu\n", (unsigned long)used);
#ifndef TI_BASELINE
	iprintf("arena %lu\n", (unsigned long)BLOCK_ARENA_FUNC(&blk));
	for (i = 0; i < N_OUT; i++) {
		union {
			float f;
			uint32_t u;
		} v;
		v.f = (float)out[i];
		iprintf("f %08lx\n", (unsigned long)v.u);
	}
#else
	(void)i;
#endif
	return 0;
}
