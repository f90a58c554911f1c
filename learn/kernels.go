package learn

import "math"

// Float32 kernels of the layers, forward and backward, for a batch of nb windows
// stored one after another (channels-last, row-major). They never allocate.

// axpyRows adds Σ_t x[t]·w[t·c : t·c+c] to y (len(y) == c), for every output o
// summing over t in ascending order.
//
// In every kernel a product added to an accumulator is converted to float32
// explicitly: the conversion forbids the compiler to fuse the multiply and the
// add (which it may do on arm64, or on amd64 with GOAMD64=v3), so that the Go
// kernels round exactly as the assembly ones, and training gives the same
// weights on every platform.
func axpyRows(y, x, w []float32) {
	c := len(y)
	if c == 0 || len(x) == 0 {
		return
	}
	if c%8 == 0 {
		_ = w[len(x)*c-1]
		if useAVX {
			o := 0
			for ; o+16 <= c; o += 16 {
				axpy16(&y[o], x, &w[o], c)
			}
			if o < c {
				axpy8(&y[o], x, &w[o], c)
			}
			return
		}
		axpyRowsGo(y, x, w)
		return
	}
	for t, xv := range x {
		if xv == 0 {
			continue
		}
		wr := w[t*c : t*c+c]
		for o, wv := range wr {
			y[o] += float32(xv * wv)
		}
	}
}

// axpyRowsGo is the reference of axpy8 and axpy16 (len(y) a multiple of 8).
func axpyRowsGo(y, x, w []float32) {
	c := len(y)
	for o := 0; o < c; o += 8 {
		yy := y[o : o+8 : o+8]
		y0, y1, y2, y3, y4, y5, y6, y7 := yy[0], yy[1], yy[2], yy[3], yy[4], yy[5], yy[6], yy[7]
		for t, xv := range x {
			ww := w[t*c+o : t*c+o+8 : t*c+o+8]
			y0 += float32(xv * ww[0])
			y1 += float32(xv * ww[1])
			y2 += float32(xv * ww[2])
			y3 += float32(xv * ww[3])
			y4 += float32(xv * ww[4])
			y5 += float32(xv * ww[5])
			y6 += float32(xv * ww[6])
			y7 += float32(xv * ww[7])
		}
		yy[0], yy[1], yy[2], yy[3], yy[4], yy[5], yy[6], yy[7] = y0, y1, y2, y3, y4, y5, y6, y7
	}
}

// backRows is the backward pass of axpyRows for one output row dz (len c):
// dw[t·c+o] += x[t]·dz[o] and, when dx != nil, dx[t] += Σ_o w[t·c+o]·dz[o].
func backRows(dw, dx, x, w, dz []float32) {
	c := len(dz)
	if len(x) == 0 {
		return
	}
	if dx != nil {
		dx = dx[:len(x)]
	}
	if c%8 == 0 {
		_ = w[len(x)*c-1]
		_ = dw[len(x)*c-1]
		if useAVX {
			for o := 0; o < c; o += 8 {
				ger8(&dw[o], c, x, &dz[o])
			}
			if dx != nil {
				dotRows(dx, &w[0], c, &dz[0], c/8)
			}
			return
		}
		for o := 0; o < c; o += 8 {
			ger8Go(dw[o:], c, x, dz[o:o+8])
		}
		if dx != nil {
			dotRowsGo(dx, w, c, dz, c/8)
		}
		return
	}
	if dx == nil {
		for t, xv := range x {
			if xv == 0 {
				continue
			}
			dr := dw[t*c : t*c+c]
			for o, g := range dz {
				dr[o] += float32(xv * g)
			}
		}
		return
	}
	for t, xv := range x {
		wr := w[t*c : t*c+c]
		dr := dw[t*c : t*c+c]
		var acc float32
		for o, g := range dz {
			dr[o] += float32(xv * g)
			acc += float32(wr[o] * g)
		}
		dx[t] += acc
	}
}

// ger8Go is the reference of ger8: dw[t·ldw+o] += x[t]·g[o] for o < 8.
func ger8Go(dw []float32, ldw int, x, g []float32) {
	g = g[:8]
	for t, xv := range x {
		dr := dw[t*ldw : t*ldw+8 : t*ldw+8]
		dr[0] += float32(xv * g[0])
		dr[1] += float32(xv * g[1])
		dr[2] += float32(xv * g[2])
		dr[3] += float32(xv * g[3])
		dr[4] += float32(xv * g[4])
		dr[5] += float32(xv * g[5])
		dr[6] += float32(xv * g[6])
		dr[7] += float32(xv * g[7])
	}
}

// dotRowsGo is the reference of dotRows: eight lane sums p[o] = Σ_b w[t·ldw+8b+o]·g[8b+o]
// (b ascending), reduced as ((p0+p4)+(p2+p6)) + ((p1+p5)+(p3+p7)), added to dx[t].
func dotRowsGo(dx, w []float32, ldw int, g []float32, blocks int) {
	for t := range dx {
		wr := w[t*ldw : t*ldw+8*blocks]
		var p [8]float32
		for o := range 8 {
			p[o] = wr[o] * g[o]
		}
		for b := 1; b < blocks; b++ {
			for o := range 8 {
				p[o] += float32(wr[8*b+o] * g[8*b+o])
			}
		}
		q0, q1, q2, q3 := p[0]+p[4], p[1]+p[5], p[2]+p[6], p[3]+p[7]
		dx[t] += (q0 + q2) + (q1 + q3)
	}
}

