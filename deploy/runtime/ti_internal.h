/*
 * tinyimpulse C runtime: helpers shared by the processing blocks. Not part
 * of the public API.
 */
#ifndef TI_INTERNAL_H
#define TI_INTERNAL_H

#include "ti_dsp.h"

/* Values read from a signal per get_data call (on the stack). */
#define TI_CHUNK 64

/*
 * An arena hands out buffers aligned to 8 bytes, in order. With base NULL
 * it only counts: every block lays its buffers out with one function,
 * called once to size the arena and once to place them.
 */
typedef struct ti_arena {
	unsigned char *base;
	size_t used;
} ti_arena;

void *ti_take(ti_arena *a, size_t count, size_t elem);

/* Sums added the way numpy's add.reduce adds a contiguous array (pairwise,
 * eight partial sums per block of at most 128 values, buffers of 8192). The
 * value summed depends on mode: TI_SUM_PLAIN a[i]; TI_SUM_SQ (a[i]-mu)^2;
 * TI_SUM_CUBE ((a[i]-mu)^2)*(a[i]-mu); TI_SUM_QUAD ((a[i]-mu)^2)^2. */
enum { TI_SUM_PLAIN, TI_SUM_SQ, TI_SUM_CUBE, TI_SUM_QUAD };
float ti_sum_f32(const float *a, size_t n, float mu, int mode);
float ti_mean_f32(const float *a, size_t n);
float ti_rms_f32(const float *a, size_t n);
void ti_moments_f32(const float *a, size_t n, ti_real *skew, ti_real *kurt);
void ti_sort_f32(float *a, size_t n);

/* The same statistics of data Edge Impulse holds in float64 (in ti_real).
 * In the float build, ti_rms_r and ti_moments_r scale the data by a power
 * of two first when float32 would underflow or overflow. */
ti_real ti_rms_r(const ti_real *a, size_t n);
void ti_moments_r(const ti_real *a, size_t n, ti_real *skew, ti_real *kurt);
#if TI_DSP_DOUBLE
ti_real ti_sum_r(const ti_real *a, size_t n, ti_real mu, int mode);
ti_real ti_mean_r(const ti_real *a, size_t n);
void ti_sort_r(ti_real *a, size_t n);
#else
#define ti_sum_r ti_sum_f32
#define ti_mean_r ti_mean_f32
#define ti_sort_r ti_sort_f32
#endif

/* Powers of two for the float build's range scaling: 2^k, the exponent of
 * x, and the exponent of the largest |a[i]| when it lies outside
 * [2^-limit, 2^limit], else 0. */
float ti_pow2f(int k);
int ti_exponent(float x);
int ti_range_exponent(const float *a, size_t n, int limit);

/* Natural and decimal logarithms of a positive finite x, computed with +, -,
 * *, / only, so that every build rounds alike. */
ti_real ti_log(ti_real x);
#if !TI_DSP_DOUBLE
/* ln 2 in two parts (the first with trailing zero bits, so that k * it is
 * exact), and log(x) = k ln 2 + ti_log_split(x, &k), the second part of
 * magnitude below 0.35 and accurate to its own last bit. */
#define TI_LN2_HI 6.9313812256e-01f
#define TI_LN2_LO 9.0580006145e-06f
float ti_log_split(float x, int *k);
#endif
ti_real ti_log10(ti_real x);
ti_real ti_sqrt(ti_real x);

/* e^x (0 for -inf and below the smallest subnormal, +inf above the
 * largest finite result), computed with +, -, * only. */
ti_real ti_exp(ti_real x);

/* The real FFT of buf (n values, transformed in place): ti_fft_power
 * stores |X[k]|^2 * scale in pow[k], k = 0..n/2; ti_fft_coef stores X[k]
 * as (re, im) pairs in coef[2k], coef[2k+1]. */
void ti_fft_power(const ti_fft *f, ti_real *buf, ti_real *pow, ti_real scale);
void ti_fft_coef(const ti_fft *f, ti_real *buf, ti_real *coef);

/* Reading signals. ti_check_signal validates the signal against the
 * expected length. ti_read copies values [off, off+len) and checks that
 * they are finite. The strided readers copy count values at start,
 * start+stride, ... */
int ti_check_signal(const ti_signal *s, size_t want);
int ti_read(const ti_signal *s, size_t off, size_t len, ti_real *dst);
int ti_read_strided(const ti_signal *s, size_t start, size_t stride, size_t count, ti_real *dst);
int ti_read_strided_f32(const ti_signal *s, size_t start, size_t stride, size_t count, float *dst);

/* Chebyshev decimation by r (3 or 10) of x in place, returning the new
 * length; the filter starts from the steady state of a step of x[0]. */
size_t ti_decimate(ti_real *x, size_t n, int r);

/* Per-operator profiling: built with TI_PROFILE, the network runners call
 * ti_profile(k, 0) before and ti_profile(k, 1) after operator k, a
 * function the application provides (deploy's emulator harness reads a
 * timer there). */
#ifdef TI_PROFILE
void ti_profile(uint32_t op, int end);
#define TI_PROF(k, e) ti_profile((k), (e))
#else
#define TI_PROF(k, e) ((void)0)
#endif

#endif
