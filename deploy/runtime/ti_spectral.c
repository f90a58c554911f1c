/*
 * tinyimpulse C runtime: the spectral analysis block (versions 1-4: FFT
 * features with Butterworth filters, input decimation and extra-low-frequency
 * features; wavelet features; version 1's peaks and band powers).
 */
#include "ti_internal.h"

typedef struct ti_spectral_bufs {
	float *x32;
	ti_real *xw;
	/* FFT and version 1 */
	ti_real *fbuf, *pow, *pmax, *coef, *d;
	uint16_t *cand;
	float *sel;
	/* wavelet: per level an approximation and a detail array, then the
	 * sorted copy; float32 without decimation, ti_real after it */
	void *wa[2 * 24];
	void *sorted;
} ti_spectral_bufs;

static void ti_spectral_layout(const ti_spectral_config *c, ti_arena *a, ti_spectral_bufs *b)
{
	uint32_t n = c->fft.n, h = n / 2 + 1;
	b->x32 = ti_take(a, c->samples, sizeof(float));
	b->xw = NULL;
	if (c->n_stages > 0 || c->low_freq)
		b->xw = ti_take(a, c->samples, sizeof(ti_real));
	switch (c->analysis) {
	case TI_SPECTRAL_FFT:
		b->fbuf = ti_take(a, n, sizeof(ti_real));
		b->pow = ti_take(a, h, sizeof(ti_real));
		b->pmax = ti_take(a, h, sizeof(ti_real));
		break;
	case TI_SPECTRAL_WAVELET: {
		size_t elem = c->n_stages > 0 ? sizeof(ti_real) : sizeof(float);
		uint32_t l;
		for (l = 1; l <= c->wavelet_level; l++) {
			b->wa[2 * (l - 1)] = ti_take(a, c->wavelet_lens[l], elem);
			b->wa[2 * (l - 1) + 1] = ti_take(a, c->wavelet_lens[l], elem);
		}
		b->sorted = ti_take(a, c->wavelet_lens[c->wavelet_level > 0 ? 1 : 0], elem);
		break;
	}
	case TI_SPECTRAL_V1:
		b->fbuf = ti_take(a, n, sizeof(ti_real));
		b->coef = ti_take(a, n + 2, sizeof(ti_real));
		b->pow = ti_take(a, h, sizeof(ti_real));
		b->d = ti_take(a, n / 2, sizeof(ti_real));
		b->cand = ti_take(a, n / 2, sizeof(uint16_t));
		b->sel = ti_take(a, h, sizeof(float));
		break;
	}
}

size_t ti_spectral_arena_size(const ti_spectral_config *cfg)
{
	ti_arena a = {NULL, 0};
	ti_spectral_bufs b;
	ti_spectral_layout(cfg, &a, &b);
	return a.used;
}

/* Butterworth sections in float32, every product and sum rounded. */
static void ti_filter32(const ti_spectral_config *c, float *x, uint32_t n)
{
	float z[8][2];
	uint32_t i, j;
	for (j = 0; j < c->n_sos; j++)
		z[j][0] = z[j][1] = 0;
	for (i = 0; i < n; i++) {
		float v = x[i];
		for (j = 0; j < c->n_sos; j++) {
			const float *s = c->sos + 5 * j;
			float y = s[0] * v + z[j][0];
			z[j][0] = s[1] * v - s[3] * y + z[j][1];
			z[j][1] = s[2] * v - s[4] * y;
			v = y;
		}
		x[i] = v;
	}
}

/* The same sections in ti_real arithmetic (after decimation). */
static void ti_filter_wide(const ti_spectral_config *c, ti_real *x, uint32_t n)
{
	ti_real z[8][2];
	uint32_t i, j;
	for (j = 0; j < c->n_sos; j++)
		z[j][0] = z[j][1] = 0;
	for (i = 0; i < n; i++) {
		ti_real v = x[i];
		for (j = 0; j < c->n_sos; j++) {
			const float *s = c->sos + 5 * j;
			ti_real y = (ti_real)s[0] * v + z[j][0];
			z[j][0] = (ti_real)s[1] * v - (ti_real)s[3] * y + z[j][1];
			z[j][1] = (ti_real)s[2] * v - (ti_real)s[4] * y;
			v = y;
		}
		x[i] = v;
	}
}