// denseForward computes y = x·W + b for nb rows; W is (in, out) row-major.
// Every output starts from its bias and adds x[t]·W[t][o] in order of t (as
// axpyRows does), all rows at once.
func denseForward(w, b, x, y []float32, nb, in, out int) {
	for s := range nb {
		copy(y[s*out:s*out+out], b)
	}
	gemm(y, out, x, in, 1, w, out, nb, in, out)
}

// denseBackward accumulates dW += xᵀ·dz (sums over the rows in order) and
// db += Σdz and, when dx != nil, sets dx = dz·Wᵀ: as backRows computes it,
// a sum over o in order when out is not a multiple of 8 (through wt,
// scratch for the in·out values of Wᵀ), dotRows' lane sums otherwise.
func denseBackward(w, dw, db, x, dz, dx, wt []float32, nb, in, out int) {
	for s := range nb {
		for o, g := range dz[s*out : s*out+out] {
			db[o] += g
		}
	}
	gemm(dw, out, x, 1, in, dz, out, in, nb, out)
	if dx == nil {
		return
	}
	clear(dx[:nb*in])
	if out%8 == 0 {
		for s := range nb {
			dxr := dx[s*in : s*in+in]
			if useAVX {
				dotRows(dxr, &w[0], out, &dz[s*out], out/8)
			} else {
				dotRowsGo(dxr, w, out, dz[s*out:s*out+out], out/8)
			}
		}
		return
	}
	wt = wt[:in*out]
	for t := range in {
		for o, v := range w[t*out : t*out+out] {
			wt[o*in+t] = v
		}
	}
	gemm(dx, in, dz, out, 1, wt, in, nb, out, in)
}

// convForward is a stride-1 convolution with Keras 'same' padding of an (h, w, cin)
// input with a (kh, kw, cin, cout) kernel; conv1d is the case h = kh = 1. A nil
// b is a zero bias. Every output starts from its bias and adds, for each
// kernel row dy in order, the products of that row's taps in order (as
// axpyRows does); the columns whose taps all lie inside the input run as one
// gemm per kernel row, the others one position at a time.
func convForward(wt, b, x, y []float32, nb, h, w, cin, cout, kh, kw int) {
	padH, padW := (kh-1)/2, (kw-1)/2
	inS, outS := h*w*cin, h*w*cout
	lo, hi := interior(w, kw)
	for s := range nb {
		xs, ys := x[s*inS:s*inS+inS], y[s*outS:s*outS+outS]
		for oy := range h {
			dylo, dyhi := max(0, padH-oy), min(kh, h+padH-oy)
			row := ys[oy*w*cout : (oy+1)*w*cout]
			for ox := range w {
				if b == nil {
					clear(row[ox*cout : ox*cout+cout])
				} else {
					copy(row[ox*cout:ox*cout+cout], b)
				}
			}
			for ox := range w {
				if ox == lo && hi > lo {
					in := ((oy+dylo-padH)*w + lo - padW) * cin
					gemm2(row[lo*cout:], cout, xs[in:], cin, 1, w*cin, wt[dylo*kw*cin*cout:], cout, hi-lo, kw*cin, dyhi-dylo, cout)
				}
				if ox >= lo && ox < hi {
					continue
				}
				jlo, jhi := max(0, padW-ox), min(kw, w+padW-ox)
				yr := row[ox*cout : ox*cout+cout]
				for dy := dylo; dy < dyhi; dy++ {
					r := (oy+dy-padH)*w + ox - padW
					seg := xs[(r+jlo)*cin : (r+jhi)*cin]
					ws := wt[(dy*kw+jlo)*cin*cout : (dy*kw+jhi)*cin*cout]
					axpyRows(yr, seg, ws)
				}
			}
		}
	}
}

// interior returns the output columns [lo, hi) of a 'same' convolution of
// width w and kernel width kw whose taps all lie inside the input.
func interior(w, kw int) (lo, hi int) {
	padW := (kw - 1) / 2
	return padW, max(padW, w-(kw-1-padW))
}

// one is the a operand of gemm that adds up rows (stride 0).
var one = []float32{1}

