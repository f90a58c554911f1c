/*
 * tinyimpulse C runtime: a whole impulse.
 */
#include "ti_impulse.h"
#include "ti_internal.h"

/* A view of some axes of the impulse's signal. */
typedef struct ti_axes_view {
	const ti_signal *parent;
	uint32_t input_axes;
	const uint16_t *axes;
	uint16_t n_axes;
} ti_axes_view;

static int ti_axes_get(size_t offset, size_t length, ti_real *out, void *ctx)
{
	const ti_axes_view *v = ctx;
	ti_real row[TI_CHUNK];
	size_t i = 0;
	while (i < length) {
		size_t r = (offset + i) / v->n_axes, a = (offset + i) % v->n_axes;
		if (v->input_axes <= TI_CHUNK) {
			if (v->parent->get_data(r * v->input_axes, v->input_axes, row, v->parent->ctx) != 0)
				return -1;
			for (; a < v->n_axes && i < length; a++, i++)
				out[i] = row[v->axes[a]];
		} else {
			if (v->parent->get_data(r * v->input_axes + v->axes[a], 1, out + i, v->parent->ctx) != 0)
				return -1;
			i++;
		}
	}
	return 0;
}

/* The learn block's features: a pointer into the features for one range,
 * else gathered into scratch. */
static const ti_real *ti_gather(const ti_learn_input *in, const ti_real *features, ti_real *scratch)
{
	uint32_t r, i, k = 0;
	if (in->n_ranges == 1)
		return features + in->ranges[0].offset;
	for (r = 0; r < in->n_ranges; r++)
		for (i = 0; i < in->ranges[r].count; i++)
			scratch[k++] = features[in->ranges[r].offset + i];
	return scratch;
}

/*
 * The arena: the features, then, in turn, each processing block's arena;
 * the network stage's buffers (ti_net_layout); the anomaly block's
 * gathered input.
 */
typedef struct ti_net_bufs {
	ti_real *gather;   /* the network's input, gathered (more than one range) */
	float *in;         /* float32 network, double build: its float32 input */
	int8_t *q_in, *q_out;
	void *arena;
} ti_net_bufs;

/* Lays out the network stage's buffers after the features in a (the
 * arena's state once the features are taken). */
static void ti_net_layout(const ti_impulse *imp, ti_arena *a, ti_net_bufs *b)
{
	uint32_t nf = imp->network_input.features;
	b->gather = ti_take(a, imp->network_input.n_ranges == 1 ? 0 : nf, sizeof(ti_real));
	b->in = NULL;
	b->q_in = b->q_out = NULL;
	if (imp->qnetwork) {
		b->q_in = ti_take(a, imp->qnetwork->inputs, 1);
		b->q_out = ti_take(a, imp->qnetwork->outputs, 1);
		b->arena = ti_take(a, imp->qnetwork->arena, 1);
	} else if (imp->network) {
		b->in = ti_take(a, TI_DSP_DOUBLE ? nf : 0, sizeof(float));
		b->arena = ti_take(a, imp->network->arena, 1);
	}
}

/* The arena after the features. */
static ti_arena ti_after_features(const ti_impulse *imp, unsigned char *base)
{
	ti_arena a = {base, 0};
	ti_take(&a, imp->features, sizeof(ti_real));
	return a;
}

static size_t ti_impulse_layout(const ti_impulse *imp, unsigned char *base, ti_real **features, void **dsp, ti_real **an_gather)
{
	ti_arena a = ti_after_features(imp, base), t;
	size_t need = a.used;
	uint32_t k;
	*features = (ti_real *)(void *)base;
	t = a;
	*dsp = ti_take(&t, 0, 1);
	for (k = 0; k < imp->n_dsp; k++) {
		ti_arena d = t;
		ti_take(&d, imp->dsp[k].arena, 1);
		if (d.used > need)
			need = d.used;
	}
	if (imp->network || imp->qnetwork) {
		ti_net_bufs nb;
		t = a;
		ti_net_layout(imp, &t, &nb);
		if (t.used > need)
			need = t.used;
	}
	*an_gather = NULL;
	if (imp->anomaly_score) {
		t = a;
		*an_gather = ti_take(&t, imp->anomaly_input.n_ranges == 1 ? 0 : imp->anomaly_input.features, sizeof(ti_real));
		if (t.used > need)
			need = t.used;
	}
	return need;
}

size_t ti_impulse_arena_size(const ti_impulse *imp)
{
	ti_real *f, *g;
	void *d;
	return ti_impulse_layout(imp, NULL, &f, &d, &g);
}

