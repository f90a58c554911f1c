/*
 * tinyimpulse C runtime: the raw, flatten and image blocks.
 */
#include "ti_internal.h"

size_t ti_raw_arena_size(const ti_raw_config *cfg)
{
	(void)cfg;
	return 0;
}

int ti_raw(const ti_raw_config *cfg, const ti_signal *sig, ti_real *out, void *arena, size_t arena_size)
{
	uint32_t i;
	int err;
	(void)arena;
	(void)arena_size;
	if (cfg == NULL || out == NULL)
		return TI_ERR_NULL;
	if ((err = ti_check_signal(sig, cfg->values)) != TI_OK)
		return err;
	if ((err = ti_read(sig, 0, cfg->values, out)) != TI_OK)
		return err;
	if (!cfg->unit_scale)
		for (i = 0; i < cfg->values; i++)
			out[i] = out[i] * cfg->scale;
	return TI_OK;
}

/* ---- flatten ---- */

static void ti_flatten_layout(const ti_flatten_config *cfg, ti_arena *a, ti_real **x)
{
	*x = ti_take(a, cfg->samples, sizeof(ti_real));
}

size_t ti_flatten_arena_size(const ti_flatten_config *cfg)
{
	ti_arena a = {NULL, 0};
	ti_real *x;
	ti_flatten_layout(cfg, &a, &x);
	return a.used;
}

int ti_flatten(const ti_flatten_config *cfg, const ti_signal *sig, ti_real *out, void *arena, size_t arena_size)
{
	ti_arena a;
	ti_real *x;
	uint32_t ax, i, n;
	int err;
	if (cfg == NULL || out == NULL || arena == NULL)
		return TI_ERR_NULL;
	if ((err = ti_check_signal(sig, (size_t)cfg->samples * cfg->axes)) != TI_OK)
		return err;
	if (arena_size < ti_flatten_arena_size(cfg))
		return TI_ERR_ARENA;
	a.base = arena;
	a.used = 0;
	ti_flatten_layout(cfg, &a, &x);
	n = cfg->samples;
	for (ax = 0; ax < cfg->axes; ax++) {
		ti_real mu, skew = 0, kurt = 0;
		uint32_t s;
		if ((err = ti_read_strided(sig, ax, cfg->axes, n, x)) != TI_OK)
			return err;
		for (i = 0; i < n; i++)
			x[i] = x[i] * cfg->scale;
		mu = ti_mean_r(x, n);
		for (s = 0; s < cfg->n_stats; s++) {
			if (cfg->stats[s] == TI_STAT_SKEWNESS || cfg->stats[s] == TI_STAT_KURTOSIS) {
				ti_moments_r(x, n, &skew, &kurt);
				break;
			}
		}
		for (s = 0; s < cfg->n_stats; s++) {
			ti_real v = 0;
			switch (cfg->stats[s]) {
			case TI_STAT_AVERAGE:
				v = mu;
				break;
			case TI_STAT_MINIMUM:
				v = x[0];
				for (i = 1; i < n; i++)
					if (x[i] < v)
						v = x[i];
				break;
			case TI_STAT_MAXIMUM:
				v = x[0];
				for (i = 1; i < n; i++)
					if (x[i] > v)
						v = x[i];
				break;
			case TI_STAT_RMS:
				v = ti_rms_r(x, n);
				break;
			case TI_STAT_STDEV:
				v = ti_sqrt(ti_sum_r(x, n, mu, TI_SUM_SQ) / (ti_real)n);
				break;
			case TI_STAT_SKEWNESS:
				v = skew;
				break;
			case TI_STAT_KURTOSIS:
				v = kurt;
				break;
			}
			*out++ = v;
		}
	}
	return TI_OK;
}

/* ---- image ---- */

size_t ti_image_arena_size(const ti_image_config *cfg)
{
	(void)cfg;
	return 0;
}

int ti_image(const ti_image_config *cfg, const ti_signal *sig, ti_real *out, void *arena, size_t arena_size)
{
	ti_real chunk[TI_CHUNK];
	uint32_t i = 0, j;
	int err;
	(void)arena;
	(void)arena_size;
	if (cfg == NULL || out == NULL)
		return TI_ERR_NULL;
	if ((err = ti_check_signal(sig, cfg->pixels)) != TI_OK)
		return err;
	while (i < cfg->pixels) {
		uint32_t n = cfg->pixels - i < TI_CHUNK ? cfg->pixels - i : TI_CHUNK;
		if ((err = ti_read(sig, i, n, chunk)) != TI_OK)
			return err;
		for (j = 0; j < n; j++) {
			ti_real v = chunk[j];
			uint32_t p, r, g, b;
			if (!(v >= 0 && v < (ti_real)4294967296.0))
				return TI_ERR_INPUT;
			p = (uint32_t)v;
			if ((ti_real)p != v)
				return TI_ERR_INPUT;
			r = p >> 16 & 255;
			g = p >> 8 & 255;
			b = p & 255;
			if (cfg->grayscale) {
				*out++ = cfg->gray[0] * (ti_real)r + cfg->gray[1] * (ti_real)g + cfg->gray[2] * (ti_real)b;
			} else {
				*out++ = (ti_real)r / 255;
				*out++ = (ti_real)g / 255;
				*out++ = (ti_real)b / 255;
			}
		}
		i += n;
	}
	return TI_OK;
}
