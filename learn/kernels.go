package learn

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
// b is a zero bias.
func convForward(wt, b, x, y []float32, nb, h, w, cin, cout, kh, kw int) {
	padH, padW := (kh-1)/2, (kw-1)/2
	inS, outS := h*w*cin, h*w*cout
	for s := range nb {
		xs, ys := x[s*inS:s*inS+inS], y[s*outS:s*outS+outS]
		for oy := range h {
			dylo, dyhi := max(0, padH-oy), min(kh, h+padH-oy)
			for ox := range w {
				jlo, jhi := max(0, padW-ox), min(kw, w+padW-ox)
				yr := ys[(oy*w+ox)*cout : (oy*w+ox)*cout+cout]
				if b == nil {
					clear(yr)
				} else {
					copy(yr, b)
				}
				for dy := dylo; dy < dyhi; dy++ {
					row := (oy+dy-padH)*w + ox - padW
					seg := xs[(row+jlo)*cin : (row+jhi)*cin]
					ws := wt[(dy*kw+jlo)*cin*cout : (dy*kw+jhi)*cin*cout]
					axpyRows(yr, seg, ws)
				}
			}
		}
	}
}

// convBackward accumulates the kernel and bias gradients of convForward for the
// output gradient dz and, when dx != nil, sets dx to the input gradient.
func convBackward(wt, dwt, db, x, dz, dx []float32, nb, h, w, cin, cout, kh, kw int) {
	padH, padW := (kh-1)/2, (kw-1)/2
	inS, outS := h*w*cin, h*w*cout
	if dx != nil {
		clear(dx[:nb*inS])
	}
	for s := range nb {
		xs, dzs := x[s*inS:s*inS+inS], dz[s*outS:s*outS+outS]
		var dxs []float32
		if dx != nil {
			dxs = dx[s*inS : s*inS+inS]
		}
		for oy := range h {
			dylo, dyhi := max(0, padH-oy), min(kh, h+padH-oy)
			for ox := range w {
				jlo, jhi := max(0, padW-ox), min(kw, w+padW-ox)
				dzr := dzs[(oy*w+ox)*cout : (oy*w+ox)*cout+cout]
				nz := false
				for o, g := range dzr {
					db[o] += g
					nz = nz || g != 0
				}
				if !nz {
					continue
				}
				for dy := dylo; dy < dyhi; dy++ {
					row := (oy+dy-padH)*w + ox - padW
					lo, hi := (row+jlo)*cin, (row+jhi)*cin
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

// maxPool is MaxPooling2D(pool 2, strides 2, padding 'same') over an (h, w, c)
// input, float32 or int8 (whose scale pooling keeps); with h = 1 it is
// MaxPooling1D. When idx != nil it records, for every output, the index
// (within its window's input) of the maximum (the first one on ties).
func maxPool[T float32 | int8](x, y []T, idx []int32, nb, h, w, c int) {
	if h == 1 {
		maxPool1D(x, y, idx, nb, w, c)
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

// maxPool1D is maxPool for h = 1: windows of 2 steps (1 at an odd end).
func maxPool1D[T float32 | int8](x, y []T, idx []int32, nb, w, c int) {
	ow := (w + 1) / 2
	inS, outS := w*c, ow*c
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
// is c[r·ldc + j]. On amd64 it runs sixteen columns and four rows at a time.
func gemm(c []float32, ldc int, a []float32, ars, ais int, b []float32, ldb, rows, k, n int) {
	if rows == 0 || k == 0 || n == 0 {
		return
	}
	// The last element each operand reaches, checked once.
	_ = c[(rows-1)*ldc+n-1]
	_ = a[(rows-1)*ars+(k-1)*ais]
	_ = b[(k-1)*ldb+n-1]
	if !useAVX {
		gemmGo(c, ldc, a, ars, ais, b, ldb, rows, k, n)
		return
	}
	for j := 0; j < n; j += 16 {
		var mask [16]int32
		for l := range min(16, n-j) {
			mask[l] = -1
		}
		gemm16(&c[j], ldc, &a[0], ars, ais, &b[j], ldb, rows, k, &mask)
	}
}

// gemmGo is the reference of gemm16.
func gemmGo(c []float32, ldc int, a []float32, ars, ais int, b []float32, ldb, rows, k, n int) {
	for r := range rows {
		cr := c[r*ldc : r*ldc+n]
		for i := range k {
			av := a[r*ars+i*ais]
			br := b[i*ldb : i*ldb+n]
			for j, bv := range br {
				cr[j] += float32(av * bv)
			}
		}
	}
}