// convBackward accumulates the kernel and bias gradients of convForward for the
// output gradient dz and, when dx != nil, sets dx to the input gradient. Every
// sum runs in the order of the output positions, as backRows called position
// by position adds; the interior columns of each output row run as one gemm
// per kernel row (weights) and one dotRows call per kernel row (input).
func convBackward(wt, dwt, db, x, dz, dx []float32, nb, h, w, cin, cout, kh, kw int) {
	padH, padW := (kh-1)/2, (kw-1)/2
	inS, outS := h*w*cin, h*w*cout
	if dx != nil {
		clear(dx[:nb*inS])
	}
	lo, hi := interior(w, kw)
	for s := range nb {
		xs, dzs := x[s*inS:s*inS+inS], dz[s*outS:s*outS+outS]
		var dxs []float32
		if dx != nil {
			dxs = dx[s*inS : s*inS+inS]
		}
		for oy := range h {
			dylo, dyhi := max(0, padH-oy), min(kh, h+padH-oy)
			drow := dzs[oy*w*cout : (oy+1)*w*cout]
			gemm(db, cout, one, 0, 0, drow, cout, 1, w, cout)
			for ox := range w {
				if ox == lo && hi > lo {
					n := hi - lo
					for dy := dylo; dy < dyhi; dy++ {
						in := ((oy+dy-padH)*w + lo - padW) * cin
						wo := dy * kw * cin * cout
						gemm(dwt[wo:], cout, xs[in:], 1, cin, drow[lo*cout:], cout, kw*cin, n, cout)
						if dxs != nil {
							backInput(dxs[in:], cin, wt[wo:wo+kw*cin*cout], drow[lo*cout:], cout, n)
						}
					}
				}
				if ox >= lo && ox < hi {
					continue
				}
				jlo, jhi := max(0, padW-ox), min(kw, w+padW-ox)
				dzr := drow[ox*cout : ox*cout+cout]
				for dy := dylo; dy < dyhi; dy++ {
					r := (oy+dy-padH)*w + ox - padW
					lo, hi := (r+jlo)*cin, (r+jhi)*cin
					wlo, whi := (dy*kw+jlo)*cin*cout, (dy*kw+jhi)*cin*cout
					var dseg []float32
					if dxs != nil {
						dseg = dxs[lo:hi]
					}
					backRows(dwt[wlo:whi], dseg, xs[lo:hi], wt[wlo:whi], dzr)
				}
			}
		}
	}
}

// backInput adds to the input gradient of n consecutive output positions,
// position by position, what backRows adds: for position p and each of
// the len(w)/cout taps t, dx[p·step + t] += the dot product of w's row t
// and dz[p·cout : p·cout+cout].
func backInput(dx []float32, step int, w, dz []float32, cout, n int) {
	taps := len(w) / cout
	for p := range n {
		dxr := dx[p*step : p*step+taps]
		g := dz[p*cout : p*cout+cout]
		if cout%8 != 0 {
			for t := range dxr {
				wr := w[t*cout : t*cout+cout]
				var acc float32
				for o, v := range g {
					acc += float32(wr[o] * v)
				}
				dxr[t] += acc
			}
			continue
		}
		if useAVX {
			dotRows(dxr, &w[0], cout, &g[0], cout/8)
		} else {
			dotRowsGo(dxr, w, cout, g, cout/8)
		}
	}
}

// maxPool is MaxPooling2D(pool 2, strides 2, padding 'same') over an (h, w, c)
// input, float32 or int8 (whose scale pooling keeps); with h = 1 it is
// MaxPooling1D. When idx != nil it records, for every output, the index
// (within its window's input) of the maximum (the first one on ties).
func maxPool[T float32 | int8](x, y []T, idx []int32, nb, h, w, c int) {
	if h == 1 {
		maxPool1D(x, y, idx, nb, w, c)
		return
	}
	if xf, ok := any(x).([]float32); ok && idx != nil && useAVX2 && c%8 == 0 {
		maxPool2DAVX(xf, any(y).([]float32), idx, nb, h, w, c)
		return
	}
	oh, ow := (h+1)/2, (w+1)/2
	inS, outS := h*w*c, oh*ow*c
	for s := range nb {
		xs, ys := x[s*inS:s*inS+inS], y[s*outS:s*outS+outS]
		for oy := range oh {
			y0, y1 := oy*2, min(oy*2+2, h)
			for ox := range ow {
				x0, x1 := ox*2, min(ox*2+2, w)
				o := (oy*ow + ox) * c
				for ch := range c {
					bi := (y0*w+x0)*c + ch
					bv := xs[bi]
					for iy := y0; iy < y1; iy++ {
						for ix := x0; ix < x1; ix++ {
							i := (iy*w+ix)*c + ch
							if xs[i] > bv {
								bv, bi = xs[i], i
							}
						}
					}
					ys[o+ch] = bv
					if idx != nil {
						idx[s*outS+o+ch] = int32(bi)
					}
				}
			}
		}
	}
}

// pool2DBackward routes dy to the recorded maxima: dx = 0, dx[idx] += dy.
func pool2DBackward(dy, dx []float32, idx []int32, nb, inS, outS int) {
	clear(dx[:nb*inS])
	for s := range nb {
		dxs := dx[s*inS : s*inS+inS]
		for j, g := range dy[s*outS : s*outS+outS] {
			dxs[idx[s*outS+j]] += g
		}
	}
}

