package kook

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The expected strings are what Python 3.11's json.dumps printed.
func TestAppendFloat(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{1.0, "1.0"},
		{0.0001, "0.0001"},
		{1e-05, "1e-05"},
		{1e16, "1e+16"},
		{1234567890123456.0, "1234567890123456.0"},
		{9999999999999998.0, "9999999999999998.0"},
		{123456789012345678.0, "1.2345678901234568e+17"},
		{1.5e300, "1.5e+300"},
		{1e22, "1e+22"},
		{math.Copysign(0, -1), "-0.0"},
		{0.0, "0.0"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
		{0.1, "0.1"},
		{1.0 / 3, "0.3333333333333333"},
		{5e-324, "5e-324"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{-1.5, "-1.5"},
		{100.0, "100.0"},
		{12345.678, "12345.678"},
		{0.001, "0.001"},
		{2.5e-7, "2.5e-07"},
	}
	for _, tt := range tests {
		if got := string(AppendFloat(nil, tt.f)); got != tt.want {
			t.Errorf("AppendFloat(%v) = %s, want %s", tt.f, got, tt.want)
		}
	}
}

func TestAppendString(t *testing.T) {
	tests := []struct{ s, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{"a\"b\\c", `"a\"b\\c"`},
		{"\n\r\t\b\f", `"\n\r\t\b\f"`},
		{"\x00\x1f\x7f", `"\u0000\u001f` + "\x7f\""},
		{"é 𝄞 \u2028", "\"é 𝄞 \u2028\""},
		{"bad\xffutf8", "\"bad\ufffdutf8\""},
		{"\ufffd", "\"\ufffd\""},
		{"</script>&", `"</script>&"`},
	}
	for _, tt := range tests {
		if got := string(AppendString(nil, tt.s)); got != tt.want {
			t.Errorf("AppendString(%q) = %s, want %s", tt.s, got, tt.want)
		}
	}
}

// TestAppendJSONPython compares AppendFloat, AppendString and AppendJSON
// with Python's json module on many values, when python3 is installed.
func TestAppendJSONPython(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not on PATH")
	}
	r := rand.New(rand.NewSource(1))
	var floats []float64
	for i := 0; i < 3000; i++ {
		switch i % 3 {
		case 0: // any bit pattern
			floats = append(floats, math.Float64frombits(r.Uint64()))
		case 1: // around the switch to exponent notation
			floats = append(floats, math.Pow(10, float64(r.Intn(40)-20))*(1+float64(r.Intn(1000))/1000))
		default: // short decimals
			floats = append(floats, float64(r.Int63n(1e9))/math.Pow(10, float64(r.Intn(12))))
		}
	}
	strs := []string{"", "a\"b\\c\n\r\t\b\f\x00\x01\x1f\x7f", "é 𝄞 \u2028\u2029", "日本語", "\u00a0x"}
	values := []any{
		map[string]any{"b": []any{int64(1), 1.0, nil, true, false}, "a": map[string]any{"z": "é", "é": math.Copysign(0, -1)}, "B": int64(-9007199254740993)},
		[]any{}, map[string]any{}, int64(math.MaxInt64), int64(math.MinInt64),
	}

	var script strings.Builder
	script.WriteString("import json, struct, sys\n")
	for _, f := range floats {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(f))
		script.WriteString("print(json.dumps(struct.unpack('<d', bytes.fromhex('" + hex.EncodeToString(b[:]) + "'))[0]))\n")
	}
	for _, s := range strs {
		script.WriteString("print(json.dumps(bytes.fromhex('" + hex.EncodeToString([]byte(s)) + "').decode(), ensure_ascii=False))\n")
	}
	for _, v := range values {
		// Python reads kook's output back and prints it again.
		script.WriteString("print(json.dumps(json.loads(bytes.fromhex('" + hex.EncodeToString(mustJSON(nil, v)) +
			"').decode()), sort_keys=True, separators=(',', ':'), ensure_ascii=False))\n")
	}
	cmd := exec.Command("python3", "-")
	cmd.Stdin = strings.NewReader(script.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, stderr.Bytes())
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	var want []string
	want = append(want, lines...)
	var got []string
	for _, f := range floats {
		got = append(got, string(AppendFloat(nil, f)))
	}
	for _, s := range strs {
		got = append(got, string(AppendString(nil, s)))
	}
	for _, v := range values {
		got = append(got, string(mustJSON(nil, v)))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-python +kook):\n%s", diff)
	}
}

func TestDecodeJSONTypes(t *testing.T) {
	got, err := DecodeJSON([]byte(`{"i":1,"f":1.0,"e":1e2,"big":12345678901234567890,"n":null,"l":[true,"s"]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"i": int64(1), "f": 1.0, "e": 100.0, "big": 12345678901234567890.0, "n": nil, "l": []any{true, "s"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := DecodeJSON([]byte(`{} {}`)); err == nil {
		t.Errorf("DecodeJSON accepted two values")
	}
}

func TestEqualValues(t *testing.T) {
	tests := []struct {
		a, b any
		want bool
	}{
		{int64(1), 1.0, false},
		{int64(1), int64(1), true},
		{math.NaN(), math.NaN(), true},
		{nil, nil, true},
		{nil, false, false},
		{[]any{int64(1)}, []any{int64(1)}, true},
		{[]any{int64(1)}, []any{1.0}, false},
		{map[string]any{"a": nil}, map[string]any{"b": nil}, false},
		{map[string]any{"a": []any{}}, map[string]any{"a": []any{}}, true},
		{"1", int64(1), false},
	}
	for _, tt := range tests {
		if got := EqualValues(tt.a, tt.b); got != tt.want {
			t.Errorf("EqualValues(%#v, %#v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestAppendJSONOutsideValueSet: a value kook cannot hold is an error
// saying where it is, never a panic, and nothing is appended.
func TestAppendJSONOutsideValueSet(t *testing.T) {
	bad := map[string]any{"ok": int64(1), "list": []any{"x", map[string]any{"ch": make(chan int)}}}
	out, err := AppendJSON([]byte("prefix"), bad)
	if want := `["list"][1]["ch"]: value of type chan int cannot be stored in an inventory`; err == nil || err.Error() != want {
		t.Errorf("AppendJSON = %v, want %q", err, want)
	}
	if string(out) != "prefix" {
		t.Errorf("AppendJSON appended %q on error", out)
	}
	if _, err := AppendJSON(nil, func() {}); err == nil || err.Error() != "value of type func() cannot be stored in an inventory" {
		t.Errorf("AppendJSON(func) = %v", err)
	}
	_, err = AppendVars(nil, Vars(bad))
	if want := `var "list"[1]["ch"]: value of type chan int cannot be stored in an inventory`; err == nil || err.Error() != want {
		t.Errorf("AppendVars = %v, want %q", err, want)
	}
	inv := New()
	inv.AddHost("web01").Vars["when"] = struct{}{}
	inv.Reconcile()
	if _, err := inv.Encode(); err == nil || err.Error() != `host "web01": var "when": value of type struct {} cannot be stored in an inventory` {
		t.Errorf("Encode = %v", err)
	}
	// Values NormalizeValue converts are still written.
	if b, err := AppendJSON(nil, map[string]any{"n": 7, "s": []string{"a"}}); err != nil || string(b) != `{"n":7,"s":["a"]}` {
		t.Errorf("AppendJSON of convertible values = %s, %v", b, err)
	}
}
