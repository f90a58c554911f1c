/*
 * tinyimpulse C runtime: learn blocks. float32 network kernels run a network
 * compiled from learn.Graph (TensorFlow Lite's layout: NHWC activations,
 * weights (out, kh, kw, in), SAME padding) as a list of operators over one
 * arena; K-means and GMM anomaly blocks score the features as package
 * anomaly does.
 *
 * Written for tinyimpulse from its Go implementation (packages learn and
 * anomaly).
 */
#ifndef TI_MODEL_H
#define TI_MODEL_H

#include "ti_dsp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Network operators. */
enum { TI_OP_FULLY_CONNECTED, TI_OP_CONV_2D, TI_OP_DEPTHWISE_CONV_2D, TI_OP_MAX_POOL_2D, TI_OP_RESHAPE, TI_OP_SOFTMAX };

/* Where an operator's input or output lives: TI_AT_INPUT is the network's
 * input; any other value is a byte offset into the arena. */
#define TI_AT_INPUT 0xFFFFFFFFu

typedef struct ti_op ti_op;

/* A float32 kernel: computes operator op from x into y. The generator
 * points each operator at its kernel, so that a library links only the
 * kernels its network uses. */
typedef void (*ti_kernel)(const ti_op *op, const float *x, float *y);

struct ti_op {
	ti_kernel run; /* NULL for RESHAPE: the output aliases the input */
	uint8_t kind;
	uint8_t relu;
	uint16_t kh, kw, sh, sw;
	uint32_t in_h, in_w, in_c;   /* input shape (1, h, w, c); fully connected: (1, 1, 1, inputs) */
	uint32_t out_h, out_w, out_c;
	const float *w, *b;
	uint32_t src, dst;           /* TI_AT_INPUT or arena byte offsets */
};

void ti_fully_connected(const ti_op *op, const float *x, float *y);
void ti_conv_2d(const ti_op *op, const float *x, float *y);
void ti_depthwise_conv_2d(const ti_op *op, const float *x, float *y);
void ti_max_pool_2d(const ti_op *op, const float *x, float *y);
void ti_softmax(const ti_op *op, const float *x, float *y);

typedef struct ti_network {
	uint16_t n_ops;
	const ti_op *ops;
	uint32_t inputs, outputs;
	uint32_t arena; /* bytes of working memory */
} ti_network;

/* Runs the network on input (inputs values) and writes its outputs
 * (softmax scores, or the regression value). */
int ti_network_run(const ti_network *n, const float *input, float *out, void *arena, size_t arena_size);

/*
 * int8 networks (TensorFlow Lite's full-integer quantisation, computed as
 * package learn's Int8Network computes it, bit for bit): int8 activations
 * with one scale and zero point each, int32 accumulators, and a fixed-point
 * requantisation per output channel, y = clamp(MBQM(acc, mult, shift) +
 * out_zp, act_min, act_max), where MBQM is TensorFlow Lite's
 * MultiplyByQuantizedMultiplier whose final right shift rounds halves up
 * (half_up: FULLY_CONNECTED and CONV_2D) or away from zero
 * (DEPTHWISE_CONV_2D).
 *
 * Weights. FULLY_CONNECTED and CONV_2D weights are packed by pairs of
 * output channels: for channels 2p and 2p+1 (a zero channel when out_c is
 * odd), ceil(k/4) groups of two 32-bit words, each holding four
 * consecutive weights of one channel (weight 4g+j in bits 8j..8j+7, k =
 * kh*kw*in_c, zeros past k). Their biases are folded, b - in_zp * sum(w),
 * so the kernels accumulate x * w and SAME padding reads in_zp.
 * DEPTHWISE_CONV_2D weights are int8 (kh, kw, c) with plain biases.
 * SOFTMAX reads its exponential table (256 floats, see learn's
 * Operator.SoftmaxTable). Where __ARM_FEATURE_DSP is defined the
 * accumulations use the Cortex-M4's dual 16-bit multiply-accumulate
 * (__smlad on pairs sign-extended with __sxtb16); integer sums are exact,
 * so both paths give the same bits.
 */
typedef struct ti_qop ti_qop;

