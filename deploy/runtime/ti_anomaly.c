/*
 * tinyimpulse C runtime: K-means and GMM anomaly scoring.
 */
#include "ti_internal.h"
#include "ti_model.h"

ti_real ti_kmeans_score(const ti_kmeans_config *c, const ti_real *x)
{
	ti_real best = 1000; /* Edge Impulse's starting minimum, which caps the score */
	uint32_t k, i, m = c->n_axes;
	for (k = 0; k < c->clusters; k++) {
		const ti_real *ctr = c->centers + (size_t)k * m;
		ti_real s = 0, d;
		for (i = 0; i < m; i++) {
			ti_real v = (x[c->axes[i]] - c->mean[i]) / c->scale[i] - ctr[i];
			s += v * v;
		}
		d = ti_sqrt(s) - c->max_error[k];
		if (d < best || d != d)
			best = d;
	}
	return best;
}

ti_real ti_gmm_score(const ti_gmm_config *c, const ti_real *x)
{
	uint32_t k, j, t, m = c->n_axes;
	ti_real cst = (ti_real)m * (ti_real)1.8378770664093454836; /* m ln(2 pi) */
	ti_real mx = 0, sum = 0, ll;
	int any = 0;
	for (k = 0; k < c->components; k++) {
		const ti_real *mu = c->means + (size_t)k * m;
		const ti_real *u = c->prec + (size_t)k * m * m;
		ti_real q = 0, lp;
		/* q = |U^T (x - mu)|^2 */
		for (j = 0; j < m; j++) {
			ti_real y = 0;
			for (t = 0; t <= j; t++)
				y += (x[c->axes[t]] - mu[t]) * u[(size_t)t * m + j];
			q += y * y;
		}
		lp = c->log_w[k] + c->log_det[k] - (ti_real)0.5 * (cst + q);
		if (lp != lp)
			return lp;
		/* streaming log-sum-exp */
		if (!any || lp > mx) {
			sum = any ? sum * ti_exp(mx - lp) + 1 : 1;
			mx = lp;
			any = 1;
		} else {
			sum += ti_exp(lp - mx);
		}
	}
	ll = mx + ti_log(sum);
	ll = (ll - c->ll_mean) / c->ll_scale;
	return ll < 0 ? -ll : ll;
}
