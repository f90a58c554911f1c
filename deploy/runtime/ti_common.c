/*
 * tinyimpulse C runtime: arena, sums and statistics, logarithm, FFT,
 * signal reading and decimation shared by the processing blocks.
 */
#include <math.h>
#include <string.h>

#include "ti_internal.h"

void *ti_take(ti_arena *a, size_t count, size_t elem)
{
	size_t off = (a->used + 7u) & ~(size_t)7u;
	a->used = off + count * elem;
	return a->base ? a->base + off : NULL;
}

/* 2^k as a float, -126 <= k <= 127. */
float ti_pow2f(int k)
{
	union {
		float f;
		uint32_t u;
	} v;
	v.u = (uint32_t)(k + 127) << 23;
	return v.f;
}

/* The binary exponent of a positive float (-127 for subnormals). */
int ti_exponent(float x)
{
	union {
		float f;
		uint32_t u;
	} v;
	v.f = x;
	return (int)((v.u >> 23) & 0xff) - 127;
}

/* The exponent k of the largest magnitude in a (so that a/2^k is about
 * 1) when it lies outside [2^-limit, 2^limit], else 0. */
int ti_range_exponent(const float *a, size_t n, int limit)
{
	float m = 0;
	size_t i;
	int k;
	for (i = 0; i < n; i++) {
		float v = a[i] < 0 ? -a[i] : a[i];
		if (v > m)
			m = v;
	}
	if (m == 0)
		return 0;
	k = ti_exponent(m);
	if (k >= -limit && k <= limit)
		return 0;
	return k < -126 ? -126 : k > 126 ? 126 : k;
}

/* ---- pairwise sums ------------------------------------------------------ */

/* The summed value of element i (see TI_SUM_*). */
#define TI_ELEM(T, a, i, mu, mode, out)            \
	do {                                         \
		T d_ = (a)[i] * sc;                      \
		if ((mode) != TI_SUM_PLAIN) {            \
			d_ = d_ - (mu);                      \
			T s_ = d_ * d_;                      \
			if ((mode) == TI_SUM_SQ)             \
				d_ = s_;                         \
			else if ((mode) == TI_SUM_CUBE)      \
				d_ = s_ * d_;                    \
			else                                 \
				d_ = s_ * s_;                    \
		}                                        \
		(out) = d_;                              \
	} while (0)

#define TI_PAIRWISE(T, NAME)                                                          \
	static T NAME##_block(const T *a, size_t n, T mu, int mode, T sc)                \
	{                                                                                \
		T s = 0, v;                                                                  \
		size_t i, j;                                                                 \
		if (n < 8) {                                                                 \
			for (i = 0; i < n; i++) {                                                \
				TI_ELEM(T, a, i, mu, mode, v);                                       \
				s += v;                                                              \
			}                                                                        \
			return s;                                                                \
		}                                                                            \
		if (n <= 128) {                                                              \
			T r[8];                                                                  \
			for (j = 0; j < 8; j++)                                                  \
				TI_ELEM(T, a, j, mu, mode, r[j]);                                    \
			for (i = 8; i < n - n % 8; i += 8) {                                     \
				for (j = 0; j < 8; j++) {                                            \
					TI_ELEM(T, a, i + j, mu, mode, v);                               \
					r[j] += v;                                                       \
				}                                                                    \
			}                                                                        \
			s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7])); \
			for (; i < n; i++) {                                                     \
				TI_ELEM(T, a, i, mu, mode, v);                                       \
				s += v;                                                              \
			}                                                                        \
			return s;                                                                \
		}                                                                            \
		j = n / 2;                                                                   \
		j -= j % 8;                                                                  \
		return NAME##_block(a, j, mu, mode, sc) + NAME##_block(a + j, n - j, mu, mode, sc); \
	}                                                                                \
	static T NAME##_scaled(const T *a, size_t n, T mu, int mode, T sc)               \
	{                                                                                \
		T s = 0;                                                                     \
		if (n <= 8192)                                                               \
			return NAME##_block(a, n, mu, mode, sc);                                 \
		while (n > 0) {                                                              \
			size_t k = n < 8192 ? n : 8192;                                          \
			s += NAME##_block(a, k, mu, mode, sc);                                   \
			a += k;                                                                  \
			n -= k;                                                                  \
		}                                                                            \
		return s;                                                                    \
	}                                                                                \
	T NAME(const T *a, size_t n, T mu, int mode)                                     \
	{                                                                                \
		return NAME##_scaled(a, n, mu, mode, 1);                                     \
	}

