package pysem

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"unicode/utf8"
)

// MaxStrDigits is sys.get_int_max_str_digits()'s default: int(str) refuses
// a decimal literal with more digits (CPython 3.11.0 and later).
const MaxStrDigits = 4300

// ErrRange marks an int() result kook cannot keep: Python ints are
// unbounded, kook orders group priorities as int64.
var ErrRange = errors.New("beyond the 64-bit range kook keeps integers in")

// ParseInt is int(s) for a str s (base 10), with Python's ValueError
// messages: surrounding whitespace, an optional sign, decimal digits of any
// script with single underscores between them.
//
// CPython first turns every non-ASCII space into ' ', every non-ASCII
// decimal digit into its ASCII digit and anything else non-ASCII into '?',
// then strips only C's ASCII whitespace: so U+3000 is stripped and the
// ASCII separators U+001C..U+001F, spaces to str.isspace(), are not.
func ParseInt(s string) (*big.Int, error) {
	t := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r < utf8.RuneSelf:
			t = append(t, byte(r))
		case IsSpace(r):
			t = append(t, ' ')
		default:
			if d, ok := DigitValue(r); ok {
				t = append(t, byte('0'+d))
			} else {
				t = append(t, '?')
			}
		}
	}
	invalid := func() (*big.Int, error) {
		return nil, fmt.Errorf("invalid literal for int() with base 10: %s", ReprString(s))
	}
	i := 0
	for i < len(t) && isASCIISpace(t[i]) {
		i++
	}
	neg := false
	if i < len(t) && (t[i] == '+' || t[i] == '-') {
		neg = t[i] == '-'
		i++
	}
	digits := make([]byte, 0, len(t)-i)
	for i < len(t) {
		c := t[i]
		if c == '_' && len(digits) > 0 && i+1 < len(t) && t[i+1] >= '0' && t[i+1] <= '9' {
			i++
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		digits = append(digits, c)
		i++
	}
	if len(digits) == 0 || (i < len(t) && t[i] == '_') {
		return invalid()
	}
	if len(digits) > MaxStrDigits {
		return nil, DigitLimitError(len(digits))
	}
	for i < len(t) && isASCIISpace(t[i]) {
		i++
	}
	if i < len(t) {
		return invalid()
	}
	v, _ := new(big.Int).SetString(string(digits), 10)
	if neg {
		v.Neg(v)
	}
	return v, nil
}

// IntOfFloat is int(f): truncation toward zero; NaN and the infinities
// fail as in Python.
func IntOfFloat(f float64) (*big.Int, error) {
	switch {
	case math.IsNaN(f):
		return nil, errors.New("cannot convert float NaN to integer")
	case math.IsInf(f, 0):
		return nil, errors.New("cannot convert float infinity to integer")
	}
	n, _ := big.NewFloat(math.Trunc(f)).Int(nil)
	return n, nil
}

// IntTypeError is the TypeError int() raises for a value of Python class
// cls (e.g. "NoneType", "list").
func IntTypeError(cls string) error {
	return fmt.Errorf("int() argument must be a string, a bytes-like object or a real number, not '%s'", cls)
}

// Int is int(v) for kook's values (nil, bool, int64, float64, string,
// []any, map[string]any) and for int and *big.Int.
func Int(v any) (*big.Int, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return big.NewInt(1), nil
		}
		return big.NewInt(0), nil
	case int:
		return big.NewInt(int64(x)), nil
	case int64:
		return big.NewInt(x), nil
	case *big.Int:
		return new(big.Int).Set(x), nil
	case float64:
		return IntOfFloat(x)
	case string:
		return ParseInt(x)
	}
	return nil, IntTypeError(TypeName(v))
}

// Int64 is Int for a result kook keeps as an int64 (a group priority).
// Python has no such bound, so a result beyond it is an error wrapping
// ErrRange rather than a clamped value: clamping would tie priorities that
// Ansible orders.
func Int64(v any) (int64, error) {
	n, err := Int(v)
	if err != nil {
		return 0, err
	}
	return BigToInt64(n)
}

// BigToInt64 narrows n to an int64, or fails with RangeError.
func BigToInt64(n *big.Int) (int64, error) {
	if !n.IsInt64() {
		return 0, RangeError(n.String())
	}
	return n.Int64(), nil
}

// RangeError is the refusal of an integer (given in decimal) beyond
// int64, wrapping ErrRange. Every reader refuses such an integer where
// Ansible would keep it exactly: a float in its place would print a
// different inventory.
func RangeError(decimal string) error {
	return fmt.Errorf("integer %s is %w", decimal, ErrRange)
}

// DigitLimitError is the ValueError of int(str), and the SyntaxError of a
// literal, with more than MaxStrDigits digits.
func DigitLimitError(n int) error {
	return fmt.Errorf("Exceeds the limit (%d digits) for integer string conversion: value has %d digits; use sys.set_int_max_str_digits() to increase the limit", MaxStrDigits, n)
}
