/*
 * tinyimpulse C runtime: float32 network kernels.
 */
#include "ti_internal.h"
#include "ti_model.h"

static const float *ti_at(uint32_t where, const float *input, unsigned char *arena)
{
	return where == TI_AT_INPUT ? input : (const float *)(const void *)(arena + where);
}

/* TensorFlow's SAME padding: the padding before the first row (column). */
static int32_t ti_pad_before(uint32_t in, uint32_t out, uint32_t k, uint32_t s)
{
	int32_t total = ((int32_t)out - 1) * (int32_t)s + (int32_t)k - (int32_t)in;
	return total > 0 ? total / 2 : 0;
}

void ti_fully_connected(const ti_op *op, const float *x, float *y)
{
	uint32_t o, i, n = op->in_c;
	for (o = 0; o < op->out_c; o++) {
		const float *w = op->w + (size_t)o * n;
		float acc = op->b[o];
		for (i = 0; i < n; i++)
			acc += x[i] * w[i];
		y[o] = op->relu && acc < 0 ? 0 : acc;
	}
}

static void ti_conv(const ti_op *op, const float *x, float *y, int depthwise)
{
	int32_t ph = ti_pad_before(op->in_h, op->out_h, op->kh, op->sh);
	int32_t pw = ti_pad_before(op->in_w, op->out_w, op->kw, op->sw);
	uint32_t oy, ox, o, dy, dx, c, cin = op->in_c, cout = op->out_c;
	for (oy = 0; oy < op->out_h; oy++) {
		for (ox = 0; ox < op->out_w; ox++) {
			float *out = y + ((size_t)oy * op->out_w + ox) * cout;
			for (o = 0; o < cout; o++) {
				float acc = op->b[o];
				for (dy = 0; dy < op->kh; dy++) {
					int32_t iy = (int32_t)(oy * op->sh + dy) - ph;
					if (iy < 0 || iy >= (int32_t)op->in_h)
						continue;
					for (dx = 0; dx < op->kw; dx++) {
						int32_t ix = (int32_t)(ox * op->sw + dx) - pw;
						const float *in;
						if (ix < 0 || ix >= (int32_t)op->in_w)
							continue;
						in = x + ((size_t)iy * op->in_w + (uint32_t)ix) * cin;
						if (depthwise) {
							acc += in[o] * op->w[((size_t)dy * op->kw + dx) * cout + o];
						} else {
							const float *w = op->w + (((size_t)o * op->kh + dy) * op->kw + dx) * cin;
							for (c = 0; c < cin; c++)
								acc += in[c] * w[c];
						}
					}
				}
				out[o] = op->relu && acc < 0 ? 0 : acc;
			}
		}
	}
}

void ti_max_pool_2d(const ti_op *op, const float *x, float *y)
{
	int32_t ph = ti_pad_before(op->in_h, op->out_h, op->kh, op->sh);
	int32_t pw = ti_pad_before(op->in_w, op->out_w, op->kw, op->sw);
	uint32_t oy, ox, c, dy, dx;
	for (oy = 0; oy < op->out_h; oy++)
		for (ox = 0; ox < op->out_w; ox++)
			for (c = 0; c < op->out_c; c++) {
				int first = 1;
				float m = 0;
				for (dy = 0; dy < op->kh; dy++)
					for (dx = 0; dx < op->kw; dx++) {
						int32_t iy = (int32_t)(oy * op->sh + dy) - ph, ix = (int32_t)(ox * op->sw + dx) - pw;
						float v;
						if (iy < 0 || iy >= (int32_t)op->in_h || ix < 0 || ix >= (int32_t)op->in_w)
							continue;
						v = x[((size_t)iy * op->in_w + (uint32_t)ix) * op->in_c + c];
						if (first || v > m) {
							m = v;
							first = 0;
						}
					}
				y[((size_t)oy * op->out_w + ox) * op->out_c + c] = m;
			}
}

void ti_conv_2d(const ti_op *op, const float *x, float *y)
{
	ti_conv(op, x, y, 0);
}

void ti_depthwise_conv_2d(const ti_op *op, const float *x, float *y)
{
	ti_conv(op, x, y, 1);
}

/* exp(z - max) / sum, the exponentials and their sum in ti_real. */
void ti_softmax(const ti_op *op, const float *x, float *y)
{
	uint32_t n = op->out_c;
	uint32_t i;
	float m = x[0];
	ti_real s = 0;
	for (i = 1; i < n; i++)
		if (x[i] > m)
			m = x[i];
	for (i = 0; i < n; i++) {
		ti_real e = ti_exp((ti_real)(x[i] - m));
		y[i] = (float)e;
		s += e;
	}
	for (i = 0; i < n; i++)
		y[i] = (float)((ti_real)y[i] / s);
}

int ti_network_run(const ti_network *n, const float *input, float *out, void *arena, size_t arena_size)
{
	unsigned char *a = arena;
	const float *last = input;
	uint32_t k, i;
	if (n == NULL || input == NULL || out == NULL || (arena == NULL && n->arena > 0))
		return TI_ERR_NULL;
	if (arena_size < n->arena)
		return TI_ERR_ARENA;
	for (i = 0; i < n->inputs; i++)
		if (!(input[i] - input[i] == 0))
			return TI_ERR_INPUT;
	for (k = 0; k < n->n_ops; k++) {
		const ti_op *op = &n->ops[k];
		const float *x = ti_at(op->src, input, a);
		float *y = (float *)(void *)(a + op->dst);
		TI_PROF(k, 0);
		if (op->run != NULL)
			op->run(op, x, y);
		else
			y = (float *)(void *)x; /* RESHAPE: the output aliases the input */
		TI_PROF(k, 1);
		last = y;
	}
	for (i = 0; i < n->outputs; i++)
		out[i] = last[i];
	return TI_OK;
}