/* The max-hold power spectrum of x (x32 or xw, len values) over FFT
 * segments hop apart, then optionally its skewness and kurtosis, then the
 * bins [start, stop), in log10 with do_log. Returns the new output end.
 * The float build scales x by a power of two when float32 powers would
 * underflow or overflow, and takes the scale out of the results. */
static ti_real *ti_spectrum(const ti_spectral_config *c, ti_spectral_bufs *b, const float *x32, const ti_real *xw,
			    uint32_t len, uint32_t start, uint32_t stop, int stats, ti_real *out)
{
	uint32_t n = c->fft.n, h = n / 2 + 1, s, k;
	ti_real sc = 1;
	int e = 0;
#if !TI_DSP_DOUBLE
	e = ti_range_exponent(x32 ? x32 : xw, len, 40);
	sc = ti_pow2f(-e);
#endif
	for (s = 0; s <= len; s += c->hop) {
		uint32_t m = len - s < n ? len - s : n;
		for (k = 0; k < m; k++)
			b->fbuf[k] = (x32 ? (ti_real)x32[s + k] : xw[s + k]) * sc;
		for (; k < n; k++)
			b->fbuf[k] = 0;
		ti_fft_power(&c->fft, b->fbuf, s == 0 ? b->pmax : b->pow, (ti_real)1 / (ti_real)n);
		if (s > 0)
			for (k = 0; k < h; k++)
				if (b->pow[k] > b->pmax[k])
					b->pmax[k] = b->pow[k];
	}
	if (stats) {
		ti_real skew, kurt;
		ti_moments_r(b->pmax, h, &skew, &kurt);
		*out++ = skew;
		*out++ = kurt;
	}
	for (k = start; k < stop; k++) {
		ti_real v = b->pmax[k];
		if (c->do_log) {
			if (v == 0)
				v = -10; /* log10 of 1e-10, Edge Impulse's stand-in for 0 */
			else
				v = ti_log10(v) + (ti_real)(2 * e) * (ti_real)0.30102999566398119521;
		} else if (e != 0) {
			v = v * ti_pow2f(e) * ti_pow2f(e);
		}
		*out++ = v;
	}
	return out;
}

/* ---- wavelet features ---- */

/* Defines the wavelet statistics over element type T with the matching
 * sum, mean, rms, moments and sort helpers. */
