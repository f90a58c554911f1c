/*
 * tinyimpulse C runtime: a whole impulse, in the spirit of Edge Impulse's
 * run_classifier(signal_t *, ei_impulse_result_t *): the signal goes through
 * every processing block, their features (concatenated) through the
 * network and the anomaly block, and the result carries one score per
 * label, the anomaly score, the decided result and the time spent per
 * stage. One arena holds all the working memory.
 *
 * Written for tinyimpulse from its Go implementation (package impulse's
 * classification).
 */
#ifndef TI_IMPULSE_H
#define TI_IMPULSE_H

#include "ti_model.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ti_impulse;
struct ti_result;

/* A processing block's function (ti_mfcc, ...) and an anomaly block's
 * (ti_kmeans_score, ti_gmm_score), called through the generator's
 * wrappers, so that only the blocks an impulse uses are linked. */
typedef int (*ti_dsp_fn)(const void *config, const ti_signal *sig, ti_real *out, void *arena, size_t arena_size);
typedef ti_real (*ti_anomaly_fn)(const void *config, const ti_real *x);

/* The network stage: runs the impulse's network on the features at the
 * start of arena and decides the result (ti_float_network_stage or
 * ti_int8_network_stage, chosen by the generator so that a library links
 * only the one it uses). */
typedef int (*ti_network_stage)(const struct ti_impulse *imp, struct ti_result *res, void *arena);

/* A processing block of an impulse: it reads the input axes axes[0..n_axes)
 * (all of them, in order, when axes is NULL) and writes features values. */
typedef struct ti_dsp_block {
	ti_dsp_fn run;
	const void *config;
	uint32_t features;
	uint32_t arena;
	uint16_t n_axes;
	const uint16_t *axes;
} ti_dsp_block;

/* The features a learn block reads: ranges of the concatenated processing
 * blocks' features, gathered in order (no copy for one range). */
typedef struct ti_range {
	uint32_t offset, count;
} ti_range;

typedef struct ti_learn_input {
	uint16_t n_ranges;
	const ti_range *ranges;
	uint32_t features;
} ti_learn_input;

typedef struct ti_impulse {
	uint32_t input_axes;   /* axes interleaved in the signal */
	uint32_t input_length; /* the signal's total_length */
	uint16_t n_dsp;
	const ti_dsp_block *dsp;
	uint32_t features; /* all processing blocks' features */
	ti_network_stage network_stage; /* NULL without a network */
	const ti_network *network;      /* a float32 network, or NULL */
	const ti_qnetwork *qnetwork;    /* an int8 network, or NULL */
	ti_learn_input network_input;
	uint8_t regression;
	ti_anomaly_fn anomaly_score; /* NULL without an anomaly block */
	const void *anomaly;
	ti_learn_input anomaly_input;
	uint16_t n_labels;
	const char *const *labels;
	/* Below min_score the top label is uncertain; above anomaly_threshold
	 * the window is an anomaly. The float build's values are the double
	 * thresholds rounded up (min_score) and down (anomaly_threshold) to
	 * float, so that comparing a float score with them decides as
	 * comparing it in double would. */
	ti_real min_score;
	ti_real anomaly_threshold;
	uint32_t arena;            /* bytes */
} ti_impulse;

/* Decided results besides a label index. */
enum { TI_RESULT_UNCERTAIN = -1, TI_RESULT_ANOMALY = -2, TI_RESULT_NO_ANOMALY = -3, TI_RESULT_VALUE = -4 };

typedef struct ti_result {
	/* classification[i] is label i's score (n_labels values; the
	 * regression's value in classification[0]). Set by the caller. */
	float *classification;
	ti_real anomaly;
	/* a label index, or TI_RESULT_*: uncertain below min_score, anomaly
	 * above anomaly_threshold, no anomaly for an anomaly block alone, value
	 * for a regression */
	int32_t result;
	/* time per stage in the units of the clock callback (0 without one) */
	uint32_t dsp_time, classification_time, anomaly_time;
} ti_result;

/* The arena the impulse needs (imp->arena, which the generator computes). */
size_t ti_impulse_arena_size(const ti_impulse *imp);

/*
 * Runs the impulse on one window. clock, when not NULL, returns a
 * monotonic time (for example microseconds); the differences are stored in
 * the result. An int8 network's inputs are quantised with ti_quantize and
 * its outputs de-quantised, scale * (q - zero point); the decisions are
 * those of package impulse, which compares in double precision.
 * Returns TI_OK or a TI_ERR_* code (the processing blocks' codes,
 * TI_ERR_INPUT for a NaN or infinite network input or a NaN anomaly
 * score).
 */
int ti_run_classifier(const ti_impulse *imp, const ti_signal *sig, ti_result *res, void *arena, size_t arena_size, uint32_t (*clock)(void));

/* The network stages (see ti_network_stage). */
int ti_float_network_stage(const ti_impulse *imp, ti_result *res, void *arena);
int ti_int8_network_stage(const ti_impulse *imp, ti_result *res, void *arena);

#ifdef __cplusplus
}
#endif

#endif
