/*
 * tinyimpulse C runtime: int8 network kernels (see ti_model.h), computing
 * what package learn's Int8Network computes, bit for bit.
 *
 * The fully connected and convolution kernels multiply a pair of output
 * channels (packed weights) by one or two columns of inputs: the input
 * vector, an input pixel's channels (1x1 convolutions), a window of the
 * input read in place (a 1-row kernel, or one as wide as the input), or a
 * window copied into the scratch columns with the input's zero point as
 * SAME padding (im2col).
 */
#include <string.h>

#include "ti_internal.h"
#include "ti_model.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__ARM_FEATURE_SIMD32) && __ARM_FEATURE_SIMD32 && \
	!defined(__ARM_BIG_ENDIAN) && !defined(TI_NO_SIMD)
#define TI_SIMD 1
#include <arm_acle.h>
#else
#define TI_SIMD 0
#endif

/* Byte j (0..3) of a packed weight word, sign-extended. */
static int32_t ti_wbyte(uint32_t w, unsigned j)
{
	return (int32_t)((w >> (8u * j)) & 0xffu) - (int32_t)(((w >> (8u * j)) & 0x80u) << 1);
}

#if TI_SIMD
/* Four int8 values at p (any alignment; the Cortex-M4 loads unaligned
 * words). */
