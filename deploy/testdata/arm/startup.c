/*
 * Minimal bare-metal start-up for QEMU's mps2-an386 (Cortex-M4F), used by
 * deploy's emulation tests: the vector table at address 0, a reset handler
 * that enables the FPU and enters newlib's _start (rdimon semihosting: it
 * clears .bss, runs constructors, calls main and exits through the host),
 * and a fault handler that ends the run with a failure status.
 */
#include <stdint.h>

extern uint32_t __StackTop;
extern void _start(void);
void ti_reset(void);
void ti_fault(void);

__attribute__((section(".vectors"), used)) const uintptr_t ti_vectors[16] = {
	(uintptr_t)&__StackTop,
	(uintptr_t)ti_reset,
	(uintptr_t)ti_fault, /* NMI */
	(uintptr_t)ti_fault, /* HardFault */
	(uintptr_t)ti_fault, /* MemManage */
	(uintptr_t)ti_fault, /* BusFault */
	(uintptr_t)ti_fault, /* UsageFault */
	0, 0, 0, 0,
	(uintptr_t)ti_fault, /* SVCall */
	(uintptr_t)ti_fault, /* DebugMonitor */
	0,
	(uintptr_t)ti_fault, /* PendSV */
	(uintptr_t)ti_fault, /* SysTick */
};

void ti_reset(void)
{
	/* CP10 and CP11 full access: the FPU must be on before any float
	 * instruction. */
	*(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
	__asm volatile("dsb\n\tisb" ::: "memory");
	_start();
	for (;;)
		;
}

/* Semihosting SYS_EXIT with ADP_Stopped_RunTimeErrorUnknown: QEMU exits
 * with status 1. */
void ti_fault(void)
{
	register uint32_t r0 __asm("r0") = 0x18;
	register uint32_t r1 __asm("r1") = 0x20023;
	__asm volatile("bkpt 0xab" : : "r"(r0), "r"(r1) : "memory");
	for (;;)
		;
}
