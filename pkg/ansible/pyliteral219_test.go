package ansible

import (
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestINIValue219AgainstPython: what 2.19's ini plugin makes of literals
// 2.14 refuses, checked against Python itself (ast.literal_eval, then the
// plugin's coercion: str() of complex, "..." for Ellipsis, sets and tuples
// as lists in iteration order, bytes as unsafe text).
func TestINIValue219AgainstPython(t *testing.T) {
	inputs := []string{
		"1j", "-1j", "+1j", "1.5j", "1e20j", "1e-7j", "0j", "1+2j", "1-2j", "-1+2j", "-1-2j", "-0.0-1j",
		"-0.0+1j", "1.5+0j", "10**2", "2.5e16+3j", "1_000j", "0.1+0.2j", "1e400j", "-1e400-1e400j",
		"...", "[..., 1j, set(), {1, 2}, b'x']", "{1, 2}", "set()", "{8, 1, 16, 0}",
		"{100, 7, 3, -1, -2, 2**3}", "{9, 17, 25, 33, 41, 1, 2, 3}",
		"{" + seq(0, 40, 7) + "}", "{" + seq(-50, 50, 3) + "}", "{True, 1, 2.0, 3}", "{1, 1.0, True}",
		"{10, 20, 30, 40, 50, 60, 70}", "{" + seq(1000, 5000, 97) + "}",
		"b'bytes'", "(1, b'x', (2, 3))", "{'k': b'v', 'l': {1, 2}}", "'plain'", "(1, 2)",
		"[1, (2, {3})]", "{'a': ...}", "{" + seq(0, 200, 1) + "}",
	}
	prog := `
import ast, json, sys
def co(v):
    if isinstance(v, str): return v
    if isinstance(v, (list, tuple, set)): return [co(x) for x in v]
    if isinstance(v, dict): return {k: co(x) for k, x in v.items()}
    if v is ...: return "..."
    if isinstance(v, complex): return str(v)
    if isinstance(v, bytes): return {"__ansible_unsafe": v.decode()}
    return v
def ev(l):
    try:
        return ast.literal_eval(l)
    except (ValueError, SyntaxError):
        return l
print(json.dumps([co(ev(l)) for l in sys.stdin.read().split("\n")]))
`
	cmd := exec.Command("python3", "-c", prog)
	cmd.Stdin = strings.NewReader(strings.Join(inputs, "\n"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var want []any
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	for i, in := range inputs {
		got, err := iniValueRules(in, Rules219)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		// Compare as JSON, which is what Ansible prints.
		gj, _ := json.Marshal(got)
		var g any
		_ = json.Unmarshal(gj, &g)
		if diff := cmp.Diff(want[i], g); diff != "" {
			t.Errorf("%s (-python +kook):\n%s", in, diff)
		}
	}
}

func seq(from, to, step int) string {
	var b []string
	for i := from; i < to; i += step {
		b = append(b, strconv.Itoa(i))
	}
	return strings.Join(b, ", ")
}

// TestINIValue219Refusals: a set whose order Python randomizes per run is
// refused under 2.19 rules; under 2.14 rules every set is refused.
func TestINIValue219Refusals(t *testing.T) {
	for _, in := range []string{"{'a', 'b'}", "{None, 1}", "{(1, 2)}", "{b'x'}"} {
		if v, err := iniValueRules(in, Rules219); err == nil {
			t.Errorf("%s: got %v under 2.19 rules, want a refusal", in, v)
		}
	}
	for _, in := range []string{"{1, 2}", "1j", "...", "[b'x']"} {
		if v, err := iniValueRules(in, Rules214); err == nil {
			t.Errorf("%s: got %v under 2.14 rules, want a refusal", in, v)
		}
	}
}
