package pysem

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Reprer is a value that writes its own repr(): a reader's ordered
// mapping, a tagged value. AppendRepr hands it the buffer.
type Reprer interface {
	AppendPyRepr(b []byte) []byte
}

// Repr is repr(v) for kook's values (nil, bool, int64, float64, string,
// []any, map[string]any with its keys sorted, since a Go map has no order
// to keep), int, *big.Int and any Reprer.
func Repr(v any) string { return string(AppendRepr(nil, v)) }

// AppendRepr appends Repr(v) to b.
func AppendRepr(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "None"...)
	case bool:
		if x {
			return append(b, "True"...)
		}
		return append(b, "False"...)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case *big.Int:
		return x.Append(b, 10)
	case float64:
		return AppendFloat(b, x)
	case string:
		return AppendReprString(b, x)
	case Reprer:
		return x.AppendPyRepr(b)
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = AppendRepr(b, e)
		}
		return append(b, ']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = AppendReprString(b, k)
			b = append(b, ": "...)
			b = AppendRepr(b, x[k])
		}
		return append(b, '}')
	}
	return fmt.Append(b, v)
}

// ReprString is repr(s) for a str.
func ReprString(s string) string { return string(AppendReprString(nil, s)) }

// AppendReprString appends repr(s): single quotes unless s holds a single
// quote and no double quote, the usual backslash escapes, \x, \u or \U
// for what str.isprintable() refuses. An invalid UTF-8 byte is written as
// the lone surrogate Python's surrogateescape decoding makes of it.
func AppendReprString(b []byte, s string) []byte {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	b = append(b, q)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = fmt.Appendf(b, `\udc%02x`, s[i])
			i++
			continue
		}
		i += n
		switch {
		case r == rune(q) || r == '\\':
			b = append(b, '\\')
			b = utf8.AppendRune(b, r)
		case r == '\t':
			b = append(b, `\t`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r < ' ' || r == 0x7f:
			b = fmt.Appendf(b, `\x%02x`, r)
		case r < 0x7f || IsPrintable(r):
			b = utf8.AppendRune(b, r)
		case r <= 0xff:
			b = fmt.Appendf(b, `\x%02x`, r)
		case r <= 0xffff:
			b = fmt.Appendf(b, `\u%04x`, r)
		default:
			b = fmt.Appendf(b, `\U%08x`, r)
		}
	}
	return append(b, q)
}

// IsPrintable is str.isprintable() of r: false for the categories Other
// and Separator except the ASCII space, and for what Python's Unicode data
// leaves unassigned.
func IsPrintable(r rune) bool {
	return unicode.IsPrint(r) && !unassigned(r)
}

// AppendFloat appends repr(f) for a float: the shortest digits that read
// back as f, positional between 1e-4 and 1e16 ("1.0", "0.0001",
// "1e-05", "1e+16"), and nan, inf, -inf.
func AppendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	if e[0] == '-' {
		dst = append(dst, '-')
		e = e[1:]
	}
	mant, exp, _ := bytes.Cut(e, []byte("e"))
	x, _ := strconv.Atoi(string(exp))
	digits := make([]byte, 0, len(mant))
	for _, c := range mant {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	decpt := x + 1 // value = 0.DIGITS * 10^decpt
	if decpt <= -4 || decpt > 16 {
		dst = append(dst, digits[0])
		if len(digits) > 1 {
			dst = append(dst, '.')
			dst = append(dst, digits[1:]...)
		}
		dst = append(dst, 'e')
		if x < 0 {
			dst = append(dst, '-')
			x = -x
		} else {
			dst = append(dst, '+')
		}
		if x < 10 {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(x), 10)
	}
	switch {
	case decpt <= 0:
		dst = append(dst, "0."...)
		for i := 0; i < -decpt; i++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	case decpt >= len(digits):
		dst = append(dst, digits...)
		for i := len(digits); i < decpt; i++ {
			dst = append(dst, '0')
		}
		return append(dst, ".0"...)
	default:
		dst = append(dst, digits[:decpt]...)
		dst = append(dst, '.')
		return append(dst, digits[decpt:]...)
	}
}

// TypeName is the name of v's Python class as int() and friends quote it:
// NoneType, bool, int, float, str, list, dict.
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int, int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}
