package learn

// Float32 kernels of the layers, forward and backward, for a batch of nb windows
// stored one after another (channels-last, row-major). They never allocate.

// axpyRows adds Σ_t x[t]·w[t·c : t·c+c] to y (len(y) == c), skipping zero inputs
// (ReLU outputs are often zero).
func axpyRows(y, x, w []float32) {
	c := len(y)
	if c == 0 {
		return
	}
	switch {
	case c%8 == 0:
		for t, xv := range x {
			if xv == 0 {
				continue
			}
			wr := w[t*c : t*c+c]
			for o := 0; o+8 <= len(wr); o += 8 {
				yy := y[o : o+8 : o+8]
				ww := wr[o : o+8 : o+8]
				yy[0] += xv * ww[0]
				yy[1] += xv * ww[1]
				yy[2] += xv * ww[2]
				yy[3] += xv * ww[3]
				yy[4] += xv * ww[4]
				yy[5] += xv * ww[5]
				yy[6] += xv * ww[6]
				yy[7] += xv * ww[7]
			}
		}
	case c%4 == 0:
		for t, xv := range x {
			if xv == 0 {
				continue
			}
			wr := w[t*c : t*c+c]
			for o := 0; o+4 <= len(wr); o += 4 {
				yy := y[o : o+4 : o+4]
				ww := wr[o : o+4 : o+4]
				yy[0] += xv * ww[0]
				yy[1] += xv * ww[1]
				yy[2] += xv * ww[2]
				yy[3] += xv * ww[3]
			}
		}
	default:
		for t, xv := range x {
			if xv == 0 {
				continue
			}
			wr := w[t*c : t*c+c]
			for o, wv := range wr {
				y[o] += xv * wv
			}
		}
	}
}

// backRows is the backward pass of axpyRows for one output row dz (len c):
// dw[t·c+o] += x[t]·dz[o] and, when dx != nil, dx[t] += Σ_o w[t·c+o]·dz[o].
func backRows(dw, dx, x, w, dz []float32) {
	c := len(dz)
	if dx == nil {
		for t, xv := range x {
			if xv == 0 {
				continue
			}
			dr := dw[t*c : t*c+c]
			for o, g := range dz {
				dr[o] += xv * g
			}
		}
		return
	}
	dx = dx[:len(x)]
	for t, xv := range x {
		wr := w[t*c : t*c+c]
		dr := dw[t*c : t*c+c]
		var acc float32
		if xv == 0 {
			for o, g := range dz {
				acc += wr[o] * g
			}
		} else {
			for o, g := range dz {
				dr[o] += xv * g
				acc += wr[o] * g
			}
		}
		dx[t] += acc
	}
}

// denseForward computes y = x·W + b for nb rows; W is (in, out) row-major.
func denseForward(w, b, x, y []float32, nb, in, out int) {
	for s := range nb {
		yr := y[s*out : s*out+out]
		copy(yr, b)
		axpyRows(yr, x[s*in:s*in+in], w)
	}
}

// denseBackward accumulates dW += xᵀ·dz, db += Σdz and, when dx != nil, sets dx = dz·Wᵀ.
func denseBackward(w, dw, db, x, dz, dx []float32, nb, in, out int) {
	if dx != nil {
		clear(dx[:nb*in])
	}
	for s := range nb {
		dzr := dz[s*out : s*out+out]
		for o, g := range dzr {
			db[o] += g
		}
		var dxr []float32
		if dx != nil {
			dxr = dx[s*in : s*in+in]
		}
		backRows(dw, dxr, x[s*in:s*in+in], w, dzr)
	}
}

// convForward is a stride-1 convolution with Keras 'same' padding of an (h, w, cin)
// input with a (kh, kw, cin, cout) kernel; conv1d is the case h = kh = 1.
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
				copy(yr, b)
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

// pool2DForward is MaxPooling2D(pool 2, strides 2, padding 'same') over an (h, w, c)
// input; with h = 1 it is MaxPooling1D. When idx != nil it records, for every
// output, the index (within its window's input) of the maximum (the first one on ties).
func pool2DForward(x, y []float32, idx []int32, nb, h, w, c int) {
	oh, ow := (h+1)/2, (w+1)/2
	if h == 1 {
		oh = 1
	}
	inS, outS := h*w*c, oh*ow*c
	for s := range nb {
		xs, ys := x[s*inS:s*inS+inS], y[s*outS:s*outS+outS]
		for oy := range oh {
			y0 := oy * 2
			y1 := min(y0+2, h)
			if h == 1 {
				y0, y1 = 0, 1
			}
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
