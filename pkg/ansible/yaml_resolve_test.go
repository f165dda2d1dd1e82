package ansible

import "testing"

// TestYAMLResolveFastPath: the shortcuts in yamlResolve agree with
// PyYAML's regular expressions.
func TestYAMLResolveFastPath(t *testing.T) {
	for _, v := range []string{"0", "00", "01", "1", "10", "123456789012345678901234", "1.", "1.5", ".5", "0.5", "00.5", "1.2.3",
		"10.0.0.1", "1..2", "..", ".", "...", "yes", "Yes", "yES", "y", "n", "no", "NO", "null", "Null", "nULL", "nil", "none",
		"true", "tru", "ntp1.example.com", "off", "On", "oN", "T", "F", "FALSE", "0x1f", "0b1", "0o7", "1_000", "1e3", "1.0e+3",
		"-1", "+1", "-.5", ".inf", "-.Inf", ".NaN", "1:20", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "~", "<<", "=", "!",
		"1.5.", "9.", "09", "08.5", "8.5"} {
		if got, want := yamlResolve(v), yamlResolveRE(v); got != want {
			t.Errorf("%q: resolved %s, PyYAML's expressions give %s", v, got, want)
		}
	}
}
