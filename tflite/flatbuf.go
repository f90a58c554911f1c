package tflite

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// fbuf reads a flatbuffer defensively: every offset, length and alignment
// is checked before it is followed, as flatbuffers' C++ Verifier checks
// them, so that a corrupted or truncated file gives an error, never a panic
// or an out-of-range read. Tables and vectors may be shared, so a small file
// could make a reader visit the same data many times: every table and
// vector visited is charged to a budget proportional to the file's size
// (as the Verifier bounds the tables it visits), which bounds the reader's
// time and memory.
type fbuf struct {
	b      []byte
	budget int
	only   map[onlyKey]error // verdicts of table.only per vtable
}

type onlyKey struct {
	vt   int
	what string
}

func newFbuf(b []byte) *fbuf {
	return &fbuf{b: b, budget: 16*len(b) + 1<<12, only: map[onlyKey]error{}}
}

// charge spends n bytes of the budget.
func (f *fbuf) charge(n int) error {
	f.budget -= n
	if f.budget < 0 {
		return f.errorf("the file's tables refer to far more data than it holds")
	}
	return nil
}

// table is a verified flatbuffer table: its position and its vtable.
type table struct {
	f          *fbuf
	pos        int // start of the table (its soffset to the vtable)
	vt, vtSize int // vtable position and size in bytes
	size       int // inline size of the table
	what       string
}

func (f *fbuf) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
}

// in reports whether [pos, pos+n) lies in the buffer and pos is a multiple
// of align.
func (f *fbuf) in(pos, n, align int) bool {
	return pos >= 0 && n >= 0 && pos <= len(f.b) && n <= len(f.b)-pos && pos%align == 0
}

func (f *fbuf) u16(pos int) uint16 { return binary.LittleEndian.Uint16(f.b[pos:]) }
func (f *fbuf) u32(pos int) uint32 { return binary.LittleEndian.Uint32(f.b[pos:]) }

// root returns the root table after checking the file identifier.
func (f *fbuf) root(ident string) (table, error) {
	if len(f.b) < 8 {
		return table{}, f.errorf("%d bytes is too short for a flatbuffer", len(f.b))
	}
	if len(f.b) > math.MaxInt32 {
		return table{}, f.errorf("%d bytes is more than a flatbuffer can hold", len(f.b))
	}
	if string(f.b[4:8]) != ident {
		return table{}, f.errorf("file identifier %q, want %q", f.b[4:8], ident)
	}
	p, err := f.follow(0)
	if err != nil {
		return table{}, f.errorf("root: %v", err)
	}
	return f.table(p, "Model")
}

// table verifies the table at pos.
func (f *fbuf) table(pos int, what string) (table, error) {
	if err := f.charge(64); err != nil {
		return table{}, err
	}
	if !f.in(pos, 4, 4) {
		return table{}, f.errorf("%s table at %d is outside the file or misaligned", what, pos)
	}
	vt := int64(pos) - int64(int32(f.u32(pos)))
	if vt < 0 || vt > int64(len(f.b)) || !f.in(int(vt), 4, 2) {
		return table{}, f.errorf("%s vtable at %d is outside the file", what, vt)
	}
	t := table{f: f, pos: pos, vt: int(vt), what: what}
	t.vtSize, t.size = int(f.u16(t.vt)), int(f.u16(t.vt+2))
	if t.vtSize < 4 || t.vtSize%2 != 0 || !f.in(t.vt, t.vtSize, 2) || t.size < 4 || !f.in(pos, t.size, 4) {
		return table{}, f.errorf("%s table at %d: vtable of %d bytes for a table of %d bytes does not fit", what, pos, t.vtSize, t.size)
	}
	return t, nil
}

// only checks that no field but the given slots is present: a field this
// package does not read is refused rather than left unverified.
func (t table) only(slots ...int) error {
	key := onlyKey{t.vt, t.what}
	if err, ok := t.f.only[key]; ok {
		return err
	}
	var err error
	for e := 4; e+2 <= t.vtSize; e += 2 {
		if slot := (e - 4) / 2; t.f.u16(t.vt+e) != 0 && !slices.Contains(slots, slot) {
			err = t.f.errorf("%s table at %d has field %d, which this package does not read", t.what, t.pos, slot)
			break
		}
	}
	t.f.only[key] = err
	return err
}

// field returns the position of slot's value of the given size, or false
// when the field is absent.
func (t table) field(slot, size int) (int, bool, error) {
	e := 4 + 2*slot
	if e+2 > t.vtSize {
		return 0, false, nil
	}
	off := int(t.f.u16(t.vt + e))
	if off == 0 {
		return 0, false, nil
	}
	if off < 4 || off+size > t.size || (t.pos+off)%size != 0 {
		return 0, false, t.f.errorf("%s field %d at table offset %d is outside the table or misaligned", t.what, slot, off)
	}
	return t.pos + off, true, nil
}