TI_PAIRWISE(float, ti_sum_f32)
#if TI_DSP_DOUBLE
TI_PAIRWISE(double, ti_sum_r)
#endif

/* numpy's mean: the pairwise sum divided by the count. (For float32 a
 * float32 division gives the same result as numpy's float64 division
 * rounded to float32, for counts below 2^24.) */
float ti_mean_f32(const float *a, size_t n)
{
	return ti_sum_f32(a, n, 0, TI_SUM_PLAIN) / (float)n;
}

float ti_rms_f32(const float *a, size_t n)
{
	return sqrtf(ti_sum_f32(a, n, 0, TI_SUM_SQ) / (float)n);
}

#if TI_DSP_DOUBLE
ti_real ti_mean_r(const ti_real *a, size_t n)
{
	return ti_sum_r(a, n, 0, TI_SUM_PLAIN) / (ti_real)n;
}

ti_real ti_rms_r(const ti_real *a, size_t n)
{
	return sqrt(ti_sum_r(a, n, 0, TI_SUM_SQ) / (ti_real)n);
}

void ti_moments_r(const ti_real *a, size_t n, ti_real *skew, ti_real *kurt)
{
	ti_real mu = ti_mean_r(a, n);
	ti_real m2 = ti_sum_r(a, n, mu, TI_SUM_SQ) / (ti_real)n;
	ti_real m3 = ti_sum_r(a, n, mu, TI_SUM_CUBE) / (ti_real)n;
	ti_real m4 = ti_sum_r(a, n, mu, TI_SUM_QUAD) / (ti_real)n;
	ti_real thr = 1e-15 * mu;
	if (m2 <= thr * thr) {
		*skew = 0;
		*kurt = -3;
		return;
	}
	*skew = m3 / (m2 * sqrt(m2));
	*kurt = m4 / (m2 * m2) - 3;
}
#endif

/*
 * scipy's skew and Fisher kurtosis with numpy's float32 arithmetic: the
 * data (times sc, a power of two) in float32, the zero-variance guard at
 * float32 resolution. The reference divides in float64; the float build
 * divides in float32, with m2 scaled to about 1 by a power of two where
 * float32 would underflow or overflow.
 */
static void ti_moments_core(const float *a, size_t n, float sc, ti_real *skew, ti_real *kurt)
{
	float mu = ti_sum_f32_scaled(a, n, 0, TI_SUM_PLAIN, sc) / (float)n;
	float m2 = ti_sum_f32_scaled(a, n, mu, TI_SUM_SQ, sc) / (float)n;
	float m3 = ti_sum_f32_scaled(a, n, mu, TI_SUM_CUBE, sc) / (float)n;
	float m4 = ti_sum_f32_scaled(a, n, mu, TI_SUM_QUAD, sc) / (float)n;
	float thr = 1e-6f * mu;
	if (m2 <= thr * thr) {
		*skew = 0;
		*kurt = -3;
		return;
	}
#if TI_DSP_DOUBLE
	{
		double v = m2;
		*skew = (double)m3 / (v * sqrt(v));
		*kurt = (double)m4 / (v * v) - 3;
	}
#else
	{
		int k = ti_exponent(m2);
		float v = m2;
		if (k < -60 || k > 60) {
			float p = ti_pow2f(-k / 2), p2 = p * p;
			if (k < -126) { /* subnormal m2: scale in two steps */
				float q = ti_pow2f(32);
				v = m2 * q * q;
				m3 = m3 * q * q * q;
				m4 = m4 * q * q * q * q;
				k = ti_exponent(v);
				p = ti_pow2f(-k / 2);
				p2 = p * p;
			}
			v = v * p2;
			m3 = m3 * p2 * p;
			m4 = m4 * p2 * p2;
		}
		*skew = m3 / (v * sqrtf(v));
		*kurt = m4 / (v * v) - 3;
	}
#endif
}

void ti_moments_f32(const float *a, size_t n, ti_real *skew, ti_real *kurt)
{
	ti_moments_core(a, n, 1, skew, kurt);
}

#if !TI_DSP_DOUBLE
/* Statistics of data the reference holds in float64: scaled by a power of
 * two to a largest magnitude about 1 first (exact), so that squares and
 * fourth powers neither underflow nor overflow. */
