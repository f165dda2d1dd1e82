package ansible

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kook-project/kook/internal/pysem"
)

func TestExpandHostPattern(t *testing.T) {
	for _, c := range hostPatternCases {
		names, port, has, err := ExpandHostPattern(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: got %q, %v; want error %q", c.in, names, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if !cmp.Equal(names, c.names) && !(len(names) == 0 && len(c.names) == 0) {
			t.Errorf("%q: names %q, want %q", c.in, names, c.names)
		}
		if port != c.port || has != c.has {
			t.Errorf("%q: port %d (%v), want %d (%v)", c.in, port, has, c.port, c.has)
		}
	}
}

func TestExpandHostPatternLimit(t *testing.T) {
	cases := map[string]string{
		"h[1:1000000]":                 "",
		"h[0:1000000]":                 "host range expands to more than 1000000 hosts",
		"h[1:1000][1:1001]":            "host range expands to more than 1000000 hosts",
		"h[1:99999999999999999999999]": "host range expands to more than 1000000 hosts",
		"h[1:2][0:99999999999][x]":     "host range must be begin:end or begin:end:step",
		"h[2:1][0:99999999999]":        "",
	}
	for in, want := range cases {
		names, _, _, err := ExpandHostPattern(in)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", in, err)
		case want != "" && (err == nil || err.Error() != want):
			t.Errorf("%q: got %d names, %v; want %q", in, len(names), err, want)
		}
	}
	names, _, _, _ := ExpandHostPattern("h[1:1000000]")
	if len(names) != 1000000 || names[999999] != "h1000000" {
		t.Errorf("h[1:1000000]: %d names, last %q", len(names), names[len(names)-1])
	}
}

func TestPyIntParse(t *testing.T) {
	ok := map[string]int64{"3": 3, " 3 ": 3, "+3": 3, "-3": -3, "1_0": 10, "٣": 3, "0٣": 3, "007": 7}
	for in, want := range ok {
		got, err := pysem.ParseInt(in)
		if err != nil || got.Int64() != want {
			t.Errorf("int(%q) = %v, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "a", "1.0", "_1", "1_", "1__0", "- 1", "0x10", strings.Repeat("1", 4301)} {
		if got, err := pysem.ParseInt(in); err == nil {
			t.Errorf("int(%q) = %v, want an error", in, got)
		}
	}
}

func FuzzExpandHostPattern(f *testing.F) {
	for _, c := range hostPatternCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		names, _, _, err := ExpandHostPattern(s)
		if err == nil && len(names) > MaxRangeHosts {
			t.Fatalf("%q: %d names", s, len(names))
		}
	})
}