// poolBackward is pool2DBackward for maxPool's windows over (h, w, c)
// inputs. Every input belongs to exactly one window, so on amd64 (c a
// multiple of 8) each window writes its inputs' gradients directly: dy+0
// (what 0 + dy gives) at the recorded argmax, +0 elsewhere.
//
// When yin is not nil, it is the pooled input, the output of a ReLU with
// no activity regulariser, and yout the pooled output (maxPool's y); dx is
// then also what reluBackward(dx, yin, 0) makes of it: +0 where the input
// has +0's bits (adding 0 to dy+0 changes nothing). On AVX-512 this is
// done in the same pass, from yout: the input at an argmax has +0's bits
// exactly when its output has them, and the other inputs get +0 anyway.
func poolBackward(dy, dx []float32, idx []int32, yin, yout []float32, nb, h, w, c int) {
	oh, ow := (h+1)/2, (w+1)/2
	inS, outS := h*w*c, oh*ow*c
	if useAVX512 && c%16 == 0 && w >= 2 {
		if yin == nil {
			yout = nil
		}
		poolBackwardZ(dy, dx, idx, yout, nb, h, w, c)
		return
	}
	if yin != nil {
		defer reluBackward(dx[:nb*inS], yin[:nb*inS], 0)
	}
	if !useAVX2 || c%8 != 0 || w < 2 {
		pool2DBackward(dy, dx, idx, nb, inS, outS)
		return
	}
	_, _, _ = dy[nb*outS-1], dx[nb*inS-1], idx[nb*outS-1]
	for s := range nb {
		dxs, dys, is := dx[s*inS:s*inS+inS], dy[s*outS:s*outS+outS], idx[s*outS:s*outS+outS]
		for oy := range oh {
			y0 := 2 * oy
			o := oy * ow * c
			if y0+1 < h {
				poolBack2RowAVX(&dxs[y0*w*c], &dys[o], &is[o], w/2, c, w, int32(y0*w*c))
			} else {
				poolBack1RowAVX(&dxs[y0*w*c], &dys[o], &is[o], w/2, c, int32(y0*w*c))
			}
			if w%2 == 1 { // the last column's window
				o += (ow - 1) * c
				for dyy := 0; dyy < 2 && y0+dyy < h; dyy++ {
					in := ((y0+dyy)*w + w - 1) * c
					for ch := range c {
						var g float32
						if is[o+ch] == int32(in+ch) {
							g = dys[o+ch] + 0
						}
						dxs[in+ch] = g
					}
				}
			}
		}
	}
}

// poolBackwardZ is poolBackward on AVX-512 (c a multiple of 16, w ≥ 2).
func poolBackwardZ(dy, dx []float32, idx []int32, yout []float32, nb, h, w, c int) {
	oh, ow := (h+1)/2, (w+1)/2
	inS, outS := h*w*c, oh*ow*c
	_, _, _ = dy[nb*outS-1], dx[nb*inS-1], idx[nb*outS-1]
	if yout != nil {
		_ = yout[nb*outS-1]
	}
	for s := range nb {
		dxs, dys, is := dx[s*inS:s*inS+inS], dy[s*outS:s*outS+outS], idx[s*outS:s*outS+outS]
		var ys []float32
		if yout != nil {
			ys = yout[s*outS : s*outS+outS]
		}
		for oy := range oh {
			y0 := 2 * oy
			o := oy * ow * c
			rows := min(2, h-y0)
			var yp *float32
			if ys != nil {
				yp = &ys[o]
			}
			poolBack2RowZ(&dxs[y0*w*c], &dys[o], &is[o], yp, w/2, c, w, int32(y0*w*c), rows)
			if w%2 == 1 { // the last column's window
				o += (ow - 1) * c
				for dyy := range rows {
					in := ((y0+dyy)*w + w - 1) * c
					for ch := range c {
						var g float32
						if is[o+ch] == int32(in+ch) && (ys == nil || math.Float32bits(ys[o+ch]) != 0) {
							g = dys[o+ch] + 0
						}
						dxs[in+ch] = g
					}
				}
			}
		}
	}
}

// maxPool1D is maxPool for h = 1: windows of 2 steps (1 at an odd end).
func maxPool1D[T float32 | int8](x, y []T, idx []int32, nb, w, c int) {
	ow := (w + 1) / 2
	inS, outS := w*c, ow*c
	if xf, ok := any(x).([]float32); ok && idx != nil && useAVX2 && c%8 == 0 && w >= 2 {
		yf := any(y).([]float32)
		_, _, _ = xf[nb*inS-1], yf[nb*outS-1], idx[nb*outS-1]
		for s := range nb {
			if useAVX512 && c%16 == 0 {
				pool2RowZ(&yf[s*outS], &idx[s*outS], &xf[s*inS], w/2, c, w, 0, 1)
			} else {
				pool1RowAVX(&yf[s*outS], &idx[s*outS], &xf[s*inS], w/2, c, 0)
			}
			if w%2 == 1 { // the lone last step
				i0 := (w - 1) * c
				for ch := range c {
					yf[s*outS+(ow-1)*c+ch] = xf[s*inS+i0+ch]
					idx[s*outS+(ow-1)*c+ch] = int32(i0 + ch)
				}
			}
		}
		return
	}
	for s := range nb {
		xs, ys := x[s*inS:s*inS+inS], y[s*outS:s*outS+outS]
		for ox := range ow {
			i0 := 2 * ox * c
			if 2*ox+1 >= w {
				for ch := range c {
					ys[ox*c+ch] = xs[i0+ch]
					if idx != nil {
						idx[s*outS+ox*c+ch] = int32(i0 + ch)
					}
				}
				continue
			}
			a, b := xs[i0:i0+c], xs[i0+c:i0+2*c]
			yr := ys[ox*c : ox*c+c]
			if idx == nil {
				for ch := range yr {
					yr[ch] = max(a[ch], b[ch])
				}
				continue
			}
			ir := idx[s*outS+ox*c : s*outS+ox*c+c]
			for ch := range yr {
				bi := i0 + ch
				if b[ch] > a[ch] {
					bi += c
				}
				ir[ch] = int32(bi)
				yr[ch] = xs[bi]
			}
		}
	}
}

