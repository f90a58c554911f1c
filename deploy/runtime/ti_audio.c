/*
 * tinyimpulse C runtime: the spectrogram, MFE and MFCC blocks. Frames are
 * read from the signal one at a time, so the working memory does not grow
 * with the window.
 */
#include <math.h>

#include "ti_internal.h"

/* ---- reading frames ---- */

/* Reads len values at positions (start + t) mod n, t < len, start < n. */
static int ti_read_circ(const ti_signal *s, size_t n, size_t start, size_t len, ti_real *dst)
{
	size_t first = n - start < len ? n - start : len;
	int err = ti_read(s, start, first, dst);
	if (err != TI_OK || first == len)
		return err;
	return ti_read(s, 0, len - first, dst + first);
}

enum { TI_PRE_NONE, TI_PRE_MFCC, TI_PRE_MFE, TI_PRE_SCALE };

/*
 * Fills buf (n values) with frame i of the pre-processed signal, truncated
 * to n samples or zero-padded: TI_PRE_MFCC subtracts pre_cof times the
 * sample pre_shift before (circularly), TI_PRE_MFE scales int16 audio to
 * [-1, 1] and pre-emphasises with 0.98 in float32 (circularly),
 * TI_PRE_SCALE scales to float32(x/32768).
 */
static int ti_read_frame(const ti_audio_config *c, const ti_signal *sig, uint32_t i, int pre, ti_real cof, uint32_t shift, ti_real *buf)
{
	uint32_t n = c->fft.n, used = c->frame_length < n ? c->frame_length : n, s = i * c->frame_stride, t, k;
	int err;
	if ((err = ti_read(sig, s, used, buf)) != TI_OK)
		return err;
	if (pre == TI_PRE_MFCC || pre == TI_PRE_MFE) {
		ti_real chunk[TI_CHUNK];
		uint32_t back = pre == TI_PRE_MFCC ? shift : 1;
		for (t = 0; t < used; t += TI_CHUNK) {
			uint32_t len = used - t < TI_CHUNK ? used - t : TI_CHUNK;
			uint32_t pos = s + t;
			pos = pos >= back ? pos - back : pos + c->samples - back;
			if ((err = ti_read_circ(sig, c->samples, pos, len, chunk)) != TI_OK)
				return err;
			if (pre == TI_PRE_MFCC) {
				for (k = 0; k < len; k++)
					buf[t + k] = buf[t + k] - cof * chunk[k];
			} else {
				for (k = 0; k < len; k++) {
					float cur = (float)(buf[t + k] * (ti_real)(1.0 / 32768));
					float prev = (float)(chunk[k] * (ti_real)(1.0 / 32768));
					buf[t + k] = (ti_real)(cur - 0.98f * prev);
				}
			}
		}
	} else if (pre == TI_PRE_SCALE) {
		for (k = 0; k < used; k++)
			buf[k] = (ti_real)(float)(buf[k] * (ti_real)(1.0 / 32768));
	}
	for (k = used; k < n; k++)
		buf[k] = 0;
	return TI_OK;
}

/* The mel filterbank energies of one power spectrum row; zeros become
 * 1e-10. */
static void ti_mel(const ti_audio_config *c, const ti_real *pow, ti_real *e)
{
	uint32_t j, t;
	for (j = 0; j < c->filters; j++) {
		const ti_real *w = c->mel_w + c->mel_off[j];
		const ti_real *p = pow + c->mel_lo[j];
		uint32_t len = (uint32_t)(c->mel_off[j + 1] - c->mel_off[j]);
		ti_real s = 0;
		for (t = 0; t < len; t++)
			s += p[t] * w[t];
		e[j] = s == 0 ? (ti_real)1e-10 : s;
	}
}

/* ---- sliding cepstral mean and variance normalisation ---- */

/* The sliding sums are double in both builds: in float32, prefix sums over
 * a whole column lose the small windows next to large values. */
typedef struct ti_cmvn_bufs {
	double *prefix, *prefix2;
	uint16_t *run;
	float *y;
} ti_cmvn_bufs;

