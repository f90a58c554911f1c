/*
 * Measures a generated C library on the emulated Cortex-M4F (deploy's
 * tests): run_classifier on the library's example window (flash), twice,
 * the second run timed per stage with the CMSDK timer as the library's
 * clock (under QEMU's -icount shift=0 one tick is 40 instructions) and its
 * stack measured by painting; then prints the figures, the result and the
 * scores' bits through semihosting; a third run measures the stack of
 * each stage. The library's header comes with -include; with TI_BASELINE
 * the library is left out (the ROM baseline).
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

/* Paints [top - PAINT_BYTES, limit). */
__attribute__((noinline)) static void paint_to(uint32_t top, uint32_t limit)
{
	volatile uint32_t *p = (volatile uint32_t *)(top - PAINT_BYTES);
	while ((uint32_t)p < limit)
		*p++ = PAINT;
}

/* Bytes below top down to the lowest word written since the painting. */
__attribute__((noinline)) static uint32_t used_to(uint32_t top, uint32_t limit)
{
	volatile uint32_t *p = (volatile uint32_t *)(top - PAINT_BYTES);
	while ((uint32_t)p < limit && *p == PAINT)
		p++;
	return top - (uint32_t)p;
}

static void paint(uint32_t top)
{
	paint_to(top, top - 256u);
}

static uint32_t stack_used(uint32_t top)
{
	return used_to(top, top - 256u);
}

#ifndef TI_BASELINE
/*
 * The stack of each stage: run_classifier calls its clock before and after
 * each stage (DSP, network, anomaly). This clock records how deep the
 * stage that just ended went below main's frame (top) and paints the stack
 * again below its own frame.
 */
static uint32_t stage_top, stage_calls, stage_stack[3];

static uint32_t stack_clock(void)
{
	uint32_t limit = stack_pointer() - 256u;
	if (stage_calls % 2 == 1 && stage_calls / 2 < 3)
		stage_stack[stage_calls / 2] = used_to(stage_top, limit);
	stage_calls++;
	paint_to(stage_top, limit);
	return 0;
}
#endif

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
	/* a third run for the stack of each stage (its timings are not used) */
	ti_classifier_set_clock(stack_clock);
	stage_top = top;
	status |= run();
	iprintf("stack_dsp %lu\n", (unsigned long)stage_stack[0]);
	iprintf("stack_nn %lu\n", (unsigned long)stage_stack[1]);
	iprintf("stack_anomaly %lu\n", (unsigned long)stage_stack[2]);
	iprintf("status_stages %d\n", status);
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
