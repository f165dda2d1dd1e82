package e2e

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestImportRules keeps the layers apart: parsing never talks to ZooKeeper,
// the store never knows about Ansible's formats, the graph does no I/O,
// Python's semantics (internal/pysem) are a leaf the readers and the graph
// share, and the mains only wire.
func TestImportRules(t *testing.T) {
	const mod = "github.com/kook-project/kook/"
	rules := map[string]struct{ allow, deny []string }{
		mod + "pkg/kook":           {allow: []string{mod + "internal/pysem"}, deny: []string{mod, "github.com/go-zookeeper/zk", "github.com/goccy/go-yaml", "os", "net"}},
		mod + "pkg/ansible":        {allow: []string{mod + "pkg/kook", mod + "internal/pysem"}, deny: []string{mod, "github.com/go-zookeeper/zk", "net"}},
		mod + "internal/pysem":     {deny: []string{mod, "os", "net"}}, // Python's semantics: a leaf, no I/O
		mod + "pkg/kook/store":     {allow: []string{mod + "pkg/kook"}, deny: []string{mod, "github.com/goccy/go-yaml"}},
		mod + "cmd/kook-inventory": {allow: []string{mod + "internal/cli"}, deny: []string{mod}},
		mod + "cmd/kook-import":    {allow: []string{mod + "internal/cli"}, deny: []string{mod}},
		mod + "cmd/kook":           {allow: []string{mod + "internal/cli"}, deny: []string{mod}},
	}
	out, err := exec.Command("go", "list", "-json", mod+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		rule, ok := rules[p.ImportPath]
		if !ok {
			continue
		}
		seen++
	imports:
		for _, imp := range p.Imports {
			for _, a := range rule.allow {
				if imp == a {
					continue imports
				}
			}
			for _, d := range rule.deny {
				if imp == d || strings.HasSuffix(d, "/") && strings.HasPrefix(imp, d) {
					t.Errorf("%s imports %s, which its layer must not", p.ImportPath, imp)
				}
			}
		}
	}
	if seen != len(rules) {
		t.Errorf("checked %d of the %d packages with rules: a package moved?", seen, len(rules))
	}
}

// TestGoModTidy: go.mod says which dependencies kook imports directly (none
// marked "// indirect" that is not) and go.sum holds what they need.
func TestGoModTidy(t *testing.T) {
	out, err := exec.Command("go", "mod", "tidy", "-diff").CombinedOutput()
	if err != nil {
		t.Errorf("go.mod or go.sum is not tidy (run go mod tidy):\n%s", out)
	}
}