// gemm adds to c(r, j), for rows r < rows and columns j < n, the sum over
// i < k, in ascending order, of a(r, i)·b(i, j), each product rounded to
// float32 before it is added: the order in which every kernel of this file
// sums, so that one call may stand for many calls of axpyRows or
// backRows. a(r, i) is a[r·ars + i·ais], b(i, j) is b[i·ldb + j] and c(r, j)
// is c[r·ldc + j]. On amd64 it runs sixteen columns and four rows (or eight
// columns and eight rows) at a time.
func gemm(c []float32, ldc int, a []float32, ars, ais int, b []float32, ldb, rows, k, n int) {
	gemm2(c, ldc, a, ars, ais, 0, b, ldb, rows, k, 1, n)
}

// gemm2 is gemm with i running over k1 groups of k: a(r, i1·k + i2) is
// a[r·ars + i1·ais1 + i2·ais] (the rows of a convolution kernel, whose
// inputs are a row of the image apart).
func gemm2(c []float32, ldc int, a []float32, ars, ais, ais1 int, b []float32, ldb, rows, k, k1, n int) {
	if rows == 0 || k == 0 || k1 == 0 || n == 0 {
		return
	}
	// The last element each operand reaches, checked once.
	_ = c[(rows-1)*ldc+n-1]
	_ = a[(rows-1)*ars+(k1-1)*ais1+(k-1)*ais]
	_ = b[(k1*k-1)*ldb+n-1]
	if useAVX512 {
		for j := 0; j < n; j += 32 {
			gemmZ(&c[j], ldc, nil, &a[0], ars, ais, ais1, &b[j], ldb, rows, k, k1, colMasks(n-j), 0)
		}
		return
	}
	if !useAVX {
		gemmGo(c, ldc, a, ars, ais, ais1, b, ldb, rows, k, k1, n)
		return
	}
	for j := 0; j < n; j += 16 {
		var mask [16]int32
		for l := range min(16, n-j) {
			mask[l] = -1
		}
		if n-j <= 8 {
			gemm8(&c[j], ldc, &a[0], ars, ais, &b[j], ldb, rows, k, &mask, k1, ais1)
		} else {
			gemm16(&c[j], ldc, &a[0], ars, ais, &b[j], ldb, rows, k, &mask, k1, ais1)
		}
	}
}

// colMasks returns gemmZ's masks for a block of min(n, 32) columns.
func colMasks(n int) uint32 {
	if n >= 32 {
		return 1<<32 - 1
	}
	return 1<<uint(n) - 1
}

// gemm2Init is gemm2 with every row of c first set to init[:n] and, when
// withReLU, relu applied to the results.
func gemm2Init(c []float32, ldc int, init, a []float32, ars, ais, ais1 int, b []float32, ldb, rows, k, k1, n int, withReLU bool) {
	if rows == 0 || n == 0 {
		return
	}
	if useAVX512 && k > 0 && k1 > 0 {
		r := 0
		if withReLU {
			r = 1
		}
		_ = c[(rows-1)*ldc+n-1]
		_ = init[n-1]
		_ = a[(rows-1)*ars+(k1-1)*ais1+(k-1)*ais]
		_ = b[(k1*k-1)*ldb+n-1]
		for j := 0; j < n; j += 32 {
			gemmZ(&c[j], ldc, &init[j], &a[0], ars, ais, ais1, &b[j], ldb, rows, k, k1, colMasks(n-j), r)
		}
		return
	}
	for r := range rows {
		copy(c[r*ldc:r*ldc+n], init[:n])
	}
	gemm2(c, ldc, a, ars, ais, ais1, b, ldb, rows, k, k1, n)
	if withReLU {
		for r := range rows {
			relu(c[r*ldc : r*ldc+n])
		}
	}
}

// gemmGo is the reference of gemm16, gemm8 and gemmZ.
func gemmGo(c []float32, ldc int, a []float32, ars, ais, ais1 int, b []float32, ldb, rows, k, k1, n int) {
	for r := range rows {
		cr := c[r*ldc : r*ldc+n]
		for i1 := range k1 {
			for i2 := range k {
				av := a[r*ars+i1*ais1+i2*ais]
				br := b[(i1*k+i2)*ldb : (i1*k+i2)*ldb+n]
				for j, bv := range br {
					cr[j] += float32(av * bv)
				}
			}
		}
	}
}