func (t table) uint32(slot int, def uint32) (uint32, error) {
	p, ok, err := t.field(slot, 4)
	if !ok || err != nil {
		return def, err
	}
	return t.f.u32(p), nil
}

func (t table) int32(slot int, def int32) (int32, error) {
	v, err := t.uint32(slot, uint32(def))
	return int32(v), err
}

func (t table) int8(slot int, def int8) (int8, error) {
	p, ok, err := t.field(slot, 1)
	if !ok || err != nil {
		return def, err
	}
	return int8(t.f.b[p]), nil
}

func (t table) float32(slot int, def float32) (float32, error) {
	v, err := t.uint32(slot, math.Float32bits(def))
	return math.Float32frombits(v), err
}

func (t table) bool(slot int) (bool, error) {
	v, err := t.int8(slot, 0)
	return v != 0, err
}

// ref follows the offset in slot; it returns false when the field is absent.
func (t table) ref(slot int) (int, bool, error) {
	p, ok, err := t.field(slot, 4)
	if !ok || err != nil {
		return 0, ok, err
	}
	target, err := t.f.follow(p)
	if err != nil {
		return 0, false, t.f.errorf("%s field %d: %v", t.what, slot, err)
	}
	return target, true, nil
}

// follow returns the position the uoffset at p refers to. As flatbuffers'
// verifier requires, the offset is not 0 (pointing at itself), below 2^31,
// and its target lies in the file.
func (f *fbuf) follow(p int) (int, error) {
	o := f.u32(p)
	target := int64(p) + int64(o)
	if o == 0 || o > math.MaxInt32 || target >= int64(len(f.b)) {
		return 0, fmt.Errorf("offset %d at %d points outside the file", o, p)
	}
	return int(target), nil
}

// child returns the table slot refers to.
func (t table) child(slot int, what string) (table, bool, error) {
	p, ok, err := t.ref(slot)
	if !ok || err != nil {
		return table{}, ok, err
	}
	c, err := t.f.table(p, what)
	return c, err == nil, err
}

// vector returns the position of the first element and the length of the
// vector in slot (0 elements when absent).
func (t table) vector(slot, elem int) (int, int, error) {
	p, ok, err := t.ref(slot)
	if !ok || err != nil {
		return 0, 0, err
	}
	return t.f.vector(p, elem, t.what, slot)
}

func (f *fbuf) vector(p, elem int, what string, slot int) (int, int, error) {
	if !f.in(p, 4, 4) {
		return 0, 0, f.errorf("%s field %d: vector at %d is outside the file or misaligned", what, slot, p)
	}
	n := int64(f.u32(p))
	start := p + 4
	if n*int64(elem) > int64(len(f.b)-start) || !f.in(start, int(n)*elem, min(elem, 8)) {
		return 0, 0, f.errorf("%s field %d: vector of %d elements of %d bytes does not fit in the file", what, slot, n, elem)
	}
	if err := f.charge(16 + 4*int(n)*elem); err != nil {
		return 0, 0, err
	}
	return start, int(n), nil
}

// tables returns the tables of a vector of tables.
func (t table) tables(slot int, what string) ([]table, error) {
	start, n, err := t.vector(slot, 4)
	if err != nil {
		return nil, err
	}
	out := make([]table, n)
	for i := range out {
		p, err := t.f.follow(start + 4*i)
		if err != nil {
			return nil, t.f.errorf("%s field %d element %d: %v", t.what, slot, i, err)
		}
		if out[i], err = t.f.table(p, what); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (t table) int32s(slot int) ([]int32, error) {
	start, n, err := t.vector(slot, 4)
	if err != nil {
		return nil, err
	}
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(t.f.u32(start + 4*i))
	}
	return out, nil
}

func (t table) float32s(slot int) ([]float32, error) {
	v, err := t.int32s(slot)
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = math.Float32frombits(uint32(x))
	}
	return out, nil
}

func (t table) int64s(slot int) ([]int64, error) {
	start, n, err := t.vector(slot, 8)
	if err != nil {
		return nil, err
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(t.f.b[start+8*i:]))
	}
	return out, nil
}

func (t table) bytes(slot int) ([]byte, bool, error) {
	p, ok, err := t.ref(slot)
	if !ok || err != nil {
		return nil, ok, err
	}
	start, n, err := t.f.vector(p, 1, t.what, slot)
	if err != nil {
		return nil, true, err
	}
	return t.f.b[start : start+n : start+n], true, nil
}

// string returns the string in slot ("" when absent); strings end in a NUL
// byte, which the verifier requires.
func (t table) string(slot int) (string, error) {
	p, ok, err := t.ref(slot)
	if !ok || err != nil {
		return "", err
	}
	start, n, err := t.f.vector(p, 1, t.what, slot)
	if err != nil {
		return "", err
	}
	if start+n >= len(t.f.b) || t.f.b[start+n] != 0 {
		return "", t.f.errorf("%s field %d: string is not NUL-terminated", t.what, slot)
	}
	return string(t.f.b[start : start+n]), nil
}
