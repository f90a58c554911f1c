/*
 * Test driver for a generated C library (deploy's tests), built with the
 * library's sources as they are and its header given with -include: runs
 * run_classifier, the library's public API, on windows read from stdin,
 * and first, on the first window, every kind of bad input.
 *
 * Input, repeated: uint32 marker (0xffffffff ends), then
 * TI_CLASSIFIER_INPUT_LENGTH values as float64. Output per window: int32
 * status, int32 result, uint32 bad-input failures (bits, first window
 * only), float32 anomaly, then ti_model_impulse.n_labels scores as
 * float32. The window is allocated with exactly its length (AddressSanitizer
 * catches reads outside it), and get_data reports reads outside the
 * signal.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct window {
	ti_real *v;
	size_t n;
	int fail_at;   /* get_data fails on this call (1-based), 0 never */
	int calls;
	int outside;   /* a read outside [0, n) */
} window;

static int get_data(size_t offset, size_t length, ti_real *out, void *ctx)
{
	window *w = ctx;
	w->calls++;
	if (w->fail_at > 0 && w->calls >= w->fail_at)
		return -1;
	if (offset > w->n || length > w->n - offset) {
		w->outside = 1;
		return -1;
	}
	memcpy(out, w->v + offset, length * sizeof(ti_real));
	return 0;
}

static void die(const char *msg)
{
	fprintf(stderr, "libdriver: %s\n", msg);
	exit(2);
}

static void put(const void *p, size_t n)
{
	if (fwrite(p, 1, n, stdout) != n)
		die("write failed");
}

/* Runs bad inputs against the window w and returns a bit per failed check:
 * 0 NULL signal, 1 NULL result, 2 NULL get_data, 3-4 a length one short
 * and one long, 5 get_data failing at once, 6 failing on its last call, 7
 * NaN first value, 8 infinite last value, 9 a read outside the signal, 10
 * a NULL buffer in ti_buffer_init. */
static uint32_t bad_inputs(window *w)
{
	uint32_t bad = 0;
	ti_classifier_result res;
	ti_signal sig;
	ti_buffer buf;
	ti_real keep;
	int calls;
	sig.total_length = w->n;
	sig.get_data = get_data;
	sig.ctx = w;
	if (run_classifier(NULL, &res) != TI_ERR_NULL)
		bad |= 1u << 0;
	if (run_classifier(&sig, NULL) != TI_ERR_NULL)
		bad |= 1u << 1;
	sig.get_data = NULL;
	if (run_classifier(&sig, &res) != TI_ERR_NULL)
		bad |= 1u << 2;
	sig.get_data = get_data;
	sig.total_length = w->n - 1;
	if (run_classifier(&sig, &res) != TI_ERR_LENGTH)
		bad |= 1u << 3;
	sig.total_length = w->n + 1;
	if (run_classifier(&sig, &res) != TI_ERR_LENGTH)
		bad |= 1u << 4;
	sig.total_length = w->n;
	w->fail_at = 1;
	w->calls = 0;
	if (run_classifier(&sig, &res) != TI_ERR_SIGNAL)
		bad |= 1u << 5;
	/* count the calls of a good run, then fail on the last one */
	w->fail_at = 0;
	w->calls = 0;
	if (run_classifier(&sig, &res) != TI_OK)
		bad |= 1u << 6;
	calls = w->calls;
	w->fail_at = calls;
	w->calls = 0;
	if (run_classifier(&sig, &res) != TI_ERR_SIGNAL)
		bad |= 1u << 6;
	w->fail_at = 0;
	keep = w->v[0];
	w->v[0] = (ti_real)NAN;
	if (run_classifier(&sig, &res) != TI_ERR_INPUT)
		bad |= 1u << 7;
	w->v[0] = keep;
	keep = w->v[w->n - 1];
	w->v[w->n - 1] = (ti_real)INFINITY;
	if (run_classifier(&sig, &res) != TI_ERR_INPUT)
		bad |= 1u << 8;
	w->v[w->n - 1] = keep;
	if (w->outside)
		bad |= 1u << 9;
	ti_buffer_init(&buf, NULL, w->n);
	if (run_classifier(&buf.signal, &res) != TI_ERR_LENGTH)
		bad |= 1u << 10;
	return bad;
}

int main(void)
{
	int first = 1;
	for (;;) {
		uint32_t marker, bad = 0, i;
		double *in;
		window w;
		ti_signal sig;
		ti_classifier_result res;
		int32_t status, result;
		float an;
		if (fread(&marker, 4, 1, stdin) != 1)
			die("truncated input");
		if (marker == 0xffffffffu)
			break;
		in = malloc(TI_CLASSIFIER_INPUT_LENGTH * sizeof(double));
		w.v = malloc(TI_CLASSIFIER_INPUT_LENGTH * sizeof(ti_real));
		if (!in || !w.v)
			die("out of memory");
		if (fread(in, sizeof(double), TI_CLASSIFIER_INPUT_LENGTH, stdin) != TI_CLASSIFIER_INPUT_LENGTH)
			die("truncated window");
		for (i = 0; i < TI_CLASSIFIER_INPUT_LENGTH; i++)
			w.v[i] = (ti_real)in[i];
		w.n = TI_CLASSIFIER_INPUT_LENGTH;
		w.fail_at = w.calls = w.outside = 0;
		if (first) {
			bad = bad_inputs(&w);
			first = 0;
		}
		sig.total_length = w.n;
		sig.get_data = get_data;
		sig.ctx = &w;
		status = run_classifier(&sig, &res);
		if (w.outside)
			bad |= 1u << 9;
		result = res.result;
		an = res.anomaly;
		put(&status, 4);
		put(&result, 4);
		put(&bad, 4);
		put(&an, 4);
		for (i = 0; i < ti_model_impulse.n_labels; i++)
			put(&res.classification[i].value, 4);
		free(in);
		free(w.v);
	}
	return fflush(stdout) == 0 ? 0 : 2;
}