int ti_float_network_stage(const ti_impulse *imp, ti_result *res, void *arena)
{
	ti_arena a = ti_after_features(imp, arena);
	ti_net_bufs b;
	const ti_real *x;
	const float *xf;
	uint32_t i, best = 0;
	int err;
	ti_net_layout(imp, &a, &b);
	x = ti_gather(&imp->network_input, (const ti_real *)arena, b.gather);
#if TI_DSP_DOUBLE
	for (i = 0; i < imp->network_input.features; i++)
		b.in[i] = (float)x[i];
	xf = b.in;
#else
	xf = x;
#endif
	if ((err = ti_network_run(imp->network, xf, res->classification, b.arena, imp->network->arena)) != TI_OK)
		return err;
	if (imp->regression) {
		res->result = TI_RESULT_VALUE;
		return TI_OK;
	}
	for (i = 1; i < imp->n_labels; i++)
		if (res->classification[i] > res->classification[best])
			best = i;
	/* (ti_real)score < min_score exactly when the double score is below
	 * the double threshold (the generator rounds min_score up) */
	res->result = (ti_real)res->classification[best] < imp->min_score ? TI_RESULT_UNCERTAIN : (int32_t)best;
	return TI_OK;
}

int ti_int8_network_stage(const ti_impulse *imp, ti_result *res, void *arena)
{
	const ti_qnetwork *qn = imp->qnetwork;
	ti_arena a = ti_after_features(imp, arena);
	ti_net_bufs b;
	uint32_t i, best = 0;
	int err;
	ti_net_layout(imp, &a, &b);
	if ((err = ti_quantize(qn, ti_gather(&imp->network_input, (const ti_real *)arena, b.gather), b.q_in)) != TI_OK)
		return err;
	if ((err = ti_qnetwork_run(qn, b.q_in, b.q_out, b.arena, qn->arena)) != TI_OK)
		return err;
	/* the float32 rounding of the exact product, as package learn's
	 * float64 Dequantize rounded to float32 */
	for (i = 0; i < qn->outputs; i++)
		res->classification[i] = qn->out_scale * (float)((int32_t)b.q_out[i] - qn->out_zp);
	if (imp->regression) {
		res->result = TI_RESULT_VALUE;
		return TI_OK;
	}
	for (i = 1; i < imp->n_labels; i++)
		if (b.q_out[i] > b.q_out[best])
			best = i;
	/* a classifier ends in SOFTMAX, whose scores k/256 are exact */
	res->result = (ti_real)res->classification[best] < imp->min_score ? TI_RESULT_UNCERTAIN : (int32_t)best;
	return TI_OK;
}

int ti_run_classifier(const ti_impulse *imp, const ti_signal *sig, ti_result *res, void *arena, size_t arena_size, uint32_t (*clock)(void))
{
	ti_real *features, *an_gather;
	void *dsp;
	uint32_t t0 = 0, k, off = 0;
	int err;
	if (imp == NULL || res == NULL || (imp->network_stage != NULL && res->classification == NULL) || arena == NULL)
		return TI_ERR_NULL;
	if ((err = ti_check_signal(sig, imp->input_length)) != TI_OK)
		return err;
	if (arena_size < ti_impulse_arena_size(imp))
		return TI_ERR_ARENA;
	ti_impulse_layout(imp, arena, &features, &dsp, &an_gather);
	res->dsp_time = res->classification_time = res->anomaly_time = 0;
	res->anomaly = 0;
	res->result = TI_RESULT_UNCERTAIN;

	/* processing blocks */
	if (clock)
		t0 = clock();
	for (k = 0; k < imp->n_dsp; k++) {
		const ti_dsp_block *d = &imp->dsp[k];
		ti_signal view;
		ti_axes_view v;
		const ti_signal *s = sig;
		if (d->axes != NULL) {
			v.parent = sig;
			v.input_axes = imp->input_axes;
			v.axes = d->axes;
			v.n_axes = d->n_axes;
			view.total_length = imp->input_length / imp->input_axes * d->n_axes;
			view.get_data = ti_axes_get;
			view.ctx = &v;
			s = &view;
		}
		if ((err = d->run(d->config, s, features + off, dsp, d->arena)) != TI_OK)
			return err;
		off += d->features;
	}
	if (clock)
		res->dsp_time = clock() - t0;

	/* the network */
	if (imp->network_stage) {
		if (clock)
			t0 = clock();
		if ((err = imp->network_stage(imp, res, arena)) != TI_OK)
			return err;
		if (clock)
			res->classification_time = clock() - t0;
	}

	/* the anomaly block */
	if (imp->anomaly_score) {
		const ti_real *x;
		ti_real score;
		if (clock)
			t0 = clock();
		x = ti_gather(&imp->anomaly_input, features, an_gather);
		score = imp->anomaly_score(imp->anomaly, x);
		if (clock)
			res->anomaly_time = clock() - t0;
		if (score != score)
			return TI_ERR_INPUT;
		res->anomaly = score;
		if (imp->network_stage == NULL)
			res->result = TI_RESULT_NO_ANOMALY;
		/* exactly when the double score is above the double threshold
		 * (the generator rounds anomaly_threshold down) */
		if (score > imp->anomaly_threshold)
			res->result = TI_RESULT_ANOMALY;
	}
	return TI_OK;
}