#define TI_WAVELET(T, SFX, SUM, MEAN, RMS, MOMENTS, SORT)                                          \
	static ti_real ti_entropy_##SFX(const T *c, uint32_t m)                                       \
	{                                                                                             \
		uint32_t counts[100], i, k;                                                               \
		T first = c[0], last = c[0], edges[101], denom;                                           \
		double step;                                                                              \
		ti_real h = 0;                                                                            \
		for (i = 0; i < m; i++) {                                                                 \
			if (c[i] < first)                                                                     \
				first = c[i];                                                                     \
			if (c[i] > last)                                                                      \
				last = c[i];                                                                      \
		}                                                                                         \
		if (first == last)                                                                        \
			return 0;                                                                             \
		/* numpy's bin edges: linspace in float64, rounded to T */                                \
		step = ((double)last - (double)first) / 100;                                              \
		for (k = 0; k < 100; k++)                                                                 \
			edges[k] = (T)((double)k * step + (double)first);                                    \
		edges[100] = last;                                                                        \
		denom = last - first;                                                                     \
		for (k = 0; k < 100; k++)                                                                 \
			counts[k] = 0;                                                                        \
		for (i = 0; i < m; i++) {                                                                 \
			T v = c[i];                                                                           \
			int j = (int)(((v - first) / denom) * 100);                                           \
			if (j >= 100)                                                                         \
				j = 99;                                                                           \
			if (v < edges[j])                                                                     \
				j--;                                                                              \
			if (j != 99 && v >= edges[j + 1])                                                     \
				j++;                                                                              \
			counts[j]++;                                                                          \
		}                                                                                         \
		for (k = 0; k < 100; k++) {                                                               \
			if (counts[k] > 0) {                                                                  \
				ti_real p = (ti_real)counts[k] / (ti_real)m;                                      \
				h -= p * ti_log(p);                                                               \
			}                                                                                     \
		}                                                                                         \
		return h;                                                                                 \
	}                                                                                             \
	static ti_real *ti_coef_stats_##SFX(const T *c, uint32_t m, T *s, ti_real *out)              \
	{                                                                                             \
		static const uint32_t q[5] = {5, 25, 75, 95, 50};                                         \
		uint32_t t, zc = 0, mc = 0;                                                               \
		T mu, ss, std, var, r;                                                                    \
		*out++ = ti_entropy_##SFX(c, m);                                                          \
		mu = MEAN(c, m);                                                                          \
		for (t = 0; t + 1 < m; t++) {                                                             \
			if ((c[t] > 0) != (c[t + 1] > 0))                                                     \
				zc++;                                                                             \
			if ((c[t] > mu) != (c[t + 1] > mu))                                                   \
				mc++;                                                                             \
		}                                                                                         \
		*out++ = (ti_real)zc / (ti_real)m;                                                        \
		*out++ = (ti_real)mc / (ti_real)m;                                                        \
		for (t = 0; t < m; t++)                                                                   \
			s[t] = c[t];                                                                          \
		SORT(s, m);                                                                               \
		for (t = 0; t < 5; t++)                                                                   \
			*out++ = (ti_real)s[((m - 1) * q[t] + 50) / 100];                                    \
		mu = MEAN(s, m);                                                                          \
		ss = SUM(s, m, mu, TI_SUM_SQ);                                                            \
		std = (T)ti_sqrt((ti_real)(ss / (T)m));                                                   \
		var = ss / (T)(m - 1);                                                                    \
		r = RMS(s, m);                                                                            \
		*out++ = (ti_real)mu;                                                                     \
		*out++ = (ti_real)std;                                                                    \
		*out++ = (ti_real)var;                                                                    \
		*out++ = (ti_real)r;                                                                      \
		if (r == 0) {                                                                             \
			*out++ = 0;                                                                           \
			*out++ = 0;                                                                           \
		} else {                                                                                  \
			MOMENTS(s, m, out, out + 1);                                                          \
			out += 2;                                                                             \
		}                                                                                         \
		return out;                                                                               \
	}                                                                                             \
	/* one level of the DWT with half-sample symmetric extension */                               \
	static void ti_dwt_##SFX(T *ca, T *cd, uint32_t outs, const T *a, uint32_t m, const T *lo,   \
				 const T *hi, uint32_t f)                                                         \
	{                                                                                             \
		uint32_t o, j;                                                                            \
		int32_t period = 2 * (int32_t)m;                                                          \
		for (o = 0; o < outs; o++) {                                                              \
			T sa = 0, sd = 0;                                                                     \
			for (j = 0; j < f; j++) {                                                             \
				int32_t u = (2 * (int32_t)o + 1 - (int32_t)j) % period;                           \
				T v;                                                                              \
				if (u < 0)                                                                        \
					u += period;                                                                  \
				if (u >= (int32_t)m)                                                              \
					u = period - 1 - u;                                                           \
				v = a[u];                                                                         \
				sa += lo[j] * v;                                                                  \
				sd += hi[j] * v;                                                                  \
			}                                                                                     \
			ca[o] = sa;                                                                           \
			cd[o] = sd;                                                                           \
		}                                                                                         \
	}                                                                                             \
	static ti_real *ti_wavelet_##SFX(const ti_spectral_config *c, ti_spectral_bufs *b, const T *x, \
					 const T *lo, const T *hi, ti_real *out)                                      \
	{                                                                                             \
		const T *a = x;                                                                           \
		uint32_t l, L = c->wavelet_level;                                                         \
		for (l = 1; l <= L; l++) {                                                                \
			T *ca = b->wa[2 * (l - 1)], *cd = b->wa[2 * (l - 1) + 1];                            \
			ti_dwt_##SFX(ca, cd, c->wavelet_lens[l], a, c->wavelet_lens[l - 1], lo, hi,          \
				     c->wavelet_len);                                                             \
			a = ca;                                                                               \
		}                                                                                         \
		out = ti_coef_stats_##SFX(a, c->wavelet_lens[L], b->sorted, out);                         \
		for (l = L; l >= 1; l--)                                                                  \
			out = ti_coef_stats_##SFX(b->wa[2 * (l - 1) + 1], c->wavelet_lens[l], b->sorted, out); \
		return out;                                                                               \
	}