// maxPool2DAVX is maxPool with indices for float32 and c a multiple of 8:
// full 2×2 windows and the 1×2 windows of a last lone row run in the AVX2
// kernels, a last lone column in maxPoolAt.
func maxPool2DAVX(x, y []float32, idx []int32, nb, h, w, c int) {
	oh, ow := (h+1)/2, (w+1)/2
	inS, outS := h*w*c, oh*ow*c
	_, _, _ = x[nb*inS-1], y[nb*outS-1], idx[nb*outS-1]
	for s := range nb {
		xs, ys, is := x[s*inS:s*inS+inS], y[s*outS:s*outS+outS], idx[s*outS:s*outS+outS]
		for oy := range oh {
			y0 := 2 * oy
			o := oy * ow * c
			if w >= 2 && useAVX512 && c%16 == 0 {
				pool2RowZ(&ys[o], &is[o], &xs[y0*w*c], w/2, c, w, int32(y0*w*c), min(2, h-y0))
			} else if w >= 2 {
				if y0+1 < h {
					pool2RowAVX(&ys[o], &is[o], &xs[y0*w*c], w/2, c, w, int32(y0*w*c))
				} else {
					pool1RowAVX(&ys[o], &is[o], &xs[y0*w*c], w/2, c, int32(y0*w*c))
				}
			}
			if w%2 == 1 {
				maxPoolAt(xs, ys, is, h, w, c, oy, ow-1)
			}
		}
	}
}

// maxPoolAt computes output (oy, ox) of maxPool for one window, as maxPool
// does.
func maxPoolAt(xs, ys []float32, is []int32, h, w, c, oy, ox int) {
	ow := (w + 1) / 2
	y0, y1 := oy*2, min(oy*2+2, h)
	x0, x1 := ox*2, min(ox*2+2, w)
	o := (oy*ow + ox) * c
	for ch := range c {
		bi := (y0*w+x0)*c + ch
		bv := xs[bi]
		for iy := y0; iy < y1; iy++ {
			for ix := x0; ix < x1; ix++ {
				i := (iy*w+ix)*c + ch
				if xs[i] > bv {
					bv, bi = xs[i], i
				}
			}
		}
		ys[o+ch] = bv
		is[o+ch] = int32(bi)
	}
}

// Training runs its convolutions on zero-padded copies of their inputs, so
// that every output position is interior and one gemm covers a row or a
// whole window. Adding the products of the zero padding changes nothing:
// in these kernels no partial sum is ever −0 (every sum starts from +0 or
// a bias that is never −0, and x + y is −0 only if both are), so adding
// ±0 leaves every sum as it was, and each sum still takes its other terms
// in the same order.

// kernelRows returns the number of kernel rows of a convolution: 1 for
// conv1d, k for conv2d.
func (l *layer) kernelRows() int {
	if l.kind == kConv2D {
		return l.k
	}
	return 1
}

// padInput copies nb inputs of shape (h, w, c) into xp as (h+kh−1, w+kw−1,
// c), each at row (kh−1)/2 and column (kw−1)/2 of its padded copy, with
// zeros around.
func padInput(xp, x []float32, nb, h, w, c, kh, kw int) {
	padH, padW := (kh-1)/2, (kw-1)/2
	hp, wp := h+kh-1, w+kw-1
	for s := range nb {
		xs, ps := x[s*h*w*c:(s+1)*h*w*c], xp[s*hp*wp*c:(s+1)*hp*wp*c]
		clear(ps[:padH*wp*c])
		clear(ps[(padH+h)*wp*c:])
		for iy := range h {
			row := ps[(iy+padH)*wp*c : (iy+padH+1)*wp*c]
			clear(row[:padW*c])
			copy(row[padW*c:], xs[iy*w*c:(iy+1)*w*c])
			clear(row[(padW+w)*c:])
		}
	}
}

// unpadInput is the inverse of padInput: it copies the inner (h, w, c) part
// of each padded gradient in dxp to dx.
func unpadInput(dx, dxp []float32, nb, h, w, c, kh, kw int) {
	padH, padW := (kh-1)/2, (kw-1)/2
	hp, wp := h+kh-1, w+kw-1
	for s := range nb {
		ds, ps := dx[s*h*w*c:(s+1)*h*w*c], dxp[s*hp*wp*c:(s+1)*hp*wp*c]
		for iy := range h {
			copy(ds[iy*w*c:(iy+1)*w*c], ps[((iy+padH)*wp+padW)*c:])
		}
	}
}

// convForwardPadded is convForward on padded inputs xp (padInput): one
// gemm per output row, over the kernel's rows and taps in order; then
// relu(y) when withReLU.
func convForwardPadded(wt, b, xp, y []float32, nb, h, w, cin, cout, kh, kw int, withReLU bool) {
	hp, wp := h+kh-1, w+kw-1
	inS, outS := hp*wp*cin, h*w*cout
	for s := range nb {
		xs, ys := xp[s*inS:s*inS+inS], y[s*outS:s*outS+outS]
		for oy := range h {
			gemm2Init(ys[oy*w*cout:], cout, b, xs[oy*wp*cin:], cin, 1, wp*cin, wt, cout, w, kw*cin, kh, cout, withReLU)
		}
	}
}

// patchTaps is the largest number of taps per kernel row for which
// convBackwardPadded gathers every window's inputs (patches) to compute
// the kernel gradient with all of the kernel's taps as rows of one gemm:
// with fewer rows than a register block, the gemm's few running sums would
// wait on each other.
const patchTaps = 8

// patches stores in p, for each of the h·w output positions in order, the
// kh·kw·cin inputs of its window in the kernel's order, from the padded
// input xs of one window.
func patches(p, xs []float32, h, w, cin, kh, kw int) {
	wp := w + kw - 1
	row := kw * cin
	taps := kh * row
	for oy := range h {
		for ox := range w {
			dst := p[(oy*w+ox)*taps : (oy*w+ox+1)*taps]
			for dy := range kh {
				src := xs[((oy+dy)*wp+ox)*cin:][:row]
				d := dst[dy*row:][:row]
				for j, v := range src { // rows are a few values: a loop beats copy's call
					d[j] = v
				}
			}
		}
	}
}