void ti_moments_r(const ti_real *a, size_t n, ti_real *skew, ti_real *kurt)
{
	ti_moments_core(a, n, ti_pow2f(-ti_range_exponent(a, n, 0)), skew, kurt);
}

ti_real ti_rms_r(const ti_real *a, size_t n)
{
	int k = ti_range_exponent(a, n, 0);
	return sqrtf(ti_sum_f32_scaled(a, n, 0, TI_SUM_SQ, ti_pow2f(-k)) / (float)n) * ti_pow2f(k);
}
#endif

/* ---- sorting (heapsort, ascending) -------------------------------------- */

#define TI_HEAPSORT(T, NAME)                                         \
	static void NAME##_sift(T *a, size_t root, size_t n)            \
	{                                                               \
		for (;;) {                                                  \
			size_t c = 2 * root + 1;                                \
			T t;                                                    \
			if (c >= n)                                             \
				return;                                             \
			if (c + 1 < n && a[c] < a[c + 1])                       \
				c++;                                                \
			if (!(a[root] < a[c]))                                  \
				return;                                             \
			t = a[root];                                            \
			a[root] = a[c];                                         \
			a[c] = t;                                               \
			root = c;                                               \
		}                                                           \
	}                                                               \
	void NAME(T *a, size_t n)                                       \
	{                                                               \
		size_t i;                                                   \
		if (n < 2)                                                  \
			return;                                                 \
		for (i = n / 2; i-- > 0;)                                   \
			NAME##_sift(a, i, n);                                   \
		for (i = n - 1; i > 0; i--) {                               \
			T t = a[0];                                             \
			a[0] = a[i];                                            \
			a[i] = t;                                               \
			NAME##_sift(a, 0, i);                                   \
		}                                                           \
	}

TI_HEAPSORT(float, ti_sort_f32)
#if TI_DSP_DOUBLE
TI_HEAPSORT(double, ti_sort_r)
#endif

/* ---- logarithm ------------------------------------------------------------ */

/*
 * log(x) = k*ln2 + log(m), m = x/2^k in [sqrt(1/2), sqrt(2)), with
 * log(m) = 2*atanh(s), s = (m-1)/(m+1), |s| <= 0.1716, summed as the
 * series 2s(1 + s^2/3 + s^4/5 + ...) to below the last bit.
 */
