package dataset

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file parses data acquisition JSON in one pass, writing payload.values
// straight into the interleaved value slice. It follows encoding/json's
// reading of the document into the acquisition structure (object keys match
// case-insensitively, the last duplicate wins, null leaves a field unset,
// unknown keys are skipped after validation), except that null, strings or
// nested arrays inside payload.values are errors rather than zeros.

type jsonScanner struct {
	s   string
	i   int
	err error
}

// maxJSONDepth bounds the nesting of skipped values.
const maxJSONDepth = 1000

func (p *jsonScanner) fail(format string, args ...any) {
	if p.err == nil {
		p.err = formatError("not a data acquisition JSON file: offset %d: %s", p.i, fmt.Sprintf(format, args...))
	}
}

// truncated reports that the input ends inside a value.
func (p *jsonScanner) truncated() { p.fail("truncated: unexpected end of JSON input") }

func (p *jsonScanner) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (p *jsonScanner) peek() byte {
	p.ws()
	if p.i >= len(p.s) {
		return 0
	}
	return p.s[p.i]
}

func (p *jsonScanner) expect(c byte) bool {
	if p.peek() != c {
		if p.i >= len(p.s) {
			p.truncated()
		} else {
			p.fail("want %q, found %q", c, p.s[p.i])
		}
		return false
	}
	p.i++
	return true
}

// literal consumes true, false or null.
func (p *jsonScanner) literal(word string) bool {
	if strings.HasPrefix(p.s[p.i:], word) {
		p.i += len(word)
		return true
	}
	if strings.HasPrefix(word, p.s[p.i:]) {
		p.truncated()
	} else {
		p.fail("invalid literal")
	}
	return false
}

// null consumes a null if one comes next.
func (p *jsonScanner) null() bool {
	if p.peek() == 'n' {
		return p.literal("null")
	}
	return false
}

// number consumes a JSON number and returns its text.
func (p *jsonScanner) number() (string, bool) {
	p.ws()
	s := p.s
	start, i := p.i, p.i
	digits := func() int { // the number of digits at i, which it skips
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - d
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	ok := i < len(s) && s[i] == '0'
	if ok {
		i++ // no digits after a leading zero
	} else {
		ok = digits() > 0
	}
	if ok && i < len(s) && s[i] == '.' {
		i++
		ok = digits() > 0
	}
	if ok && i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		ok = digits() > 0
	}
	p.i = i
	if !ok {
		p.numberError()
		return "", false
	}
	return s[start:i], true
}

func (p *jsonScanner) numberError() {
	if p.i >= len(p.s) {
		p.truncated()
	} else {
		p.fail("invalid number")
	}
}

// float consumes a number that must fit a float64.
func (p *jsonScanner) float() (float64, bool) {
	text, ok := p.number()
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		p.fail("number %s is out of range", text)
		return 0, false
	}
	return v, true
}