static void ti_cmvn_layout(uint32_t rows, int variance, ti_arena *a, ti_cmvn_bufs *b)
{
	b->prefix = ti_take(a, 2 * (size_t)rows + 1, sizeof(double));
	b->prefix2 = variance ? ti_take(a, 2 * (size_t)rows + 1, sizeof(double)) : NULL;
	b->run = ti_take(a, 2 * (size_t)rows, sizeof(uint16_t));
	b->y = ti_take(a, rows, sizeof(float));
}

static int32_t ti_floordiv(int32_t a, int32_t b)
{
	int32_t q = a / b;
	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

/* Element u of one period of the symmetric extension of a column: the rows,
 * then the rows reversed. */
#define TI_EXT_ROW(u, t) ((u) < (t) ? (u) : 2 * (t) - 1 - (u))

/*
 * Prefix sums (and of squares when prefix2 is set) of one period of the
 * extension of column v (stride values apart, or of y when v is NULL), and
 * the runs of equal values: run[u] is the number of equal values from u on
 * (continuing periodically), or at least w.
 */
static void ti_cmvn_prefix(const ti_real *v, uint32_t stride, const float *y, uint32_t t, uint32_t w, ti_cmvn_bufs *b, double *prefix2)
{
	uint32_t period = 2 * t, u;
#define TI_EXT(u) (v ? (double)v[(size_t)TI_EXT_ROW(u, t) * stride] : (double)y[TI_EXT_ROW(u, t)])
	b->prefix[0] = 0;
	for (u = 0; u < period; u++)
		b->prefix[u + 1] = b->prefix[u] + TI_EXT(u);
	if (prefix2) {
		prefix2[0] = 0;
		for (u = 0; u < period; u++) {
			double e = TI_EXT(u);
			prefix2[u + 1] = prefix2[u] + e * e;
		}
	}
	b->run[period - 1] = 1;
	for (u = period - 1; u-- > 0;)
		b->run[u] = TI_EXT(u) == TI_EXT(u + 1) ? (uint16_t)(b->run[u + 1] + 1) : 1;
	if (b->run[0] == period) {
		for (u = 0; u < period; u++)
			b->run[u] = (uint16_t)w;
	} else if (TI_EXT(period - 1) == TI_EXT(0)) {
		uint16_t head = b->run[0];
		for (u = period; u-- > 0 && b->run[u] == period - u;)
			b->run[u] = (uint16_t)(b->run[u] + head);
	}
#undef TI_EXT
}

/* The window of row i as q whole periods plus prefix[hi] - prefix[lo]. */
static void ti_cmvn_span(uint32_t i, uint32_t t, uint32_t w, double *q, uint32_t *lo, uint32_t *hi)
{
	int32_t period = 2 * (int32_t)t, p = (int32_t)(w - 1) / 2;
	int32_t a = (int32_t)i - p, b = (int32_t)i + p + 1;
	int32_t qa = ti_floordiv(a, period), qb = ti_floordiv(b, period);
	*q = (double)(qb - qa);
	*lo = (uint32_t)(a - qa * period);
	*hi = (uint32_t)(b - qb * period);
}

/*
 * speechpy's cmvnw over the rows of x (rows x cols, in place), column by
 * column: the mean-subtracted values rounded to float32, then with
 * variance divided by their sliding standard deviation in float32. Windows
 * of equal values are summed one value at a time, as the reference does.
 */
static void ti_cmvn(ti_real *x, uint32_t t, uint32_t cols, uint32_t w, int variance, ti_cmvn_bufs *b)
{
	uint32_t j, i, k;
	for (j = 0; j < cols; j++) {
		ti_real *col = x + j;
		double total, const_v = 0, const_r = 0;
		int have = 0;
		ti_cmvn_prefix(col, cols, NULL, t, w, b, NULL);
		total = b->prefix[2 * t];
		for (i = 0; i < t; i++) {
			double q, v = (double)col[(size_t)i * cols];
			uint32_t lo, hi;
			ti_cmvn_span(i, t, w, &q, &lo, &hi);
			if (b->run[lo] >= w) {
				double e = (double)col[(size_t)TI_EXT_ROW(lo, t) * cols];
				if (!have || e != const_v) {
					double s = 0;
					for (k = 0; k < w; k++)
						s += e;
					const_v = e;
					const_r = s / (double)w;
					have = 1;
				}
				b->y[i] = (float)(v - const_r);
			} else {
				double sum = q * total + b->prefix[hi] - b->prefix[lo];
				b->y[i] = (float)(v - sum / (double)w);
			}
		}
		if (!variance) {
			for (i = 0; i < t; i++)
				col[(size_t)i * cols] = (ti_real)b->y[i];
			continue;
		}
		ti_cmvn_prefix(NULL, 0, b->y, t, w, b, b->prefix2);
		total = b->prefix[2 * t];
		have = 0;
		for (i = 0; i < t; i++) {
			double q;
			uint32_t lo, hi;
			float sd, v = b->y[i];
			ti_cmvn_span(i, t, w, &q, &lo, &hi);
			if (b->run[lo] >= w) {
				float e = b->y[TI_EXT_ROW(lo, t)];
				if (!have || (double)e != const_v) {
					float s = 0, m, d, s2 = 0;
					for (k = 0; k < w; k++)
						s += e;
					m = s / (float)w;
					d = e - m;
					for (k = 0; k < w; k++)
						s2 += d * d;
					const_v = (double)e;
					const_r = (double)sqrtf(s2 / (float)w);
					have = 1;
				}
				sd = (float)const_r;
			} else {
				double m = (q * total + b->prefix[hi] - b->prefix[lo]) / (double)w;
				double m2 = (q * b->prefix2[2 * t] + b->prefix2[hi] - b->prefix2[lo]) / (double)w;
				double d = m2 - m * m;
				d = d > 0 ? d : 0;
#if TI_DSP_DOUBLE
				sd = (float)sqrt(d);
#else
				sd = sqrtf((float)d); /* within one float32 step of (float)sqrt(d), with the FPU's square root */
#endif
			}
			col[(size_t)i * cols] = (ti_real)(v / (sd + 1e-10f));
		}
	}
}

/* ---- spectrogram ---- */

typedef struct ti_audio_bufs {
	ti_real *fbuf, *pow, *energy;
	ti_cmvn_bufs cmvn;
} ti_audio_bufs;

static void ti_spectrogram_layout(const ti_spectrogram_config *c, ti_arena *a, ti_audio_bufs *b)
{
	b->fbuf = ti_take(a, c->audio.fft.n, sizeof(ti_real));
}

size_t ti_spectrogram_arena_size(const ti_spectrogram_config *cfg)
{
	ti_arena a = {NULL, 0};
	ti_audio_bufs b;
	ti_spectrogram_layout(cfg, &a, &b);
	return a.used;
}

int ti_spectrogram(const ti_spectrogram_config *c, const ti_signal *sig, ti_real *out, void *arena, size_t arena_size)
{
	const ti_audio_config *ac;
	ti_arena a;
	ti_audio_bufs b;
	uint32_t h, i, k, total;
	int err, pre = TI_PRE_NONE;
	if (c == NULL || out == NULL || arena == NULL)
		return TI_ERR_NULL;
	ac = &c->audio;
	if ((err = ti_check_signal(sig, ac->samples)) != TI_OK)
		return err;
	if (arena_size < ti_spectrogram_arena_size(c))
		return TI_ERR_ARENA;
	a.base = arena;
	a.used = 0;
	ti_spectrogram_layout(c, &a, &b);
	h = ac->fft.n / 2 + 1;
	if (c->version == 3) {
		/* Version 3 rescales int16 audio: one sample outside [-1, 1]
		 * rescales the whole window. */
		ti_real chunk[TI_CHUNK];
		for (i = 0; i < ac->samples && pre == TI_PRE_NONE; i += TI_CHUNK) {
			uint32_t n = ac->samples - i < TI_CHUNK ? ac->samples - i : TI_CHUNK;
			if ((err = ti_read(sig, i, n, chunk)) != TI_OK)
				return err;
			for (k = 0; k < n; k++)
				if (chunk[k] < -1 || chunk[k] > 1)
					pre = TI_PRE_SCALE;
		}
	}
	for (i = 0; i < ac->frames; i++) {
		if ((err = ti_read_frame(ac, sig, i, pre, 0, 0, b.fbuf)) != TI_OK)
			return err;
		ti_fft_power(&ac->fft, b.fbuf, out + (size_t)i * h, (ti_real)1 / (ti_real)ac->fft.n);
	}
	total = ac->frames * h;
	if (c->version <= 2) {
		ti_real lo = out[0], hi = out[0], span;
		for (k = 0; k < total; k++) {
			if (out[k] < lo)
				lo = out[k];
			if (out[k] > hi)
				hi = out[k];
		}
		span = hi - lo;
		for (k = 0; k < total; k++)
			out[k] = span > 0 ? (out[k] - lo) / span : 0;
		return TI_OK;
	}
	for (k = 0; k < total; k++) {
		ti_real e = out[k] > (ti_real)1e-30 ? out[k] : (ti_real)1e-30;
		ti_real d = ((ti_real)10 * ti_log10(e) - c->noise_floor_db) / ((ti_real)12 - c->noise_floor_db);
		if (d < 0)
			d = 0;
		if (c->version == 3 && d > 1)
			d = 1;
		out[k] = d;
	}
	return TI_OK;
}

/* ---- MFE ---- */

static void ti_mfe_layout(const ti_mfe_config *c, ti_arena *a, ti_audio_bufs *b)
{
	b->fbuf = ti_take(a, c->audio.fft.n, sizeof(ti_real));
	b->pow = ti_take(a, c->audio.fft.n / 2 + 1, sizeof(ti_real));
	if (c->version <= 2)
		ti_cmvn_layout(c->audio.frames, 0, a, &b->cmvn);
}

size_t ti_mfe_arena_size(const ti_mfe_config *cfg)
{
	ti_arena a = {NULL, 0};
	ti_audio_bufs b;
	ti_mfe_layout(cfg, &a, &b);
	return a.used;
}

int ti_mfe(const ti_mfe_config *c, const ti_signal *sig, ti_real *out, void *arena, size_t arena_size)
{
	const ti_audio_config *ac;
	ti_arena a;
	ti_audio_bufs b;
	uint32_t i, k, total;
	int err;
	if (c == NULL || out == NULL || arena == NULL)
		return TI_ERR_NULL;
	ac = &c->audio;
	if ((err = ti_check_signal(sig, ac->samples)) != TI_OK)
		return err;
	if (arena_size < ti_mfe_arena_size(c))
		return TI_ERR_ARENA;
	a.base = arena;
	a.used = 0;
	ti_mfe_layout(c, &a, &b);
	for (i = 0; i < ac->frames; i++) {
		if ((err = ti_read_frame(ac, sig, i, c->version >= 3 ? TI_PRE_MFE : TI_PRE_NONE, 0, 0, b.fbuf)) != TI_OK)
			return err;
		ti_fft_power(&ac->fft, b.fbuf, b.pow, (ti_real)1 / (ti_real)ac->fft.n);
		ti_mel(ac, b.pow, out + (size_t)i * ac->filters);
	}
	total = ac->frames * ac->filters;
	if (c->version <= 2) {
		float lo, hi;
		ti_cmvn(out, ac->frames, ac->filters, c->win_size, 0, &b.cmvn);
		lo = hi = (float)out[0];
		for (k = 0; k < total; k++) {
			float e = (float)out[k];
			if (e < lo)
				lo = e;
			if (e > hi)
				hi = e;
		}
		if (lo != 0 && hi != 0) {
			float span = hi - lo;
			for (k = 0; k < total; k++)
				out[k] = span != 0 ? (ti_real)(((float)out[k] - lo) / span) : 0;
		}
		return TI_OK;
	}
	/* Versions 3 and 4: the level q of round(256 * clip(dB scale)) is the
	 * number of thresholds at or below the energy; level 256 wraps to 0. */
	for (k = 0; k < total; k++) {
		ti_real e = out[k];
		uint32_t lo = 0, hi = 256;
		while (lo < hi) {
			uint32_t mid = (lo + hi) / 2;
			if (c->level_thr[mid] <= e)
				lo = mid + 1;
			else
				hi = mid;
		}
		out[k] = (ti_real)(lo & 255) / 256;
	}
	return TI_OK;
}

/* ---- MFCC ---- */

static void ti_mfcc_layout(const ti_mfcc_config *c, ti_arena *a, ti_audio_bufs *b)
{
	b->fbuf = ti_take(a, c->audio.fft.n, sizeof(ti_real));
	b->pow = ti_take(a, c->audio.fft.n / 2 + 1, sizeof(ti_real));
	b->energy = ti_take(a, c->audio.filters, sizeof(ti_real));
	if (c->win_size > 0)
		ti_cmvn_layout(c->audio.frames, 1, a, &b->cmvn);
}

size_t ti_mfcc_arena_size(const ti_mfcc_config *cfg)
{
	ti_arena a = {NULL, 0};
	ti_audio_bufs b;
	ti_mfcc_layout(cfg, &a, &b);
	return a.used;
}

int ti_mfcc(const ti_mfcc_config *c, const ti_signal *sig, ti_real *out, void *arena, size_t arena_size)
{
	const ti_audio_config *ac;
	ti_arena a;
	ti_audio_bufs b;
	uint32_t i, j, k, m, h;
	int err;
#if !TI_DSP_DOUBLE
	int t0 = 0;
#endif
	if (c == NULL || out == NULL || arena == NULL)
		return TI_ERR_NULL;
	ac = &c->audio;
	if ((err = ti_check_signal(sig, ac->samples)) != TI_OK)
		return err;
	if (arena_size < ti_mfcc_arena_size(c))
		return TI_ERR_ARENA;
	a.base = arena;
	a.used = 0;
	ti_mfcc_layout(c, &a, &b);
	m = ac->filters;
	h = ac->fft.n / 2 + 1;
	for (i = 0; i < ac->frames; i++) {
		ti_real *row = out + (size_t)i * c->cepstra, total;
		if ((err = ti_read_frame(ac, sig, i, TI_PRE_MFCC, c->pre_cof, c->pre_shift, b.fbuf)) != TI_OK)
			return err;
		ti_fft_power(&ac->fft, b.fbuf, b.pow, (ti_real)1 / (ti_real)ac->fft.n);
		ti_mel(ac, b.pow, b.energy);
#if TI_DSP_DOUBLE
		for (j = 0; j < m; j++)
			b.energy[j] = ti_log(b.energy[j]);
		for (k = 0; k < c->cepstra; k++) {
			const ti_real *d = c->dct + (size_t)k * m;
			ti_real s = 0;
			for (j = 0; j < m; j++)
				s += d[j] * b.energy[j];
			row[k] = s;
		}
#else
		{
			/* In float32 the log energies (about 20) carry an error of
			 * half a unit of 2e-6 each, which the DCT sums and the short
			 * normalisation windows amplify. The logarithms are taken
			 * relative to 2^k0 (k0 the first energy's exponent) instead,
			 * exactly as far as the exponents go, and the DCT adds
			 * k0 ln 2 times each row's sum (about 0) at the end. */
			int k0, kj;
			ti_log_split(b.energy[0], &k0);
			for (j = 0; j < m; j++) {
				float l = ti_log_split(b.energy[j], &kj);
				b.energy[j] = (float)(kj - k0) * TI_LN2_HI + (l + (float)(kj - k0) * TI_LN2_LO);
			}
			for (k = 0; k < c->cepstra; k++) {
				const ti_real *d = c->dct + (size_t)k * m;
				float s = 0, sd = 0;
				for (j = 0; j < m; j++) {
					s += d[j] * b.energy[j];
					sd += d[j];
				}
				row[k] = s + (float)k0 * 0.69314718f * sd;
			}
		}
#endif
		/* The first coefficient is the log of the frame's total power. */
		total = ti_sum_r(b.pow, h, 0, TI_SUM_PLAIN);
		total = total == 0 ? (ti_real)1e-10 : total;
#if TI_DSP_DOUBLE
		row[0] = ti_log(total);
#else
		if (c->win_size > 0) {
			/* The normalisation subtracts each window's mean, so the
			 * column may be shifted by a constant: the logarithms are
			 * taken relative to 2^t0 (t0 the first frame's exponent),
			 * which keeps their float32 rounding to the size of the
			 * frame-to-frame changes that the normalisation divides by
			 * their spread. */
			int kt;
			float l = ti_log_split(total, &kt);
			if (i == 0)
				t0 = kt;
			row[0] = (float)(kt - t0) * TI_LN2_HI + (l + (float)(kt - t0) * TI_LN2_LO);
		} else {
			row[0] = ti_log(total);
		}
#endif
	}
	if (c->win_size > 0)
		ti_cmvn(out, ac->frames, c->cepstra, c->win_size, 1, &b.cmvn);
	return TI_OK;
}
