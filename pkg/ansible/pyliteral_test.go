package ansible

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/kook-project/kook/internal/pysem"
	"github.com/kook-project/kook/pkg/kook"
)

func TestPyLiteralEval(t *testing.T) {
	for _, c := range pyLiteralCases {
		got, err := iniValue(c.in)
		switch c.kind {
		case "raw":
			if err != nil || got != c.in {
				t.Errorf("%q: got %#v, %v; want the raw text", c.in, got, err)
			}
		case "err":
			if err == nil {
				t.Errorf("%q: got %#v, want an error", c.in, got)
			}
		case "val":
			if err != nil {
				t.Errorf("%q: %v", c.in, err)
				continue
			}
			if strings.Contains(c.json, "Infinity") {
				// JSON has no infinities: compare through Python's spelling.
				lit, _ := pyLiteral(got)
				want := strings.ReplaceAll(strings.ReplaceAll(c.json, "-Infinity", "-1e999"), "Infinity", "1e999")
				if lit != want {
					t.Errorf("%q: got %s, want %s", c.in, lit, want)
				}
				continue
			}
			want, derr := kook.DecodeJSON([]byte(c.json))
			if derr != nil {
				t.Fatalf("%q: bad case %s: %v", c.in, c.json, derr)
			}
			if !kook.EqualValues(want, got) {
				t.Errorf("%q: (-python +kook):\n%s", c.in, cmp.Diff(want, got))
			}
		}
	}
}

func TestPyLiteralEvalErrors(t *testing.T) {
	cases := map[string]string{
		"{[1]: 1}":                "unhashable type: 'list'",
		"{{'x'}}":                 "unhashable type: 'set'",
		"{(1, [2]): 3}":           "unhashable type: 'list'",
		"{(1, 2): 3}":             "keys must be str, int, float, bool or None, not tuple",
		"1+2j":                    "Object of type complex is not JSON serializable",
		"-1-2j":                   "Object of type complex is not JSON serializable",
		"{1, 2}":                  "Object of type set is not JSON serializable",
		"...":                     "Object of type ellipsis is not JSON serializable",
		"[b'x']":                  "Object of type bytes is not JSON serializable",
		"b'\\xff'":                "bytes value is not valid UTF-8",
		"0x1_0000_0000_0000_0000": "integer 18446744073709551616 is beyond the 64-bit range kook keeps integers in",
		"-9223372036854775809":    "integer -9223372036854775809 is beyond the 64-bit range kook keeps integers in",
		"{1: 'a', '1': 'b'}":      `dict keys collide once written as strings: "1"`,
		"'\\N{BULLET}'":           `\N{...} escapes are not supported`,
		"'\\udc80'":               "lone surrogate in string",
		"{'a': 1, 'b': {1, 2}}":   "Object of type set is not JSON serializable",
		"[1, 2, (3, 4j)]":         "Object of type complex is not JSON serializable",
		"{'k': 1, [1]: x}":        "", // Python's parse succeeds, kook's does not: see pyliteral.go
		"99999999999999999999999": "integer 99999999999999999999999 is beyond the 64-bit range kook keeps integers in",
	}
	for in, want := range cases {
		_, err := iniValue(in)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: unexpected error %v", in, err)
		case want != "" && (err == nil || err.Error() != want):
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}

// TestPyLiteralRoundTrip checks that pyLiteral writes what iniValue reads
// back to the same value, types included.
func TestPyLiteralRoundTrip(t *testing.T) {
	values := []any{
		nil, true, false, int64(0), int64(-1), int64(math.MaxInt64), int64(math.MinInt64),
		0.0, math.Copysign(0, -1), 1.0, 1.5, 1e16, 1e-7, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64,
		math.Inf(1), math.Inf(-1),
		"", "x", "it's", `say "hi"`, `both ' and "`, "back\\slash", "tab\tnew\nline\r", "\x00\x1f\x7f\u0085\u2028",
		"é ü 中文 😀", "\ufeffbom", "True", "1", "None", "[1]",
		[]any{}, []any{int64(1), "two", nil, 2.5, []any{true}},
		map[string]any{}, map[string]any{"a": int64(1), "": "empty key", "1": []any{}, "n": map[string]any{"x": nil}},
	}
	for _, v := range values {
		lit, err := pyLiteral(v)
		if err != nil {
			t.Errorf("%#v: %v", v, err)
			continue
		}
		back, err := iniValue(lit)
		if err != nil {
			t.Errorf("%#v: %s: %v", v, lit, err)
			continue
		}
		if !kook.EqualValues(v, back) || (isNegZero(v) != isNegZero(back)) {
			t.Errorf("%#v: written %s, read back %#v", v, lit, back)
		}
	}
	if _, err := pyLiteral(math.NaN()); err == nil {
		t.Error("NaN: no error")
	}
}

func isNegZero(v any) bool {
	f, ok := v.(float64)
	return ok && f == 0 && math.Signbit(f)
}

func TestPyRepr(t *testing.T) {
	cases := map[string]string{
		"abc":        `'abc'`,
		"it's":       `"it's"`,
		`a'b"c`:      `'a\'b"c'`,
		"tab\t\n\r":  `'tab\t\n\r'`,
		"\x00\x7f":   `'\x00\x7f'`,
		"é\u00a0":    `'é\xa0'`,
		"\u2028":     `'\u2028'`,
		"😀":          `'😀'`,
		"\U000e0001": `'\U000e0001'`,
		"bad\xff":    `'bad\udcff'`,
	}
	for in, want := range cases {
		if got := pysem.ReprString(in); got != want {
			t.Errorf("pysem.ReprString(%q) = %s, want %s", in, got, want)
		}
	}
}

func FuzzPyLiteral(f *testing.F) {
	for _, c := range pyLiteralCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // ParseINI refuses such lines before typing values
		}
		v, err := iniValue(s)
		if err != nil {
			return
		}
		// Whatever is read can be written back and read again unchanged.
		lit, err := pyLiteral(v)
		if err != nil {
			if f, ok := v.(float64); ok && math.IsNaN(f) {
				return
			}
			t.Fatalf("%q -> %#v: cannot write: %v", s, v, err)
		}
		back, err := iniValue(lit)
		if err != nil || !kook.EqualValues(v, back) {
			t.Fatalf("%q -> %#v -> %s -> %#v, %v", s, v, lit, back, err)
		}
	})
}