// str consumes a string and returns its value, with invalid UTF-8 and
// unpaired surrogates replaced by U+FFFD as encoding/json does.
func (p *jsonScanner) str() (string, bool) {
	if !p.expect('"') {
		return "", false
	}
	start := p.i
	s := p.s
	// Fast path: no escapes, valid ASCII.
	for i := start; i < len(s); i++ {
		c := s[i]
		if c == '"' {
			p.i = i + 1
			return s[start:i], true
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
	}
	var b strings.Builder
	i := start
	for {
		if i >= len(s) {
			p.i = i
			p.truncated()
			return "", false
		}
		c := s[i]
		switch {
		case c == '"':
			p.i = i + 1
			return b.String(), true
		case c < 0x20:
			p.i = i
			p.fail("control character in string")
			return "", false
		case c == '\\':
			if i+1 >= len(s) {
				p.i = len(s)
				p.truncated()
				return "", false
			}
			e := s[i+1]
			i += 2
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := hex4(s, i)
				if !ok {
					p.i = i
					if len(s)-i < 4 {
						p.truncated()
					} else {
						p.fail("invalid \\u escape")
					}
					return "", false
				}
				i += 4
				if utf16.IsSurrogate(r) {
					if r2, ok := hex4(s, i+2); ok && i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							b.WriteRune(dec)
							i += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				b.WriteRune(r)
			default:
				p.i = i - 1
				p.fail("invalid escape")
				return "", false
			}
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			b.WriteRune(r) // RuneError for invalid bytes
			i += size
		}
	}
}

func hex4(s string, i int) (rune, bool) {
	if i < 0 || len(s)-i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// skip consumes and validates any value.
func (p *jsonScanner) skip(depth int) {
	if depth > maxJSONDepth {
		p.fail("nesting too deep")
		return
	}
	switch c := p.peek(); c {
	case '{':
		p.object(func(string) { p.skip(depth + 1) })
	case '[':
		p.array(func(int) { p.skip(depth + 1) })
	case '"':
		p.str()
	case 't':
		p.literal("true")
	case 'f':
		p.literal("false")
	case 'n':
		p.literal("null")
	case 0:
		p.truncated()
	default:
		p.number()
	}
}

// object consumes an object, calling field for each key with the scanner
// positioned at its value, which field must consume.
func (p *jsonScanner) object(field func(key string)) {
	if !p.expect('{') {
		return
	}
	if p.peek() == '}' {
		p.i++
		return
	}
	for p.err == nil {
		key, ok := p.str()
		if !ok || !p.expect(':') {
			return
		}
		field(key)
		if p.err != nil {
			return
		}
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return
		default:
			p.expect('}')
			return
		}
	}
}

// array consumes an array, calling elem for each element.
func (p *jsonScanner) array(elem func(i int)) {
	if !p.expect('[') {
		return
	}
	if p.peek() == ']' {
		p.i++
		return
	}
	for n := 0; p.err == nil; n++ {
		elem(n)
		if p.err != nil {
			return
		}
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			return
		default:
			p.expect(']')
			return
		}
	}
}

// stringField reads a string or null into dst.
func (p *jsonScanner) stringField(dst *string, name string) {
	if p.null() {
		return
	}
	if p.peek() != '"' {
		p.fail("%s: want a string", name)
		return
	}
	*dst, _ = p.str()
}

