package kook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kook-project/kook/internal/pysem"
)

// Values in Vars are one of: nil, bool, int64, float64, string, []any and
// map[string]any. NormalizeValue converts what decoders hand out into that
// set; every other function here assumes it.

// NormalizeValue returns v converted to kook's value set: all integer types
// become int64, float32 becomes float64, maps with non-string keys get their
// keys printed as Ansible's JSON output prints them (true, null, 7.2), and
// slices and maps are normalised recursively. It fails on values JSON
// cannot hold, as Ansible does when it prints them.
func NormalizeValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, int64, float64, string:
		return x, nil
	case int:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case uint:
		return uintValue(uint64(x))
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		return uintValue(x)
	case float32:
		return float64(x), nil
	case json.Number:
		return numberValue(string(x))
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			n, err := NormalizeValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			n, err := NormalizeValue(e)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	case Vars:
		return NormalizeValue(map[string]any(x))
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			key, err := KeyString(k)
			if err != nil {
				return nil, err
			}
			n, err := NormalizeValue(e)
			if err != nil {
				return nil, err
			}
			out[key] = n
		}
		return out, nil
	}
	return nil, fmt.Errorf("value of type %T cannot be stored in an inventory", v)
}

func uintValue(u uint64) (any, error) {
	if u > math.MaxInt64 {
		return float64(u), nil
	}
	return int64(u), nil
}

// numberValue types a JSON number the way Python's json module does: with a
// fraction or exponent it is a float, otherwise an integer.
func numberValue(s string) (any, error) {
	if strings.ContainsAny(s, ".eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", s)
		}
		return f, nil
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// Python ints are unbounded; past int64 keep the magnitude.
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return nil, fmt.Errorf("bad number %q", s)
		}
		return f, nil
	}
	return i, nil
}

// KeyString returns the string Ansible's JSON output uses for a mapping key
// that YAML typed as something else: 7.2 -> "7.2", true -> "true",
// null -> "null".
func KeyString(k any) (string, error) {
	switch x := k.(type) {
	case string:
		return x, nil
	case nil:
		return "null", nil
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	}
	n, err := NormalizeValue(k)
	if err != nil {
		return "", fmt.Errorf("mapping key of type %T is not supported", k)
	}
	switch x := n.(type) {
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return string(AppendFloat(nil, x)), nil
	}
	return "", fmt.Errorf("mapping key of type %T is not supported", k)
}

// CopyVars returns a deep copy of vars, never nil.
func CopyVars(v Vars) Vars {
	out := make(Vars, len(v))
	for k, e := range v {
		out[k] = CopyValue(e)
	}
	return out
}

// CopyValue returns a deep copy of a value.
func CopyValue(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = CopyValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = CopyValue(e)
		}
		return out
	}
	return v
}

// EqualValues reports whether two values are the same, type included:
// int64 1 and float64 1.0 differ, as they do for Ansible.
func EqualValues(a, b any) bool {
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !EqualValues(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, e := range x {
			f, ok := y[k]
			if !ok || !EqualValues(e, f) {
				return false
			}
		}
		return true
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || (math.IsNaN(x) && math.IsNaN(y)))
	}
	return a == b
}

// EqualVars reports whether two var sets hold the same keys and values.
func EqualVars(a, b Vars) bool {
	return EqualValues(map[string]any(a), map[string]any(b))
}

// AppendJSON appends v as compact JSON with keys sorted, written the way
// Python's json module writes it (floats keep a fraction, non-ASCII stays
// raw, NaN and Infinity are bare words). Ansible reads this back to the
// same value and type. A value outside kook's value set is converted as
// NormalizeValue converts it; one it cannot convert is an error saying
// where in v it is (`["k"][2]: value of type chan int cannot be stored in
// an inventory`), and dst is then returned as it was.
func AppendJSON(dst []byte, v any) ([]byte, error) {
	out, err := appendJSON(dst, v)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// AppendVars appends vars as a JSON object, {} for none, as AppendJSON
// does; its error names the var that holds a value outside kook's value
// set: `var "k": value of type chan int cannot be stored in an inventory`.
func AppendVars(dst []byte, vars Vars) ([]byte, error) {
	if len(vars) == 0 {
		return append(dst, "{}"...), nil
	}
	out, err := appendObject(dst, vars, varLabel)
	if err != nil {
		return dst, err
	}
	return out, nil
}

func appendJSON(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case float64:
		return AppendFloat(dst, x), nil
	case string:
		return AppendString(dst, x), nil
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendJSON(dst, e); err != nil {
				return dst, fmt.Errorf("[%d]%s", i, errorPath(err))
			}
		}
		return append(dst, ']'), nil
	case map[string]any:
		return appendObject(dst, x, keyLabel)
	case Vars:
		return appendObject(dst, x, keyLabel)
	}
	n, err := NormalizeValue(v)
	if err != nil {
		return dst, pathError{err}
	}
	return appendJSON(dst, n)
}

// pathError is the innermost error of appendJSON, before the path to it
// is put in front: `: ` separates the path from it.
type pathError struct{ error }

// errorPath returns err's text to follow a path element: the rest of the
// path, or ": " and the message once the path is complete.
func errorPath(err error) string {
	if pe, ok := err.(pathError); ok {
		return ": " + pe.Error()
	}
	return err.Error()
}

// Labels of a key in the path of an error: a var, or a key in a value.
func varLabel(k string) string { return fmt.Sprintf("var %q", k) }
func keyLabel(k string) string { return fmt.Sprintf("[%q]", k) }

func appendObject[M ~map[string]any](dst []byte, m M, label func(string) string) ([]byte, error) {
	// Most objects are small: their keys are sorted on the stack, which
	// spares an allocation for every host and group a write encodes.
	var small [16]string
	keys := small[:0]
	if len(m) > len(small) {
		keys = make([]string, 0, len(m))
	}
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, k)
		dst = append(dst, ':')
		var err error
		if dst, err = appendJSON(dst, m[k]); err != nil {
			return dst, fmt.Errorf("%s%s", label(k), errorPath(err))
		}
	}
	return append(dst, '}'), nil
}

// ShowJSON returns v as AppendJSON writes it, for messages: a value
// outside kook's value set is shown with %v instead.
func ShowJSON(v any) string {
	b, err := AppendJSON(nil, v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}

// AppendFloat appends f as Python's repr writes it: "1.0", "0.0001",
// "1e-05", "1e+16", and the bare words NaN, Infinity and -Infinity.
func AppendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	return pysem.AppendFloat(dst, f)
}

// AppendString appends s as a JSON string the way Python's json module
// writes it with ensure_ascii=False. Invalid UTF-8 becomes U+FFFD.
func AppendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, "\ufffd"...)
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// DecodeJSON parses one JSON value into kook's value set, typing numbers as
// Python does (1 is an integer, 1.0 a float).
func DecodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return NormalizeValue(v)
}