static inline uint32_t ti_load4(const int8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* The odd bytes of x sign-extended to two int16 (SXTB16 with its operand
 * rotated by 8, one instruction; GCC does not fuse the rotation into the
 * intrinsic). */
#if defined(__GNUC__)
static inline int32_t ti_sxtb16_odd(uint32_t x)
{
	int32_t r;
	__asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
	return r;
}
#else
#define ti_sxtb16_odd(x) __sxtb16(((x) >> 8) | ((x) << 24))
#endif
#endif

/* The last k % 4 values of a column as a word, zeros above them (the
 * packed weights are zero there). */
static uint32_t ti_tail4(const int8_t *p, uint32_t rem)
{
	uint32_t v = 0, j;
	for (j = 0; j < rem; j++)
		v |= (uint32_t)(uint8_t)p[j] << (8u * j);
	return v;
}

/* Four products of a weight word and a value word, plain C. */
static int32_t ti_dot4(uint32_t w, uint32_t x)
{
	return ti_wbyte(w, 0) * ti_wbyte(x, 0) + ti_wbyte(w, 1) * ti_wbyte(x, 1) + ti_wbyte(w, 2) * ti_wbyte(x, 2) +
	       ti_wbyte(w, 3) * ti_wbyte(x, 3);
}

/*
 * a[0] += ch0 . c0, a[1] += ch1 . c0 over k values, ch0 and ch1 the pair of
 * channels whose packed words start at w.
 */
static void ti_mac_2x1(const uint32_t *w, const int8_t *c0, uint32_t k, int32_t *a)
{
	int32_t a0 = a[0], a1 = a[1];
	uint32_t g, full = k >> 2, rem = k & 3u;
#if TI_SIMD
	const int8_t *end = c0 + 4u * full;
	(void)g;
	while (c0 != end) {
		uint32_t x = ti_load4(c0), w0 = w[0], w1 = w[1];
		int32_t xe = __sxtb16(x), xo = ti_sxtb16_odd(x);
		a0 = __smlad(__sxtb16(w0), xe, a0);
		a0 = __smlad(ti_sxtb16_odd(w0), xo, a0);
		a1 = __smlad(__sxtb16(w1), xe, a1);
		a1 = __smlad(ti_sxtb16_odd(w1), xo, a1);
		c0 += 4;
		w += 2;
	}
#else
	for (g = 0; g < full; g++) {
		int32_t x0 = c0[0], x1 = c0[1], x2 = c0[2], x3 = c0[3];
		uint32_t w0 = w[0], w1 = w[1];
		a0 += ti_wbyte(w0, 0) * x0 + ti_wbyte(w0, 1) * x1 + ti_wbyte(w0, 2) * x2 + ti_wbyte(w0, 3) * x3;
		a1 += ti_wbyte(w1, 0) * x0 + ti_wbyte(w1, 1) * x1 + ti_wbyte(w1, 2) * x2 + ti_wbyte(w1, 3) * x3;
		c0 += 4;
		w += 2;
	}
#endif
	if (rem) {
		uint32_t x = ti_tail4(c0, rem);
		a0 += ti_dot4(w[0], x);
		a1 += ti_dot4(w[1], x);
	}
	a[0] = a0;
	a[1] = a1;
}

/*
 * a[0] += ch0 . c0, a[1] += ch0 . c1, a[2] += ch1 . c0, a[3] += ch1 . c1.
 */
static void ti_mac_2x2(const uint32_t *w, const int8_t *c0, const int8_t *c1, uint32_t k, int32_t *a)
{
	int32_t a00 = a[0], a01 = a[1], a10 = a[2], a11 = a[3];
	uint32_t g, full = k >> 2, rem = k & 3u;
#if TI_SIMD
	const int8_t *end = c0 + 4u * full;
	(void)g;
	while (c0 != end) {
		uint32_t x0 = ti_load4(c0), x1 = ti_load4(c1), w0 = w[0], w1 = w[1];
		int32_t x0e = __sxtb16(x0), x0o = ti_sxtb16_odd(x0);
		int32_t x1e = __sxtb16(x1), x1o = ti_sxtb16_odd(x1);
		int32_t we = __sxtb16(w0), wo = ti_sxtb16_odd(w0);
		a00 = __smlad(we, x0e, a00);
		a00 = __smlad(wo, x0o, a00);
		a01 = __smlad(we, x1e, a01);
		a01 = __smlad(wo, x1o, a01);
		we = __sxtb16(w1);
		wo = ti_sxtb16_odd(w1);
		a10 = __smlad(we, x0e, a10);
		a10 = __smlad(wo, x0o, a10);
		a11 = __smlad(we, x1e, a11);
		a11 = __smlad(wo, x1o, a11);
		c0 += 4;
		c1 += 4;
		w += 2;
	}
#else
	for (g = 0; g < full; g++) {
		unsigned j;
		uint32_t w0 = w[0], w1 = w[1];
		for (j = 0; j < 4; j++) {
			int32_t p = ti_wbyte(w0, j), q = ti_wbyte(w1, j);
			a00 += p * c0[j];
			a01 += p * c1[j];
			a10 += q * c0[j];
			a11 += q * c1[j];
		}
		c0 += 4;
		c1 += 4;
		w += 2;
	}
#endif
	if (rem) {
		uint32_t x0 = ti_tail4(c0, rem), x1 = ti_tail4(c1, rem);
		a00 += ti_dot4(w[0], x0);
		a01 += ti_dot4(w[0], x1);
		a10 += ti_dot4(w[1], x0);
		a11 += ti_dot4(w[1], x1);
	}
	a[0] = a00;
	a[1] = a01;
	a[2] = a10;
	a[3] = a11;
}

/*
 * TensorFlow Lite's MultiplyByQuantizedMultiplier for output channel o, the
 * zero point and the clamp. The saturating rounding doubling high multiply
 * needs no saturation: multipliers are non-negative. Signed right shifts
 * are arithmetic (as every C compiler for these targets makes them).
 */
static int8_t ti_requant(const ti_qop *op, int32_t acc, uint32_t o)
{
	int32_t shift = op->shift[o], right = shift > 0 ? 0 : -shift, r, v;
	int64_t ab, t;
	if (shift > 0)
		acc = (int32_t)((uint32_t)acc << shift);
	ab = (int64_t)acc * op->mult[o];
	t = ab + (ab >= 0 ? (int64_t)1 << 30 : 1 - ((int64_t)1 << 30));
	r = (int32_t)((t + ((t >> 63) & 0x7fffffff)) >> 31); /* t / 2^31, rounded toward zero */
	if (right > 0) {
		if (op->half_up) {
			r = (int32_t)(((int64_t)r + ((int64_t)1 << (right - 1))) >> right);
		} else {
			int32_t mask = (int32_t)(((uint32_t)1 << right) - 1u);
			int32_t rem = r & mask, th = (mask >> 1) + (r < 0);
			r = (r >> right) + (rem > th);
		}
	}
	v = (int32_t)((uint32_t)r + (uint32_t)op->out_zp);
	if (v < op->act_min)
		v = op->act_min;
	if (v > op->act_max)
		v = op->act_max;
	return (int8_t)v;
}

/* TensorFlow's SAME padding: the padding before the first row (column). */
static int32_t ti_qpad(uint32_t in, uint32_t out, uint32_t k, uint32_t s)
{
	int32_t total = ((int32_t)out - 1) * (int32_t)s + (int32_t)k - (int32_t)in;
	return total > 0 ? total / 2 : 0;
}

static void ti_qfc(const ti_qop *op, const int8_t *x, int8_t *y)
{
	uint32_t k = op->in_c, words = 2u * ((k + 3u) >> 2), o;
	const uint32_t *w = op->w;
	for (o = 0; o < op->out_c; o += 2, w += words) {
		int32_t a[2];
		int pair = o + 1 < op->out_c;
		a[0] = op->b[o];
		a[1] = pair ? op->b[o + 1] : 0;
		ti_mac_2x1(w, x, k, a);
		y[o] = ti_requant(op, a[0], o);
		if (pair)
			y[o + 1] = ti_requant(op, a[1], o + 1);
	}
}

/*
 * The column of output pixel p (kh*kw*in_c values in the weights' order):
 * a pointer into x when the window lies inside the input and is contiguous
 * there, else a copy in buf with the zero point as padding.
 */
static const int8_t *ti_column(const ti_qop *op, const int8_t *x, uint32_t p, int8_t *buf, int32_t ph, int32_t pw)
{
	uint32_t oy = p / op->out_w, ox = p % op->out_w, dy, cin = op->in_c, run = op->kw * cin;
	int32_t iy0 = (int32_t)(oy * op->sh) - ph, ix0 = (int32_t)(ox * op->sw) - pw;
	int32_t ix1 = ix0 + (int32_t)op->kw;
	unsigned char zp = (unsigned char)(op->in_zp & 0xff);
	int8_t *c = buf;
	if (iy0 >= 0 && iy0 + (int32_t)op->kh <= (int32_t)op->in_h && ix0 >= 0 && ix1 <= (int32_t)op->in_w &&
	    (op->kh == 1 || op->kw == op->in_w))
		return x + ((size_t)iy0 * op->in_w + (uint32_t)ix0) * cin;
	for (dy = 0; dy < op->kh; dy++, c += run) {
		int32_t iy = iy0 + (int32_t)dy, lo = ix0 < 0 ? -ix0 : 0;
		int32_t hi = ix1 > (int32_t)op->in_w ? (int32_t)op->in_w - ix0 : (int32_t)op->kw;
		if (iy < 0 || iy >= (int32_t)op->in_h || hi <= lo) {
			memset(c, zp, run);
			continue;
		}
		if (lo > 0)
			memset(c, zp, (size_t)lo * cin);
		memcpy(c + (size_t)lo * cin, x + ((size_t)iy * op->in_w + (uint32_t)(ix0 + lo)) * cin, (size_t)(hi - lo) * cin);
		if (hi < (int32_t)op->kw)
			memset(c + (size_t)hi * cin, zp, (size_t)((int32_t)op->kw - hi) * cin);
	}
	return buf;
}

static void ti_qconv(const ti_qop *op, const int8_t *x, int8_t *y, int8_t *cols)
{
	int32_t ph = ti_qpad(op->in_h, op->out_h, op->kh, op->sh), pw = ti_qpad(op->in_w, op->out_w, op->kw, op->sw);
	uint32_t k = op->kh * op->kw * op->in_c, words = 2u * ((k + 3u) >> 2), cout = op->out_c;
	uint32_t npix = op->out_h * op->out_w, p, o;
	for (p = 0; p < npix; p += 2) {
		const uint32_t *w = op->w;
		const int8_t *c0 = ti_column(op, x, p, cols, ph, pw);
		int8_t *y0 = y + (size_t)p * cout;
		if (p + 1 < npix) {
			const int8_t *c1 = ti_column(op, x, p + 1, cols + k, ph, pw);
			int8_t *y1 = y0 + cout;
			for (o = 0; o < cout; o += 2, w += words) {
				int32_t a[4];
				int pair = o + 1 < cout;
				a[0] = a[1] = op->b[o];
				a[2] = a[3] = pair ? op->b[o + 1] : 0;
				ti_mac_2x2(w, c0, c1, k, a);
				y0[o] = ti_requant(op, a[0], o);
				y1[o] = ti_requant(op, a[1], o);
				if (pair) {
					y0[o + 1] = ti_requant(op, a[2], o + 1);
					y1[o + 1] = ti_requant(op, a[3], o + 1);
				}
			}
		} else {
			for (o = 0; o < cout; o += 2, w += words) {
				int32_t a[2];
				int pair = o + 1 < cout;
				a[0] = op->b[o];
				a[1] = pair ? op->b[o + 1] : 0;
				ti_mac_2x1(w, c0, k, a);
				y0[o] = ti_requant(op, a[0], o);
				if (pair)
					y0[o + 1] = ti_requant(op, a[1], o + 1);
			}
		}
	}
}

/* Depthwise convolution, depth multiplier 1: acc = b + sum (x - zp) w over
 * the window's taps inside the input. */
static void ti_qdepthwise(const ti_qop *op, const int8_t *x, int8_t *y)
{
	const int8_t *w = op->w;
	uint32_t c = op->out_c, ch, oy, ox;
	int32_t zp = op->in_zp;
	if (op->kh == 1 && op->kw == 1 && op->sh == 1 && op->sw == 1) {
		uint32_t i, n = op->out_h * op->out_w;
		for (i = 0; i < n; i++, x += c, y += c)
			for (ch = 0; ch < c; ch++)
				y[ch] = ti_requant(op, op->b[ch] + ((int32_t)x[ch] - zp) * w[ch], ch);
		return;
	}
	{
		int32_t ph = ti_qpad(op->in_h, op->out_h, op->kh, op->sh), pw = ti_qpad(op->in_w, op->out_w, op->kw, op->sw);
		for (oy = 0; oy < op->out_h; oy++) {
			int32_t iy0 = (int32_t)(oy * op->sh) - ph;
			uint32_t dy0 = iy0 < 0 ? (uint32_t)-iy0 : 0, dy1 = op->kh;
			if (iy0 + (int32_t)op->kh > (int32_t)op->in_h)
				dy1 = (uint32_t)((int32_t)op->in_h - iy0);
			for (ox = 0; ox < op->out_w; ox++, y += c) {
				int32_t ix0 = (int32_t)(ox * op->sw) - pw;
				uint32_t dx0 = ix0 < 0 ? (uint32_t)-ix0 : 0, dx1 = op->kw, dy, dx;
				if (ix0 + (int32_t)op->kw > (int32_t)op->in_w)
					dx1 = (uint32_t)((int32_t)op->in_w - ix0);
				for (ch = 0; ch < c; ch++) {
					int32_t acc = op->b[ch];
					for (dy = dy0; dy < dy1; dy++) {
						const int8_t *xr = x + ((size_t)(iy0 + (int32_t)dy) * op->in_w + (uint32_t)ix0) * c + ch;
						const int8_t *wr = w + (size_t)dy * op->kw * c + ch;
						for (dx = dx0; dx < dx1; dx++)
							acc += ((int32_t)xr[(size_t)dx * c] - zp) * wr[(size_t)dx * c];
					}
					y[ch] = ti_requant(op, acc, ch);
				}
			}
		}
	}
}

static void ti_qmax_pool(const ti_qop *op, const int8_t *x, int8_t *y)
{
	int32_t ph = ti_qpad(op->in_h, op->out_h, op->kh, op->sh), pw = ti_qpad(op->in_w, op->out_w, op->kw, op->sw);
	uint32_t oy, ox, c, dy, dx, nc = op->out_c;
	for (oy = 0; oy < op->out_h; oy++)
		for (ox = 0; ox < op->out_w; ox++, y += nc)
			for (c = 0; c < nc; c++) {
				int first = 1;
				int8_t m = 0;
				for (dy = 0; dy < op->kh; dy++) {
					int32_t iy = (int32_t)(oy * op->sh + dy) - ph;
					if (iy < 0 || iy >= (int32_t)op->in_h)
						continue;
					for (dx = 0; dx < op->kw; dx++) {
						int32_t ix = (int32_t)(ox * op->sw + dx) - pw;
						int8_t v;
						if (ix < 0 || ix >= (int32_t)op->in_w)
							continue;
						v = x[((size_t)iy * op->in_w + (uint32_t)ix) * nc + c];
						if (first || v > m) {
							m = v;
							first = 0;
						}
					}
				}
				y[c] = m;
			}
}

/*
 * TensorFlow Lite 2.9's int8 softmax through its float32 exponential
 * table: e_j = table[255 - (max - x_j)], sum in order, y_j = round(e_j /
 * (sum / 256)) - 128, halves away from zero, clamped.
 */
static void ti_qsoftmax(const ti_qop *op, const int8_t *x, int8_t *y)
{
	uint32_t rows = op->out_h * op->out_w, n = op->out_c, r, i;
	const float *t = op->table;
	for (r = 0; r < rows; r++, x += n, y += n) {
		int32_t m = x[0], off;
		float sum = 0, inv;
		for (i = 1; i < n; i++)
			if (x[i] > m)
				m = x[i];
		off = 255 - m;
		for (i = 0; i < n; i++)
			sum += t[off + x[i]];
		inv = 1.0f / (sum * 0.00390625f);
		for (i = 0; i < n; i++) {
			float p = t[off + x[i]] * inv;
			int32_t q = (int32_t)p; /* 0 <= p <= 256 */
			if (p - (float)q >= 0.5f)
				q++;
			q -= 128;
			y[i] = (int8_t)(q > 127 ? 127 : q < -128 ? -128 : q);
		}
	}
}

int ti_qnetwork_run(const ti_qnetwork *n, const int8_t *input, int8_t *out, void *arena, size_t arena_size)
{
	unsigned char *a = arena;
	const int8_t *last = input;
	uint32_t k;
	if (n == NULL || input == NULL || out == NULL || (arena == NULL && n->arena > 0))
		return TI_ERR_NULL;
	if (arena_size < n->arena)
		return TI_ERR_ARENA;
	for (k = 0; k < n->n_ops; k++) {
		const ti_qop *op = &n->ops[k];
		const int8_t *x = op->src == TI_AT_INPUT ? input : (const int8_t *)(a + op->src);
		int8_t *y = (int8_t *)(a + op->dst);
		switch (op->kind) {
		case TI_OP_FULLY_CONNECTED:
			ti_qfc(op, x, y);
			break;
		case TI_OP_CONV_2D:
			ti_qconv(op, x, y, (int8_t *)(a + op->scratch));
			break;
		case TI_OP_DEPTHWISE_CONV_2D:
			ti_qdepthwise(op, x, y);
			break;
		case TI_OP_MAX_POOL_2D:
			ti_qmax_pool(op, x, y);
			break;
		case TI_OP_SOFTMAX:
			ti_qsoftmax(op, x, y);
			break;
		case TI_OP_RESHAPE:
			y = (int8_t *)x; /* the output aliases the input */
			break;
		}
		last = y;
	}
	memcpy(out, last, n->outputs);
	return TI_OK;
}

/* round_half_even(t) + zp, clamped, in double precision, as package learn
 * quantises. */
static int8_t ti_quantize_double(double t)
{
	int32_t i;
	double f;
	if (t >= 127.5)
		return 127;
	if (t <= -128.5)
		return -128;
	i = (int32_t)t; /* toward zero; t - i is exact */
	f = t - (double)i;
	if (f > 0.5 || (f == 0.5 && (i & 1)))
		i++;
	else if (f < -0.5 || (f == -0.5 && (i & 1)))
		i--;
	return (int8_t)(i > 127 ? 127 : i < -128 ? -128 : i);
}

int ti_quantize(const ti_qnetwork *n, const ti_real *x, int8_t *q)
{
	uint32_t i;
	if (n == NULL || x == NULL || q == NULL)
		return TI_ERR_NULL;
	for (i = 0; i < n->inputs; i++) {
		ti_real v = x[i];
		if (!(v - v == 0))
			return TI_ERR_INPUT;
#if !TI_DSP_DOUBLE
		{
			float t = v / n->in_scale, f, af;
			int32_t r;
			if (t > 512.0f || t < -512.0f) {
				q[i] = (int8_t)(t > 0 ? 127 : -128);
				continue;
			}
			r = (int32_t)t;
			f = t - (float)r; /* exact */
			af = f < 0 ? -f : f;
			if (af < 0.499755859375f || af > 0.500244140625f) { /* not within 2^-12 of a tie */
				int32_t s;
				if (af > 0.5f)
					r += f > 0 ? 1 : -1;
				s = r + n->in_zp;
				q[i] = (int8_t)(s > 127 ? 127 : s < -128 ? -128 : s);
				continue;
			}
		}
#endif
		q[i] = ti_quantize_double((double)v / (double)n->in_scale + (double)n->in_zp);
	}
	return TI_OK;
}