// parseAcquisitionJSON reads a data acquisition JSON document.
func parseAcquisitionJSON(data []byte) (*acquisition, error) {
	p := &jsonScanner{s: string(data)}
	var a acquisition
	payload := false
	var rawValues int = -1 // offset of payload.values, parsed once the sensors are known
	if p.peek() != '{' {
		if p.i < len(p.s) {
			p.fail("not a JSON object")
		}
		p.skip(0)
		if p.err == nil {
			return nil, formatError("not a data acquisition JSON file: not a JSON object")
		}
		return nil, p.err
	}
	p.object(func(key string) {
		switch {
		case strings.EqualFold(key, "protected"):
			if p.null() {
				a.alg = ""
				return
			}
			if p.peek() != '{' {
				p.fail("protected: want an object")
				return
			}
			p.object(func(k string) {
				if strings.EqualFold(k, "alg") {
					p.stringField(&a.alg, "protected.alg")
				} else if strings.EqualFold(k, "ver") {
					var v string
					p.stringField(&v, "protected.ver")
				} else {
					p.skip(1)
				}
			})
		case strings.EqualFold(key, "payload"):
			if p.null() {
				payload = false
				a.deviceName, a.deviceType, a.hasInterval, a.sensors, rawValues = "", "", false, nil, -1
				return
			}
			if p.peek() != '{' {
				p.fail("payload: want an object")
				return
			}
			payload = true
			p.object(func(k string) {
				switch {
				case strings.EqualFold(k, "device_name"):
					p.stringField(&a.deviceName, "payload.device_name")
				case strings.EqualFold(k, "device_type"):
					p.stringField(&a.deviceType, "payload.device_type")
				case strings.EqualFold(k, "interval_ms"):
					if p.null() {
						a.hasInterval = false
						return
					}
					if c := p.peek(); c != '-' && (c < '0' || c > '9') {
						p.fail("payload.interval_ms: want a number")
						return
					}
					a.intervalMs, a.hasInterval = p.float()
				case strings.EqualFold(k, "sensors"):
					a.sensors = nil
					if p.null() {
						return
					}
					if p.peek() != '[' {
						p.fail("payload.sensors: want an array")
						return
					}
					a.sensors = []Sensor{}
					p.array(func(int) {
						var s Sensor
						if p.null() {
							a.sensors = append(a.sensors, s)
							return
						}
						if p.peek() != '{' {
							p.fail("payload.sensors: want objects")
							return
						}
						p.object(func(f string) {
							switch {
							case strings.EqualFold(f, "name"):
								p.stringField(&s.Name, "payload.sensors[].name")
							case strings.EqualFold(f, "units"):
								p.stringField(&s.Units, "payload.sensors[].units")
							default:
								p.skip(3)
							}
						})
						a.sensors = append(a.sensors, s)
					})
				case strings.EqualFold(k, "values"):
					p.ws()
					rawValues = p.i
					p.skip(2)
				default:
					p.skip(2)
				}
			})
		default:
			p.skip(1)
		}
	})
	if p.err == nil && p.peek() != 0 {
		p.fail("data after the JSON object")
	}
	if p.err != nil {
		return nil, p.err
	}
	if !payload {
		return nil, formatError("no payload object")
	}
	if rawValues < 0 || strings.HasPrefix(p.s[rawValues:], "null") {
		return nil, formatError("payload.values is missing")
	}
	p.i = rawValues
	if err := a.scanValues(p); err != nil {
		return nil, err
	}
	return &a, nil
}

// scanValues reads payload.values, which the first pass validated.
func (a *acquisition) scanValues(p *jsonScanner) error {
	k := len(a.sensors)
	if k == 0 {
		return formatError("payload.sensors is missing or empty")
	}
	if p.peek() != '[' {
		return formatError("payload.values is not an array of numbers or of arrays of numbers")
	}
	// Estimate the count from the length to allocate once.
	a.values = make([]float64, 0, min(len(p.s)-p.i, 1<<20)/4)
	nested := -1
	var rowErr error
	p.array(func(i int) {
		switch c := p.peek(); {
		case c == '[':
			if nested == 0 {
				rowErr = formatError("payload.values mixes numbers and arrays")
				p.fail("")
				return
			}
			nested = 1
			n := 0
			p.array(func(int) {
				v, ok := a.scanNumber(p)
				if ok {
					a.values = append(a.values, v)
					n++
				}
			})
			if p.err == nil && n != k {
				rowErr = formatError("payload.values[%d] has %d values, want %d (one per sensor)", i, n, k)
				p.fail("")
			}
		case c == '"':
			rowErr = formatError("payload.values holds strings (references to attachments), which are not supported")
			p.fail("")
		default:
			if nested == 1 {
				rowErr = formatError("payload.values mixes numbers and arrays")
				p.fail("")
				return
			}
			nested = 0
			if v, ok := a.scanNumber(p); ok {
				a.values = append(a.values, v)
			}
		}
		a.rows++
	})
	if rowErr != nil {
		return rowErr
	}
	if p.err != nil {
		return formatError("payload.values is not an array of numbers or of arrays of numbers")
	}
	if nested == 0 && k != 1 {
		return formatError("payload.values is a flat array but there are %d sensors", k)
	}
	return nil
}

func (a *acquisition) scanNumber(p *jsonScanner) (float64, bool) {
	c := p.peek()
	if c != '-' && (c < '0' || c > '9') {
		p.fail("not a number")
		return 0, false
	}
	return p.float()
}
