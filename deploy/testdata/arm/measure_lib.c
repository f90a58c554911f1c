/*
 * Measures a generated C library on the emulated Cortex-M4F (deploy's
 * tests): run_classifier on the library's example window (flash), twice,
 * the second run timed per stage with the CMSDK timer as the library's
 * clock (under QEMU's -icount shift=0 one tick is 40 instructions) and its
 * stack measured by painting; then prints the figures, the result and the
 * scores' bits through semihosting. The library's header comes with
 * -include; with TI_BASELINE the library is left out (the ROM baseline).
 */
#include <stdint.h>
#include <string.h>

int iprintf(const char *format, ...);

#define TIMER_CTRL (*(volatile uint32_t *)0x40000000u)
#define TIMER_VALUE (*(volatile uint32_t *)0x40000004u)
#define TIMER_RELOAD (*(volatile uint32_t *)0x40000008u)

#define PAINT 0xC5C5C5C5u
#define PAINT_BYTES (64u * 1024u)

static uint32_t ticks(void)
{
	return 0xFFFFFFFFu - TIMER_VALUE;
}

#ifndef TI_BASELINE
extern const ti_real ti_example_window[];
static ti_classifier_result res;

static int run(void)
{
	ti_buffer buf;
	ti_buffer_init(&buf, ti_example_window, TI_CLASSIFIER_INPUT_LENGTH);
	return run_classifier(&buf.signal, &res);
}
#else
static uint32_t sink;

static int run(void)
{
	sink = ticks();
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
	uint32_t top, t0, t1, used;
	int status;
	TIMER_RELOAD = 0xFFFFFFFFu;
	TIMER_VALUE = 0xFFFFFFFFu;
	TIMER_CTRL = 1;
#ifndef TI_BASELINE
	ti_classifier_set_clock(ticks);
#endif
	status = run(); /* warm-up */
	top = stack_pointer();
	paint(top);
	t0 = ticks();
	status |= run();
	t1 = ticks();
	used = stack_used(top);
	iprintf("status %d\n", status);
	iprintf("ticks %lu\n", (unsigned long)(t1 - t0));
	iprintf("stack %lu\n", (unsigned long)used);
#ifndef TI_BASELINE
	iprintf("dsp %lu\n", (unsigned long)res.timing.dsp);
	iprintf("nn %lu\n", (unsigned long)res.timing.classification);
	iprintf("anomaly %lu\n", (unsigned long)res.timing.anomaly);
	iprintf("result %ld\n", (long)res.result);
	{
		union {
			float f;
			uint32_t u;
		} v;
		uint32_t i;
		v.f = res.anomaly;
		iprintf("a %08lx\n", (unsigned long)v.u);
		for (i = 0; i < ti_model_impulse.n_labels; i++) {
			v.f = res.classification[i].value;
			iprintf("s %08lx\n", (unsigned long)v.u);
		}
	}
#endif
	return 0;
}
