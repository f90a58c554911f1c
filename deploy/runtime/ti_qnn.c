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
static inline int32_t ti_sxtab16_odd(uint32_t a, uint32_t x)
{
	int32_t r;
	__asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
	return r;
}
#else
#define ti_sxtb16_odd(x) __sxtb16(((x) >> 8) | ((x) << 24))
#define ti_sxtab16_odd(a, x) __sxtab16((a), ((x) >> 8) | ((x) << 24))
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
 * The requantisation of an operator's outputs, copied out of the operator
 * so that the compiler keeps it in registers (stores to int8 outputs may
 * alias anything it would otherwise have to reload).
 */
typedef struct ti_rq {
	const int32_t *mult;
	const int8_t *shift;
	const int64_t *round;
	int32_t zp, lo, hi;
	int half_up;
} ti_rq;

static ti_rq ti_rq_of(const ti_qop *op)
{
	ti_rq q;
	q.mult = op->mult;
	q.shift = op->shift;
	q.round = op->round;
	q.zp = op->out_zp;
	q.lo = op->act_min;
	q.hi = op->act_max;
	q.half_up = op->half_up;
	return q;
}

/*
 * TensorFlow Lite's MultiplyByQuantizedMultiplier for output channel o, the
 * zero point and the clamp. The saturating rounding doubling high multiply
 * needs no saturation (multipliers are non-negative) and is (ab + 2^30) >>
 * 31, floor division, for either sign of ab = acc * mult. With a right
 * shift e >= 1 both roundings fuse into one: half up is (ab + 2^30 +
 * 2^(30+e)) >> (31+e), half away from zero the same less 2^31 when ab <
 * -2^30; the generator precomputes round[o] = 2^30 + 2^(30+e). Signed
 * right shifts are arithmetic (as every C compiler for these targets makes
 * them).
 */
static inline int8_t ti_requant(ti_rq q, int32_t acc, uint32_t o)
{
	int32_t r, v;
	if (q.round) {
		int64_t ab = (int64_t)acc * q.mult[o], t = q.round[o] + ab;
		if (!q.half_up && ab < -((int64_t)1 << 30))
			t -= (int64_t)1 << 31;
		r = (int32_t)(t >> 32) >> (-q.shift[o] - 1);
	} else {
		int32_t shift = q.shift[o], right = shift > 0 ? 0 : -shift;
		int64_t ab;
		if (shift > 0)
			acc = (int32_t)((uint32_t)acc << shift);
		ab = (int64_t)acc * q.mult[o];
		r = (int32_t)((ab + ((int64_t)1 << 30)) >> 31);
		if (right > 0) {
			if (q.half_up)
				r = (int32_t)(((int64_t)r + ((int64_t)1 << (right - 1))) >> right);
			else
				r = (int32_t)(((int64_t)r + ((int64_t)1 << (right - 1)) - (r < 0)) >> right);
		}
	}
	v = (int32_t)((uint32_t)r + (uint32_t)q.zp);
	if (v < q.lo)
		v = q.lo;
	if (v > q.hi)
		v = q.hi;
	return (int8_t)v;
}

/* TensorFlow's SAME padding: the padding before the first row (column). */
static int32_t ti_qpad(uint32_t in, uint32_t out, uint32_t k, uint32_t s)
{
	int32_t total = ((int32_t)out - 1) * (int32_t)s + (int32_t)k - (int32_t)in;
	return total > 0 ? total / 2 : 0;
}

void ti_q_fully_connected(const ti_qop *op, const int8_t *x, int8_t *y, unsigned char *arena)
{
	(void)arena;
	ti_rq q = ti_rq_of(op);
	uint32_t k = op->in_c, words = 2u * ((k + 3u) >> 2), o, cout = op->out_c;
	const uint32_t *w = op->w;
	const int32_t *b = op->b;
	for (o = 0; o < cout; o += 2, w += words) {
		int32_t a[2];
		int pair = o + 1 < cout;
		a[0] = b[o];
		a[1] = pair ? b[o + 1] : 0;
		ti_mac_2x1(w, x, k, a);
		y[o] = ti_requant(q, a[0], o);
		if (pair)
			y[o + 1] = ti_requant(q, a[1], o + 1);
	}
}