TI_WAVELET(float, f32, ti_sum_f32, ti_mean_f32, ti_rms_f32, ti_moments_f32, ti_sort_f32)
#if TI_DSP_DOUBLE
TI_WAVELET(double, r, ti_sum_r, ti_mean_r, ti_rms_r, ti_moments_r, ti_sort_r)
#else
#define ti_wavelet_r ti_wavelet_f32
#endif

/* ---- version 1 ---- */

/* PeakUtils' indexes(y, thres=0, min_dist=1): indices whose left
 * difference is positive and right difference negative, plateaus taking
 * their neighbours' slopes, values above the minimum. */
static uint32_t ti_peak_indexes(const ti_real *y, uint32_t n, ti_real *d, uint16_t *dst)
{
	uint32_t k, zeros = 0, count = 0;
	ti_real lo;
	if (n < 3)
		return 0;
	for (k = 0; k + 1 < n; k++) {
		d[k] = y[k + 1] - y[k];
		if (d[k] == 0)
			zeros++;
	}
	if (zeros == n - 1)
		return 0;
	if (zeros > 0) {
		uint32_t i = 0, nd = n - 1;
		while (i < nd) {
			uint32_t j;
			if (d[i] != 0) {
				i++;
				continue;
			}
			j = i;
			while (j + 1 < nd && d[j + 1] == 0)
				j++;
			if (i == 0) {
				for (k = i; k <= j; k++)
					d[k] = d[j + 1];
			} else if (j == nd - 1) {
				for (k = i; k <= j; k++)
					d[k] = d[i - 1];
			} else {
				ti_real before = d[i - 1], after = d[j + 1];
				for (k = i; k <= j; k++)
					d[k] = 2 * k < i + j ? before : after; /* k below the run's median index */
			}
			i = j + 1;
		}
	}
	lo = y[0];
	for (k = 1; k < n; k++)
		if (y[k] < lo)
			lo = y[k];
	for (k = 1; k + 1 < n; k++)
		if (d[k - 1] > 0 && d[k] < 0 && y[k] > lo)
			dst[count++] = (uint16_t)k;
	return count;
}