/* An int8 kernel: computes operator op from x into y, with scratch memory
 * in the network's arena. */
typedef void (*ti_qkernel)(const ti_qop *op, const int8_t *x, int8_t *y, unsigned char *arena);

struct ti_qop {
	ti_qkernel run; /* NULL for RESHAPE: the output aliases the input */
	uint8_t kind;
	uint8_t half_up;
	uint16_t kh, kw, sh, sw;
	uint32_t in_h, in_w, in_c;
	uint32_t out_h, out_w, out_c;
	int32_t in_zp, out_zp;
	int32_t act_min, act_max;
	const void *w;          /* packed uint32_t words, or int8_t (depthwise) */
	const int32_t *b;
	const int32_t *mult;    /* out_c Q31 multipliers */
	const int8_t *shift;    /* out_c exponents */
	const int64_t *round;   /* out_c rounding constants 2^30 + 2^(30-shift), or NULL when a shift is >= 0 */
	const float *table;     /* SOFTMAX */
	uint32_t src, dst;      /* TI_AT_INPUT or arena byte offsets */
	uint32_t scratch;       /* arena byte offset of the im2col columns (CONV_2D) */
};

void ti_q_fully_connected(const ti_qop *op, const int8_t *x, int8_t *y, unsigned char *arena);
void ti_q_conv_2d(const ti_qop *op, const int8_t *x, int8_t *y, unsigned char *arena);
void ti_q_depthwise_conv_2d(const ti_qop *op, const int8_t *x, int8_t *y, unsigned char *arena);
void ti_q_max_pool_2d(const ti_qop *op, const int8_t *x, int8_t *y, unsigned char *arena);
void ti_q_softmax(const ti_qop *op, const int8_t *x, int8_t *y, unsigned char *arena);

typedef struct ti_qnetwork {
	uint16_t n_ops;
	const ti_qop *ops;
	uint32_t inputs, outputs;
	uint32_t arena; /* bytes of working memory */
	/* the input and output tensors' quantisation */
	float in_scale, out_scale;
	int32_t in_zp, out_zp;
} ti_qnetwork;

/* Runs the int8 network on input (inputs values) and writes its int8
 * outputs. */
int ti_qnetwork_run(const ti_qnetwork *n, const int8_t *input, int8_t *out, void *arena, size_t arena_size);

/* Quantises features as package learn does, clamp(round_half_even(x /
 * in_scale + in_zp)), with x / in_scale and the sum in double precision
 * (the float build does them in float and falls back to double only within
 * 2^-12 of a rounding tie, which gives the same result). Returns
 * TI_ERR_INPUT for a NaN or infinite feature. */
int ti_quantize(const ti_qnetwork *n, const ti_real *x, int8_t *q);

/* K-means: z_i = (x[axes[i]] - mean_i) / scale_i, score =
 * min(1000, min_k ||z - center_k|| - max_error_k). */
typedef struct ti_kmeans_config {
	uint32_t features;
	uint32_t n_axes, clusters;
	const uint32_t *axes;
	const ti_real *mean, *scale;
	const ti_real *centers;   /* clusters x n_axes */
	const ti_real *max_error; /* clusters */
} ti_kmeans_config;

/* GMM: ll = ln sum_k w_k N(x[axes] | mu_k, Sigma_k), score =
 * |(ll - ll_mean) / ll_scale|, with the precision's Cholesky factor U_k
 * (Sigma_k^-1 = U_k U_k^T, upper triangular, row-major). */
typedef struct ti_gmm_config {
	uint32_t features;
	uint32_t n_axes, components;
	const uint32_t *axes;
	const ti_real *means;   /* components x n_axes */
	const ti_real *prec;    /* components x n_axes x n_axes */
	const ti_real *log_w;   /* ln w_k */
	const ti_real *log_det; /* sum of ln diag U_k */
	ti_real ll_mean, ll_scale;
} ti_gmm_config;

/* The scores of one feature vector x (features values); NaN in a read
 * feature gives NaN. */
ti_real ti_kmeans_score(const ti_kmeans_config *c, const ti_real *x);
ti_real ti_gmm_score(const ti_gmm_config *c, const ti_real *x);

#ifdef __cplusplus
}
#endif

#endif