// sparseGrad reports whether convBackwardPadded may compute the gradients
// of a layer with cout filters and taps values per kernel row term by
// term, skipping the output gradients that are ±0 (see convDWSparse and
// backInputTSparse): on AVX-512, when pooling's backward pass made that
// gradient (only one input of each window gets one). The skipped terms are
// ±0 only when the other factor is finite, so convBackwardPadded checks the
// inputs and the kernel first and otherwise computes every term, as the
// other CPUs do: the results are the same bits everywhere.
func sparseGrad(pooled bool, cout, taps int) bool {
	return useAVX512 && pooled && cout <= 16 && taps%16 == 0 && taps > 0
}

// allFinite reports whether no value of x is ±Inf or NaN.
func allFinite(x []float32) bool {
	if useAVX512 && len(x) >= 16 {
		if !allFiniteZ(&x[0], len(x)/16) {
			return false
		}
		x = x[len(x)/16*16:]
	}
	var m uint32
	for _, v := range x {
		m = max(m, math.Float32bits(v)&0x7fffffff)
	}
	return m < 0x7f800000
}

// convDWSparse adds to dwT, the kernel gradient transposed (cout × kh ×
// taps, taps = kw·cin), the products of one window: for each output
// position in order, each output channel o whose gradient g is not ±0
// (NaN is not skipped) and each kernel row dy, dwT[o][dy][t] += g·x at
// tap t of that row. Every sum takes the gemm's terms in the gemm's order
// less terms x·(±0), which are ±0 for finite x and leave a sum that is
// never −0 as it is (see the note on padding above).
func convDWSparse(dwT, xs, dzs []float32, h, w, wp, cin, cout, kh, kw int) {
	taps := kw * cin
	if h == 0 || w == 0 {
		return
	}
	_, _, _ = dwT[cout*kh*taps-1], xs[(h+kh-2)*wp*cin+(w-1)*cin+taps-1], dzs[h*w*cout-1]
	if useAVX512 {
		dwSparseZ(&dwT[0], &xs[0], &dzs[0], h, w, wp*cin, cin, cout, kh, taps, uint16(1<<uint(cout)-1))
		return
	}
	for oy := range h {
		for ox := range w {
			g := dzs[(oy*w+ox)*cout : (oy*w+ox+1)*cout]
			for o, gv := range g {
				if gv == 0 {
					continue
				}
				for dy := range kh {
					src := xs[((oy+dy)*wp+ox)*cin:][:taps]
					dst := dwT[(o*kh+dy)*taps:][:taps]
					for t, xv := range src {
						dst[t] += float32(gv * xv)
					}
				}
			}
		}
	}
}

// convBackwardPadded is convBackward on padded inputs xp: the bias and
// kernel gradients are one gemm per window (and kernel row), over the
// output positions in order; when dxp != nil it receives the gradient of
// the padded input (unpadInput extracts dx), computed from wtT, scratch for
// the kernel transposed per kernel row (kh × cout × kw·cin). When a kernel
// row has at most patchTaps taps, the kernel gradient is one gemm over the
// windows' patches, gathered into patch (scratch for h·w·kh·kw·cin values).
// When dwT is not nil (scratch for the kernel's values; see sparseGrad),
// the kernel gradient is convDWSparse's, accumulated transposed in dwT,
// when every input is finite, and the input gradient backInputTSparse's
// when cout is a multiple of 8 and every weight is finite.
func convBackwardPadded(wt, dwt, db, xp, dz, dxp, wtT, patch, dwT []float32, nb, h, w, cin, cout, kh, kw int) {
	hp, wp := h+kh-1, w+kw-1
	inS, outS := hp*wp*cin, h*w*cout
	taps := kw * cin
	sparseX := dwT != nil && cout%8 == 0 && allFinite(wt[:kh*taps*cout])
	if dwT != nil && !allFinite(xp[:nb*inS]) {
		dwT = nil
	}
	if dwT != nil {
		dwT = dwT[:kh*taps*cout]
		transpose(dwT, dwt, kh*taps, cout)
		defer transpose(dwt, dwT, cout, kh*taps)
	}
	if dxp != nil {
		clear(dxp[:nb*inS])
		for dy := range kh {
			transpose(wtT[dy*cout*taps:], wt[dy*taps*cout:], taps, cout)
		}
	}
	for s := range nb {
		xs, dzs := xp[s*inS:s*inS+inS], dz[s*outS:s*outS+outS]
		gemm(db, cout, one, 0, 0, dzs, cout, 1, h*w, cout)
		if dwT != nil {
			convDWSparse(dwT, xs, dzs, h, w, wp, cin, cout, kh, kw)
		} else if useAVX512 && kh == 3 && kw == 3 && cin == 1 && cout <= 32 && h > 0 && w > 0 {
			// The patches' gemm with all nine rows in registers.
			_, _ = xs[(h+1)*wp+w+1], dzs[h*w*cout-1]
			gemm9Z(&dwt[0], cout, &xs[0], wp, &dzs[0], cout, w, h, colMasks(cout))
		} else if kh > 1 && taps <= patchTaps {
			all := kh * taps
			patches(patch, xs, h, w, cin, kh, kw)
			gemm(dwt, cout, patch, 1, all, dzs, cout, all, h*w, cout)
		} else {
			for dy := range kh {
				gemm2(dwt[dy*taps*cout:], cout, xs[dy*wp*cin:], 1, cin, wp*cin, dzs, cout, taps, w, h, cout)
			}
		}
		if dxp == nil {
			continue
		}
		ds := dxp[s*inS : s*inS+inS]
		for oy := range h {
			for dy := range kh {
				if sparseX {
					backInputTSparse(ds[(oy+dy)*wp*cin:], cin, wtT[dy*cout*taps:(dy+1)*cout*taps], dzs[oy*w*cout:], cout, w, taps)
				} else {
					backInputT(ds[(oy+dy)*wp*cin:], cin, wtT[dy*cout*taps:(dy+1)*cout*taps], dzs[oy*w*cout:], cout, w, taps)
				}
			}
		}
	}
}