static ti_real *ti_v1_features(const ti_spectral_config *c, ti_spectral_bufs *b, const float *x, uint32_t len, ti_real *out)
{
	uint32_t n = c->fft.n, half = n / 2, h = half + 1, k, i, cands, kept, used;
	ti_real step = 0, scale, val, *amp = b->pow;
	float mu;
	*out++ = (ti_real)ti_rms_f32(x, len);

	/* Peaks of (2/n)|X[k]|, k < n/2, on the axis linspace(0, fs/2, n/2). */
	for (k = 0; k < n; k++)
		b->fbuf[k] = k < len ? (ti_real)x[k] : 0;
	ti_fft_coef(&c->fft, b->fbuf, b->coef);
	for (k = 0; k < half; k++) {
		ti_real re = b->coef[2 * k], im = b->coef[2 * k + 1];
		amp[k] = (ti_real)(float)((ti_real)2 / (ti_real)n * ti_sqrt(re * re + im * im));
	}
	if (half > 1)
		step = (c->fs_eff / 2) / (ti_real)(half - 1);
	cands = ti_peak_indexes(amp, half, b->d, b->cand);
	kept = 0;
	for (i = 0; i < cands; i++)
		if (amp[b->cand[i]] >= c->peak_threshold)
			b->cand[kept++] = b->cand[i];
	/* stable sort by height, highest first (insertion sort) */
	for (i = 1; i < kept; i++) {
		uint16_t v = b->cand[i];
		uint32_t j = i;
		while (j > 0 && amp[b->cand[j - 1]] < amp[v]) {
			b->cand[j] = b->cand[j - 1];
			j--;
		}
		b->cand[j] = v;
	}
	for (i = 0; i < c->peaks; i++) {
		if (i < kept) {
			*out++ = (ti_real)b->cand[i] * step;
			*out++ = amp[b->cand[i]];
		} else {
			*out++ = 0;
			*out++ = 0;
		}
	}

	/* Periodogram: boxcar window, density scaling, one segment of at most
	 * n samples with its mean removed. */
	used = len < n ? len : n;
	mu = ti_mean_f32(x, used);
	for (k = 0; k < n; k++)
		b->fbuf[k] = k < used ? (ti_real)(x[k] - mu) : 0;
	scale = (ti_real)1 / (c->fs_eff * (ti_real)used);
	ti_fft_power(&c->fft, b->fbuf, b->pow, scale);
	for (k = 1; k < h; k++)
		if (k != half)
			b->pow[k] *= 2;
	for (k = 0; k < h; k++)
		b->pow[k] = (ti_real)(float)b->pow[k];
	val = (ti_real)1 / ((ti_real)n * ((ti_real)1 / c->fs_eff));
	for (i = 0; i + 1 < c->n_edges; i++) {
		ti_real lo = c->edges[i], hi = c->edges[i + 1];
		uint32_t cnt = 0;
		for (k = 0; k < h; k++) {
			ti_real f = (ti_real)k * val;
			if (f >= lo && f < hi)
				b->sel[cnt++] = (float)b->pow[k];
		}
		*out++ = cnt == 0 ? 0 : (ti_real)ti_mean_f32(b->sel, cnt) / 10;
	}
	return out;
}

/* ---- the block ---- */

/* The features of one prepared axis (x32 without decimation, xw after
 * it), written at o (and the low-frequency ones at lf). */
typedef void (*ti_axis_fn)(const ti_spectral_config *c, ti_spectral_bufs *b, const float *x32, const ti_real *xw, uint32_t len, ti_real *o, ti_real *lf);

static void ti_axis_fft(const ti_spectral_config *c, ti_spectral_bufs *b, const float *x32, const ti_real *xw, uint32_t len, ti_real *o, ti_real *lf)
{
	ti_real skew, kurt;
	uint32_t i;
	if (x32) {
		*o++ = (ti_real)ti_rms_f32(x32, len);
		ti_moments_f32(x32, len, &skew, &kurt);
	} else {
		*o++ = ti_rms_r(xw, len);
		ti_moments_r(xw, len, &skew, &kurt);
	}
	*o++ = skew;
	*o++ = kurt;
	ti_spectrum(c, b, x32, xw, len, c->main_start, c->main_stop, c->spectral_stats, o);
	if (c->low_freq) {
		ti_real *y = b->xw, m;
		if (x32)
			for (i = 0; i < len; i++)
				y[i] = (ti_real)x32[i];
		len = (uint32_t)ti_decimate(y, len, 10);
		m = ti_mean_r(y, len);
		for (i = 0; i < len; i++)
			y[i] -= m;
		*lf++ = ti_rms_r(y, len);
		ti_moments_r(y, len, &skew, &kurt);
		*lf++ = skew;
		*lf++ = kurt;
		ti_spectrum(c, b, NULL, y, len, c->lf_start, c->lf_stop, 1, lf);
	}
}

