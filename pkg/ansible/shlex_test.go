package ansible

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// shlexCases were produced with Python 3.11 shlex.split(s, comments=True).
var shlexCases = []struct {
	in   string
	want []string
	err  string
}{
	{"a b c", []string{"a", "b", "c"}, ""},
	{"a  \"b c\"  d", []string{"a", "b c", "d"}, ""},
	{"a 'b c'", []string{"a", "b c"}, ""},
	{"a\\ b", []string{"a b"}, ""},
	{"a#b c", []string{"a"}, ""},
	{"a #b", []string{"a"}, ""},
	{"\"a#b\" c", []string{"a#b", "c"}, ""},
	{"'a#b'", []string{"a#b"}, ""},
	{"\"say \\\"hi\\\"\"", []string{"say \"hi\""}, ""},
	{"\"a\\\\b\"", []string{"a\\b"}, ""},
	{"\"a\\nb\"", []string{"a\\nb"}, ""},
	{"'a\\nb'", []string{"a\\nb"}, ""},
	{"a\\nb", []string{"anb"}, ""},
	{"''", []string{""}, ""},
	{"\"\"", []string{""}, ""},
	{"a \"\" b", []string{"a", "", "b"}, ""},
	{"a''b", []string{"ab"}, ""},
	{"x='1'\"2\"3", []string{"x=123"}, ""},
	{"\\#x", []string{"#x"}, ""},
	{"a\\", nil, "No escaped character"},
	{"\"a", nil, "No closing quotation"},
	{"'a", nil, "No closing quotation"},
	{"a\tb\rc\nd", []string{"a", "b", "c", "d"}, ""},
	{"#only", []string{}, ""},
	{"k=\"v #x\" # c", []string{"k=v #x"}, ""},
	{"it''s", []string{"its"}, ""},
	{"é \"ü x\"", []string{"é", "ü x"}, ""},
	{"a\\\"b", []string{"a\"b"}, ""},
	{"\"\\a\"", []string{"\\a"}, ""},
	{"a'b'c'd'", []string{"abcd"}, ""},
	{"\"'\"", []string{"'"}, ""},
	{"'\"'", []string{"\""}, ""},
	{"a=b=c", []string{"a=b=c"}, ""},
	{"  lead", []string{"lead"}, ""},
	{"trail  ", []string{"trail"}, ""},
	{"\"unterminated \\\"", nil, "No closing quotation"},
	{"\\", nil, "No escaped character"},
	{"x # \"unclosed", []string{"x"}, ""},
}

func TestShlexSplit(t *testing.T) {
	for _, c := range shlexCases {
		got, err := shlexSplit(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: got %q, %v; want error %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if !cmp.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	words := []string{"plain", "", "a b", "it's", `say "hi" it's`, `back\slash`, "#x", ";x", "é", "tab\there", `'"\#`}
	for _, w := range words {
		for _, first := range []bool{true, false} {
			q := shellQuote(w, first)
			got, err := shlexSplit("h " + q)
			if err != nil || len(got) != 2 || got[1] != w {
				t.Errorf("shellQuote(%q) = %s, read back as %q, %v", w, q, got, err)
			}
		}
	}
}