/*
 * The column of output pixel p (kh*kw*in_c values in the weights' order):
 * a pointer into x when the window lies inside the input and is contiguous
 * there, else a copy in buf with the zero point as padding.
 */
static const int8_t *ti_column(const ti_qop *op, const int8_t *x, uint32_t p, int8_t *buf, int32_t ph, int32_t pw)
{
	uint32_t oy, ox, dy, cin = op->in_c, run = op->kw * cin;
	int32_t iy0, ix0, ix1;
	unsigned char zp = (unsigned char)(op->in_zp & 0xff);
	int8_t *c = buf;
	if (op->kh == 1 && op->kw == 1 && op->sh == 1 && op->sw == 1)
		return x + (size_t)p * cin;
	oy = p / op->out_w;
	ox = p % op->out_w;
	iy0 = (int32_t)(oy * op->sh) - ph;
	ix0 = (int32_t)(ox * op->sw) - pw;
	ix1 = ix0 + (int32_t)op->kw;
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

void ti_q_conv_2d(const ti_qop *op, const int8_t *x, int8_t *y, unsigned char *arena)
{
	int8_t *cols = (int8_t *)(arena + op->scratch);
	ti_rq q = ti_rq_of(op);
	int32_t ph = ti_qpad(op->in_h, op->out_h, op->kh, op->sh), pw = ti_qpad(op->in_w, op->out_w, op->kw, op->sw);
	uint32_t k = op->kh * op->kw * op->in_c, words = 2u * ((k + 3u) >> 2), cout = op->out_c;
	uint32_t npix = op->out_h * op->out_w, p, o;
	const uint32_t *w0 = op->w;
	const int32_t *b = op->b;
	for (p = 0; p < npix; p += 2) {
		const uint32_t *w = w0;
		const int8_t *c0 = ti_column(op, x, p, cols, ph, pw);
		int8_t *y0 = y + (size_t)p * cout;
		if (p + 1 < npix) {
			const int8_t *c1 = ti_column(op, x, p + 1, cols + k, ph, pw);
			int8_t *y1 = y0 + cout;
			for (o = 0; o < cout; o += 2, w += words) {
				int32_t a[4];
				int pair = o + 1 < cout;
				a[0] = a[1] = b[o];
				a[2] = a[3] = pair ? b[o + 1] : 0;
				ti_mac_2x2(w, c0, c1, k, a);
				y0[o] = ti_requant(q, a[0], o);
				y1[o] = ti_requant(q, a[1], o);
				if (pair) {
					y0[o + 1] = ti_requant(q, a[2], o + 1);
					y1[o + 1] = ti_requant(q, a[3], o + 1);
				}
			}
		} else {
			for (o = 0; o < cout; o += 2, w += words) {
				int32_t a[2];
				int pair = o + 1 < cout;
				a[0] = b[o];
				a[1] = pair ? b[o + 1] : 0;
				ti_mac_2x1(w, c0, k, a);
				y0[o] = ti_requant(q, a[0], o);
				if (pair)
					y0[o + 1] = ti_requant(q, a[1], o + 1);
			}
		}
	}
}

#if defined(__GNUC__)
#define TI_NOINLINE __attribute__((noinline))
#else
#define TI_NOINLINE
#endif

/*
 * Four channels of one depthwise output pixel: a[j] += sum (x - zp) w over
 * ny rows of nx taps, x0 and w0 the first tap's channel 0 (with the DSP
 * extension: the zero point subtracted by __sxtab16, the products
 * accumulated by __smlabb and __smlatt, one 16-bit half per channel). Kept
 * out of line so that its loop has the registers to itself.
 */
static TI_NOINLINE void ti_dw4(const int8_t *x0, const int8_t *w0, uint32_t ny, uint32_t nx, size_t xrow, size_t wrow,
			       size_t c, int32_t zp, int32_t *a)
{
	int32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
	uint32_t dy;
#if TI_SIMD
	uint32_t nzp = ((uint32_t)-zp & 0xffffu) * 0x10001u;
#endif
	for (dy = 0; dy < ny; dy++, x0 += xrow, w0 += wrow) {
		const int8_t *xp = x0, *wp = w0, *end = x0 + nx * c;
		while (xp != end) {
#if TI_SIMD
			uint32_t xv = ti_load4(xp), wv = ti_load4(wp);
			int32_t xe = __sxtab16(nzp, xv), xo = ti_sxtab16_odd(nzp, xv);
			int32_t we = __sxtb16(wv), wo = ti_sxtb16_odd(wv);
			a0 = __smlabb(xe, we, a0);
			a2 = __smlatt(xe, we, a2);
			a1 = __smlabb(xo, wo, a1);
			a3 = __smlatt(xo, wo, a3);
#else
			a0 += ((int32_t)xp[0] - zp) * wp[0];
			a1 += ((int32_t)xp[1] - zp) * wp[1];
			a2 += ((int32_t)xp[2] - zp) * wp[2];
			a3 += ((int32_t)xp[3] - zp) * wp[3];
#endif
			xp += c;
			wp += c;
		}
	}
	a[0] = a0;
	a[1] = a1;
	a[2] = a2;
	a[3] = a3;
}

/* Depthwise convolution, depth multiplier 1: acc = b + sum (x - zp) w over
 * the window's taps inside the input. */
void ti_q_depthwise_conv_2d(const ti_qop *op, const int8_t *x, int8_t *y, unsigned char *arena)
{
	(void)arena;
	ti_rq q = ti_rq_of(op);
	const int8_t *w = op->w;
	const int32_t *b = op->b;
	uint32_t c = op->out_c, ch, oy, ox, dy, dx, kw = op->kw;
	int32_t zp = op->in_zp;
	int32_t ph = ti_qpad(op->in_h, op->out_h, op->kh, op->sh), pw = ti_qpad(op->in_w, op->out_w, op->kw, op->sw);
	size_t row = (size_t)op->in_w * c, wrow = (size_t)kw * c;
	for (oy = 0; oy < op->out_h; oy++) {
		int32_t iy0 = (int32_t)(oy * op->sh) - ph;
		uint32_t dy0 = iy0 < 0 ? (uint32_t)-iy0 : 0, dy1 = op->kh;
		if (iy0 + (int32_t)op->kh > (int32_t)op->in_h)
			dy1 = (uint32_t)((int32_t)op->in_h - iy0);
		for (ox = 0; ox < op->out_w; ox++, y += c) {
			int32_t ix0 = (int32_t)(ox * op->sw) - pw;
			uint32_t dx0 = ix0 < 0 ? (uint32_t)-ix0 : 0, dx1 = kw;
			const int8_t *x0, *w0;
			if (ix0 + (int32_t)kw > (int32_t)op->in_w)
				dx1 = (uint32_t)((int32_t)op->in_w - ix0);
			/* the first valid tap */
			x0 = x + (size_t)(iy0 + (int32_t)dy0) * row + (size_t)(ix0 + (int32_t)dx0) * c;
			w0 = w + ((size_t)dy0 * kw + dx0) * c;
			for (ch = 0; ch + 4 <= c; ch += 4) {
				int32_t a[4];
				a[0] = b[ch];
				a[1] = b[ch + 1];
				a[2] = b[ch + 2];
				a[3] = b[ch + 3];
				ti_dw4(x0 + ch, w0 + ch, dy1 - dy0, dx1 - dx0, row, wrow, c, zp, a);
				y[ch] = ti_requant(q, a[0], ch);
				y[ch + 1] = ti_requant(q, a[1], ch + 1);
				y[ch + 2] = ti_requant(q, a[2], ch + 2);
				y[ch + 3] = ti_requant(q, a[3], ch + 3);
			}
			for (; ch < c; ch++) {
				int32_t acc = b[ch];
				for (dy = dy0; dy < dy1; dy++) {
					const int8_t *xp = x0 + (dy - dy0) * row + ch, *wp = w0 + (dy - dy0) * wrow + ch;
					for (dx = dx0; dx < dx1; dx++, xp += c, wp += c)
						acc += ((int32_t)*xp - zp) * *wp;
				}
				y[ch] = ti_requant(q, acc, ch);
			}
		}
	}
}

void ti_q_max_pool_2d(const ti_qop *op, const int8_t *x, int8_t *y, unsigned char *arena)
{
	(void)arena;
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
void ti_q_softmax(const ti_qop *op, const int8_t *x, int8_t *y, unsigned char *arena)
{
	(void)arena;
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
		TI_PROF(k, 0);
		if (op->run != NULL)
			op->run(op, x, y, a);
		else
			y = (int8_t *)x; /* RESHAPE: the output aliases the input */
		TI_PROF(k, 1);
		last = y;
	}
	memcpy(out, last, n->outputs);
	return TI_OK;
}

static int8_t ti_clamp8(int32_t v)
{
	return (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
}

#if TI_DSP_DOUBLE
/* round_half_even(x / scale + zp), clamped, in double precision as package
 * learn computes it. */
static int8_t ti_quantize_one(double x, double scale, int32_t zp)
{
	double t = x / scale + (double)zp, f;
	int32_t i;
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
	return ti_clamp8(i);
}
#else
/* The mantissa m and exponent e of a finite float, x = m 2^e (m < 2^24). */
static uint32_t ti_float_parts(float x, int32_t *e)
{
	union {
		float f;
		uint32_t u;
	} v;
	uint32_t b, m;
	v.f = x;
	b = (v.u >> 23) & 0xffu;
	m = v.u & 0x7fffffu;
	if (b == 0)
		b = 1; /* subnormal */
	else
		m |= 0x800000u;
	*e = (int32_t)b - 150;
	return m;
}

/* The sign of |x| - (h / 2) s, exactly (h odd, h < 2^11; |x| and (h/2) s
 * within a factor 2 of each other), in integers: |x| = mx 2^ex and s = ms
 * 2^es give the comparison of mx 2^(ex - es + 1) with h ms. */
static int ti_compare_tie(float x, uint32_t h, float s)
{
	int32_t ex, es, d;
	uint64_t l = ti_float_parts(x < 0 ? -x : x, &ex), r = (uint64_t)h * ti_float_parts(s, &es);
	d = ex - es + 1;
	if (d >= 0) {
		if (d > 38)
			return 1;
		l <<= d;
	} else {
		if (d < -26)
			return -1;
		r <<= -d;
	}
	return l > r ? 1 : l < r ? -1 : 0;
}

/*
 * round_half_even(x / scale + zp), clamped, as package learn computes it in
 * double precision, in float arithmetic: the float quotient decides unless
 * it lies within 2^-12 of a tie (k + 1/2), where an exact integer
 * comparison of x with (k + 1/2) scale decides (x / scale, both floats,
 * cannot be within 2^-33 of a tie without being one, so double rounding
 * gives the exact answer too).
 */
static int8_t ti_quantize_one(float x, float scale, int32_t zp)
{
	float t = x / scale, d;
	int32_t k, c;
	if (t > 512.0f || t < -512.0f)
		return (int8_t)(t > 0 ? 127 : -128);
	k = (int32_t)t;
	if ((float)k > t)
		k--; /* floor */
	d = t - ((float)k + 0.5f); /* exact */
	if (d > 0.000244140625f || d < -0.000244140625f)
		return ti_clamp8(k + (d > 0) + zp);
	/* x / scale against the tie k + 1/2: h = |2k + 1| */
	c = ti_compare_tie(x, (uint32_t)(2 * k + 1 < 0 ? -(2 * k + 1) : 2 * k + 1), scale);
	if (k < 0)
		c = -c;
	if (c > 0)
		k++;
	else if (c == 0 && ((k + zp) & 1))
		k++; /* a tie: the even one of k + zp and k + 1 + zp */
	return ti_clamp8(k + zp);
}
#endif

int ti_quantize(const ti_qnetwork *n, const ti_real *x, int8_t *q)
{
	uint32_t i;
	if (n == NULL || x == NULL || q == NULL)
		return TI_ERR_NULL;
	for (i = 0; i < n->inputs; i++) {
		ti_real v = x[i];
		if (!(v - v == 0))
			return TI_ERR_INPUT;
#if TI_DSP_DOUBLE
		q[i] = ti_quantize_one(v, (double)n->in_scale, n->in_zp);
#else
		q[i] = ti_quantize_one(v, n->in_scale, n->in_zp);
#endif
	}
	return TI_OK;
}