static void ti_axis_wavelet(const ti_spectral_config *c, ti_spectral_bufs *b, const float *x32, const ti_real *xw, uint32_t len, ti_real *o, ti_real *lf)
{
	(void)len;
	(void)lf;
	if (x32)
		ti_wavelet_f32(c, b, x32, c->wavelet_lo32, c->wavelet_hi32, o);
	else
		ti_wavelet_r(c, b, xw, c->wavelet_lo, c->wavelet_hi, o);
}

static void ti_axis_v1(const ti_spectral_config *c, ti_spectral_bufs *b, const float *x32, const ti_real *xw, uint32_t len, ti_real *o, ti_real *lf)
{
	(void)xw;
	(void)lf;
	ti_v1_features(c, b, x32, len, o);
}

/* Prepares each axis (scale, decimate, filter, remove the mean) and hands
 * it to the analysis. */
static int ti_spectral_run(const ti_spectral_config *c, const ti_signal *sig, ti_real *out, void *arena, size_t arena_size, int analysis, ti_axis_fn fn)
{
	ti_arena a;
	ti_spectral_bufs b;
	uint32_t ax, i;
	int err;
	if (c == NULL || out == NULL || arena == NULL)
		return TI_ERR_NULL;
	if (c->analysis != analysis)
		return TI_ERR_CONFIG;
	if ((err = ti_check_signal(sig, (size_t)c->samples * c->axes)) != TI_OK)
		return err;
	if (arena_size < ti_spectral_arena_size(c))
		return TI_ERR_ARENA;
	a.base = arena;
	a.used = 0;
	ti_spectral_layout(c, &a, &b);
	for (ax = 0; ax < c->axes; ax++) {
		const float *x32 = NULL;
		const ti_real *xw = NULL;
		uint32_t len = c->samples;
		if ((err = ti_read_strided_f32(sig, ax, c->axes, c->samples, b.x32)) != TI_OK)
			return err;
		for (i = 0; i < len; i++)
			b.x32[i] = b.x32[i] * c->scale;
		if (c->n_stages == 0) {
			float m;
			if (c->n_sos > 0)
				ti_filter32(c, b.x32, len);
			m = ti_mean_f32(b.x32, len);
			for (i = 0; i < len; i++)
				b.x32[i] -= m;
			x32 = b.x32;
		} else {
			ti_real m;
			for (i = 0; i < len; i++)
				b.xw[i] = (ti_real)b.x32[i];
			for (i = 0; i < c->n_stages; i++)
				len = (uint32_t)ti_decimate(b.xw, len, c->stages[i]);
			if (c->n_sos > 0)
				ti_filter_wide(c, b.xw, len);
			m = ti_mean_r(b.xw, len);
			for (i = 0; i < len; i++)
				b.xw[i] -= m;
			xw = b.xw;
		}
		fn(c, &b, x32, xw, len, out + (size_t)ax * c->n_axis, out + (size_t)c->axes * c->n_axis + (size_t)ax * c->n_lf);
	}
	return TI_OK;
}

int ti_spectral(const ti_spectral_config *c, const ti_signal *sig, ti_real *out, void *arena, size_t arena_size)
{
	return ti_spectral_run(c, sig, out, arena, arena_size, TI_SPECTRAL_FFT, ti_axis_fft);
}

int ti_spectral_wavelet(const ti_spectral_config *c, const ti_signal *sig, ti_real *out, void *arena, size_t arena_size)
{
	return ti_spectral_run(c, sig, out, arena, arena_size, TI_SPECTRAL_WAVELET, ti_axis_wavelet);
}

int ti_spectral_v1(const ti_spectral_config *c, const ti_signal *sig, ti_real *out, void *arena, size_t arena_size)
{
	return ti_spectral_run(c, sig, out, arena, arena_size, TI_SPECTRAL_V1, ti_axis_v1);
}