#if TI_DSP_DOUBLE
ti_real ti_log(ti_real x)
{
	union {
		double d;
		uint64_t u;
	} v;
	int k;
	double m, f, s, z, p;
	v.d = x;
	k = 0;
	if ((v.u >> 52) == 0) { /* subnormal */
		v.d = x * 18014398509481984.0; /* 2^54 */
		k = -54;
	}
	k += (int)(v.u >> 52) - 1023;
	v.u = (v.u & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;
	m = v.d;
	if (m > 1.4142135623730951) {
		m *= 0.5;
		k++;
	}
	f = m - 1;
	s = f / (2 + f);
	z = s * s;
	p = 1.0 / 25;
	p = 1.0 / 23 + z * p;
	p = 1.0 / 21 + z * p;
	p = 1.0 / 19 + z * p;
	p = 1.0 / 17 + z * p;
	p = 1.0 / 15 + z * p;
	p = 1.0 / 13 + z * p;
	p = 1.0 / 11 + z * p;
	p = 1.0 / 9 + z * p;
	p = 1.0 / 7 + z * p;
	p = 1.0 / 5 + z * p;
	p = 1.0 / 3 + z * p;
	/* 2s(1 + z p) = f - (f - 2s) + 2s z p; f - 2s = s f exactly in real arithmetic. */
	return (double)k * 6.93147180369123816490e-01 + (f - (s * f - (2 * s * z * p + (double)k * 1.90821492927058770002e-10)));
}
#else
float ti_log_split(float x, int *exp)
{
	union {
		float f;
		uint32_t u;
	} v;
	int k;
	float m, f, s, z, p;
	v.f = x;
	k = 0;
	if ((v.u >> 23) == 0) { /* subnormal */
		v.f = x * 16777216.0f; /* 2^24 */
		k = -24;
	}
	k += (int)(v.u >> 23) - 127;
	v.u = (v.u & 0x007fffffu) | 0x3f800000u;
	m = v.f;
	if (m > 1.41421356f) {
		m *= 0.5f;
		k++;
	}
	f = m - 1;
	s = f / (2 + f);
	z = s * s;
	p = 1.0f / 13;
	p = 1.0f / 11 + z * p;
	p = 1.0f / 9 + z * p;
	p = 1.0f / 7 + z * p;
	p = 1.0f / 5 + z * p;
	p = 1.0f / 3 + z * p;
	*exp = k;
	return f - (s * f - 2 * s * z * p);
}

ti_real ti_log(ti_real x)
{
	int k;
	float l = ti_log_split(x, &k);
	return (float)k * TI_LN2_HI + (l + (float)k * TI_LN2_LO);
}
#endif

/*
 * e^x = 2^k e^r, k = round(x / ln 2), r = x - k ln 2 (in two parts), |r| <=
 * 0.35, e^r by its Taylor series to below the last bit, 2^k applied through
 * the exponent bits.
 */
#if TI_DSP_DOUBLE
ti_real ti_exp(ti_real x)
{
	union {
		double d;
		uint64_t u;
	} s;
	double r, p;
	int k;
	if (x != x)
		return x;
	if (x > 709.782712893384)
		return x * 1e308 * 10; /* +inf */
	if (x < -745.2)
		return 0;
	k = (int)(x * 1.4426950408889634074 + (x < 0 ? -0.5 : 0.5));
	r = (x - (double)k * 6.93147180369123816490e-01) - (double)k * 1.90821492927058770002e-10;
	p = 1.0 / 6227020800; /* 1/13! */
	p = 1.0 / 479001600 + r * p;
	p = 1.0 / 39916800 + r * p;
	p = 1.0 / 3628800 + r * p;
	p = 1.0 / 362880 + r * p;
	p = 1.0 / 40320 + r * p;
	p = 1.0 / 5040 + r * p;
	p = 1.0 / 720 + r * p;
	p = 1.0 / 120 + r * p;
	p = 1.0 / 24 + r * p;
	p = 1.0 / 6 + r * p;
	p = 0.5 + r * p;
	p = 1 + r * (1 + r * p);
	if (k < -1021) {
		p *= 5.551115123125783e-17; /* 2^-54 */
		k += 54;
	} else if (k > 1023) {
		p *= 2;
		k--;
	}
	s.u = (uint64_t)(k + 1023) << 52;
	return p * s.d;
}
#else
ti_real ti_exp(ti_real x)
{
	float r, p;
	int k;
	if (x != x)
		return x;
	if (x > 88.72283f)
		return x * 1e38f * 10; /* +inf */
	if (x < -103.98f)
		return 0;
	k = (int)(x * 1.44269504f + (x < 0 ? -0.5f : 0.5f));
	r = (x - (float)k * 6.9313812256e-01f) - (float)k * 9.0580006145e-06f;
	p = 1.0f / 5040;
	p = 1.0f / 720 + r * p;
	p = 1.0f / 120 + r * p;
	p = 1.0f / 24 + r * p;
	p = 1.0f / 6 + r * p;
	p = 0.5f + r * p;
	p = 1 + r * (1 + r * p);
	if (k < -125) {
		p *= 5.9604644775390625e-08f; /* 2^-24 */
		k += 24;
	} else if (k > 127) {
		p *= 2;
		k--;
	}
	return p * ti_pow2f(k);
}
#endif

ti_real ti_log10(ti_real x)
{
	return ti_log(x) * (ti_real)0.43429448190325182765;
}

ti_real ti_sqrt(ti_real x)
{
#if TI_DSP_DOUBLE
	return sqrt(x);
#else
	return sqrtf(x);
#endif
}

/* ---- FFT ------------------------------------------------------------------ */

/*
 * The n real values are packed as n/2 complex values z[k] = x[2k] + i x[2k+1]
 * (buf's own layout), transformed by an in-place radix-2 decimation-in-time
 * FFT of length m = n/2 with twiddles w_m^j = tw[2j], and untangled into
 * the real transform: X[k] = E[k] + w_n^k O[k] with E, O the transforms of
 * the even and odd samples.
 */
static void ti_cfft(const ti_fft *f, ti_real *z)
{
	uint32_t m = f->n / 2, i, j, len;
	const ti_real *tw = f->tw;
	/* bit reversal */
	for (i = 1, j = 0; i < m; i++) {
		uint32_t bit = m >> 1;
		for (; j & bit; bit >>= 1)
			j ^= bit;
		j ^= bit;
		if (i < j) {
			ti_real tr = z[2 * i], ti = z[2 * i + 1];
			z[2 * i] = z[2 * j];
			z[2 * i + 1] = z[2 * j + 1];
			z[2 * j] = tr;
			z[2 * j + 1] = ti;
		}
	}
	for (len = 2; len <= m; len <<= 1) {
		uint32_t half = len / 2, step = 2 * (m / len), k;
		for (k = 0; k < half; k++) {
			ti_real wr = tw[2 * (k * step)], wi = tw[2 * (k * step) + 1];
			for (i = k; i < m; i += len) {
				ti_real *a = z + 2 * i, *b = z + 2 * (i + half);
				ti_real br = b[0] * wr - b[1] * wi;
				ti_real bi = b[0] * wi + b[1] * wr;
				ti_real ar = a[0], ai = a[1];
				a[0] = ar + br;
				a[1] = ai + bi;
				b[0] = ar - br;
				b[1] = ai - bi;
			}
		}
	}
}

/* X[k] for 1 <= k < m from z[k] and z[m-k]. */
static void ti_untangle(const ti_fft *f, const ti_real *z, uint32_t k, ti_real *xr, ti_real *xi)
{
	uint32_t m = f->n / 2;
	ti_real zr = z[2 * k], zi = z[2 * k + 1];
	ti_real wr = z[2 * (m - k)], wi = z[2 * (m - k) + 1];
	ti_real er = (zr + wr) * (ti_real)0.5, ei = (zi - wi) * (ti_real)0.5;
	ti_real or_ = (zi + wi) * (ti_real)0.5, oi = (wr - zr) * (ti_real)0.5;
	ti_real tr = f->tw[2 * k], ti = f->tw[2 * k + 1];
	*xr = er + (tr * or_ - ti * oi);
	*xi = ei + (tr * oi + ti * or_);
}

void ti_fft_power(const ti_fft *f, ti_real *buf, ti_real *pow, ti_real scale)
{
	uint32_t m = f->n / 2, k;
	if (f->n == 1) {
		pow[0] = buf[0] * buf[0] * scale;
		return;
	}
	ti_cfft(f, buf);
	{
		ti_real d0 = buf[0] + buf[1], dm = buf[0] - buf[1];
		pow[0] = d0 * d0 * scale;
		pow[m] = dm * dm * scale;
	}
	for (k = 1; k < m; k++) {
		ti_real xr, xi;
		ti_untangle(f, buf, k, &xr, &xi);
		pow[k] = (xr * xr + xi * xi) * scale;
	}
}

void ti_fft_coef(const ti_fft *f, ti_real *buf, ti_real *coef)
{
	uint32_t m = f->n / 2, k;
	if (f->n == 1) {
		coef[0] = buf[0];
		coef[1] = 0;
		return;
	}
	ti_cfft(f, buf);
	coef[0] = buf[0] + buf[1];
	coef[1] = 0;
	coef[2 * m] = buf[0] - buf[1];
	coef[2 * m + 1] = 0;
	for (k = 1; k < m; k++)
		ti_untangle(f, buf, k, &coef[2 * k], &coef[2 * k + 1]);
}

/* ---- signals ---------------------------------------------------------------- */

int ti_check_signal(const ti_signal *s, size_t want)
{
	if (s == NULL || s->get_data == NULL)
		return TI_ERR_NULL;
	if (s->total_length != want)
		return TI_ERR_LENGTH;
	return TI_OK;
}

int ti_read(const ti_signal *s, size_t off, size_t len, ti_real *dst)
{
	size_t i;
	if (len == 0)
		return TI_OK;
	if (s->get_data(off, len, dst, s->ctx) != 0)
		return TI_ERR_SIGNAL;
	for (i = 0; i < len; i++) {
		ti_real v = dst[i];
		if (!(v - v == 0)) /* NaN or infinite */
			return TI_ERR_INPUT;
	}
	return TI_OK;
}

/* Reads rows [row, row+rows) of a signal of stride values per row into
 * chunk and returns the number of rows read, or a negative error. */
static int ti_read_rows(const ti_signal *s, size_t row, size_t stride, size_t rows_left, ti_real *chunk, size_t *rows)
{
	size_t r = TI_CHUNK / stride;
	if (r > rows_left)
		r = rows_left;
	*rows = r;
	return ti_read(s, row * stride, r * stride, chunk);
}

int ti_read_strided(const ti_signal *s, size_t start, size_t stride, size_t count, ti_real *dst)
{
	ti_real chunk[TI_CHUNK];
	size_t i = 0, r, rows;
	int err;
	if (stride > TI_CHUNK) {
		for (i = 0; i < count; i++)
			if ((err = ti_read(s, i * stride + start, 1, &dst[i])) != TI_OK)
				return err;
		return TI_OK;
	}
	while (i < count) {
		if ((err = ti_read_rows(s, i, stride, count - i, chunk, &rows)) != TI_OK)
			return err;
		for (r = 0; r < rows; r++)
			dst[i + r] = chunk[r * stride + start];
		i += rows;
	}
	return TI_OK;
}

int ti_read_strided_f32(const ti_signal *s, size_t start, size_t stride, size_t count, float *dst)
{
	ti_real chunk[TI_CHUNK];
	size_t i = 0, r, rows;
	int err;
	if (stride > TI_CHUNK) {
		for (i = 0; i < count; i++) {
			ti_real v;
			if ((err = ti_read(s, i * stride + start, 1, &v)) != TI_OK)
				return err;
			dst[i] = (float)v;
		}
		return TI_OK;
	}
	while (i < count) {
		if ((err = ti_read_rows(s, i, stride, count - i, chunk, &rows)) != TI_OK)
			return err;
		for (r = 0; r < rows; r++)
			dst[i + r] = (float)chunk[r * stride + start];
		i += rows;
	}
	return TI_OK;
}

/* ---- decimation -------------------------------------------------------------- */

/* Chebyshev type I, order 8, 0.05 dB ripple, cutoff 0.8/r, as second-order
 * sections b0 b1 b2 a1 a2 and their steady-state initial conditions per unit
 * step (scipy's cheby1 and sosfilt_zi; spec section 4.7). */
static const ti_real ti_decim3[4][5] = {
	{3.4799547399085014e-05, 6.959909479817003e-05, 3.4799547399085014e-05, -1.416907422639627, 0.5204552955670066},
	{1, 2, 1, -1.3342748248687593, 0.594631953081447},
	{1, 2, 1, -1.237675162600336, 0.7259326611233619},
	{1, 2, 1, -1.2180861262950022, 0.8987833581253264},
};
static const ti_real ti_decim3_zi[4][2] = {
	{0.0013094887094341847, -0.0006648423946383305},
	{0.019308701212847924, -0.010936639208493816},
	{0.1485445305451166, -0.10217301649013424},
	{0.8250625539381591, -0.7244268881025763},
};
static const ti_real ti_decim10[4][5] = {
	{3.5863243209995207e-09, 7.172648641999041e-09, 3.5863243209995207e-09, -1.8204968644767618, 0.8308597403796137},
	{1, 2, 1, -1.8289505620176847, 0.8553173710387741},
	{1, 2, 1, -1.8517334482627625, 0.9015161055713813},
	{1, 2, 1, -1.8965395961864169, 0.9644245584642932},
};
static const ti_real ti_decim10_zi[4][2] = {
	{1.3807106042999696e-06, -1.1465702624013156e-06},
	{0.0002086216886290153, -0.00017823747054094327},
	{0.01666382091811615, -0.01500202073072795},
	{0.9773862470492866, -0.9420150059170855},
};

size_t ti_decimate(ti_real *x, size_t n, int r)
{
	const ti_real(*c)[5] = r == 3 ? ti_decim3 : ti_decim10;
	const ti_real(*zi)[2] = r == 3 ? ti_decim3_zi : ti_decim10_zi;
	ti_real z[4][2];
	size_t i, out;
	int j;
	if (n == 0)
		return 0;
	for (j = 0; j < 4; j++) {
		z[j][0] = zi[j][0] * x[0];
		z[j][1] = zi[j][1] * x[0];
	}
	for (i = 0; i < n; i++) {
		ti_real v = x[i];
		for (j = 0; j < 4; j++) {
			ti_real y = c[j][0] * v + z[j][0];
			z[j][0] = c[j][1] * v - c[j][3] * y + z[j][1];
			z[j][1] = c[j][2] * v - c[j][4] * y;
			v = y;
		}
		x[i] = v;
	}
	for (i = 0, out = 0; i < n; i += (size_t)r)
		x[out++] = x[i];
	return out;
}
