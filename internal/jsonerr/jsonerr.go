// Package jsonerr describes encoding/json's decoding errors for people: the
// line of a syntax error, a truncated or empty document, the field of a type
// mismatch.
package jsonerr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Text describes err, an error of decoding data with encoding/json (a
// json.Decoder or json.Unmarshal), naming the line of a syntax error.
func Text(data []byte, err error) string {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF): // from a json.Decoder
		return "truncated: unexpected end of JSON input"
	case errors.Is(err, io.EOF):
		return "empty: no JSON value"
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		if int(se.Offset) >= len(bytes.TrimRight(data, " \t\r\n")) {
			return "truncated: " + err.Error()
		}
		line := 1 + bytes.Count(data[:int(se.Offset)], []byte("\n"))
		return fmt.Sprintf("line %d: %v", line, err)
	}
	var ue *json.UnmarshalTypeError
	if errors.As(err, &ue) {
		return fmt.Sprintf("%s: got JSON %s, want %v", ue.Field, ue.Value, ue.Type)
	}
	return err.Error()
}