// transpose sets dst[c·rows + r] = src[r·cols + c] for r < rows and c <
// cols.
func transpose(dst, src []float32, rows, cols int) {
	if rows == 0 || cols == 0 {
		return
	}
	dst, src = dst[:rows*cols], src[:rows*cols]
	for r := range rows {
		for c, v := range src[r*cols : r*cols+cols] {
			dst[c*rows+r] = v
		}
	}
}

// backInputT adds to the input gradient of n consecutive output positions,
// position by position, what backRows adds: for position p and each tap
// t < taps, dx[p·step + t] += the dot product of the kernel's row t (here
// column t of wtT, cout × taps) and dz[p·cout : p·cout+cout], summed as
// dotRows sums when cout is a multiple of 8 and in order of the outputs
// otherwise. On amd64 eight taps go at a time.
func backInputT(dx []float32, step int, wtT, dz []float32, cout, n, taps int) {
	if n == 0 {
		return
	}
	_ = dx[(n-1)*step+taps-1]
	_ = dz[n*cout-1]
	_ = wtT[cout*taps-1]
	if useAVX512 && cout%8 == 0 {
		nb := (taps + 15) / 16
		dxRowZ(&dx[0], step, &wtT[0], taps, &dz[0], cout, n, uint16(1<<uint(taps-(nb-1)*16)-1))
		return
	}
	if useAVX && cout%8 == 0 {
		var masks [16]int32
		for l := range 8 {
			masks[l] = -1
			if l < taps-(taps-1)/8*8 {
				masks[8+l] = -1
			}
		}
		dxRowAVX(&dx[0], step, &wtT[0], taps, &dz[0], cout, n, &masks)
		return
	}
	backInputTGo(dx, step, wtT, dz, cout, n, taps)
}

// backInputTSparse is backInputT (cout a multiple of 8) with the terms
// whose output gradient is ±0 left out: each lane sum starts from +0 and
// takes only the other products, and a position whose gradients are all
// ±0 adds nothing. For finite weights the results are backInputT's bit for
// bit: a left-out product is ±0, and adding ±0 changes neither a nonzero
// partial sum nor dx (never −0, as it starts from +0); only zeros can
// change sign, and they are added to dx. The Go loop is the reference of
// dxSparseZ.
func backInputTSparse(dx []float32, step int, wtT, dz []float32, cout, n, taps int) {
	if n == 0 {
		return
	}
	_ = dx[(n-1)*step+taps-1]
	_ = dz[n*cout-1]
	_ = wtT[cout*taps-1]
	if useAVX512 && cout <= 16 && taps%16 == 0 {
		dxSparseZ(&dx[0], step, &wtT[0], taps, &dz[0], cout, n)
		return
	}
	for p := range n {
		g := dz[p*cout : p*cout+cout]
		dxr := dx[p*step : p*step+taps]
		for t := range dxr {
			var l [8]float32
			for o, v := range g {
				if v != 0 {
					l[o&7] += float32(wtT[o*taps+t] * v)
				}
			}
			q0, q1, q2, q3 := l[0]+l[4], l[1]+l[5], l[2]+l[6], l[3]+l[7]
			dxr[t] += (q0 + q2) + (q1 + q3)
		}
	}
}

// backInputTGo is the reference of dxRowAVX.
func backInputTGo(dx []float32, step int, wtT, dz []float32, cout, n, taps int) {
	for p := range n {
		g := dz[p*cout : p*cout+cout]
		dxr := dx[p*step : p*step+taps]
		for t := range dxr {
			if cout%8 != 0 {
				var acc float32
				for o, v := range g {
					acc += float32(wtT[o*taps+t] * v)
				}
				dxr[t] += acc
				continue
			}
			var l [8]float32
			for o := range 8 {
				l[o] = wtT[o*taps+t] * g[o]
			}
			for b := 8; b < cout; b += 8 {
				for o := range 8 {
					l[o] += float32(wtT[(b+o)*taps+t] * g[b+o])
				}
			}
			q0, q1, q2, q3 := l[0]+l[4], l[1]+l[5], l[2]+l[6], l[3]+l[7]
			dxr[t] += (q0 + q2) + (q1 + q3)
		}
	}
}
