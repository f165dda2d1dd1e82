// Package testutil holds comparisons and fixtures shared by kook's tests.
package testutil

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kook-project/kook/pkg/kook"
)

// GraphDiff returns a readable difference between two inventories, or ""
// when they hold the same hosts, groups, vars (types included) and orders.
func GraphDiff(want, got *kook.Inventory) string {
	return cmp.Diff(want, got,
		cmpopts.IgnoreUnexported(kook.Inventory{}, kook.Group{}),
		cmpopts.EquateEmpty(),
		cmpopts.EquateNaNs(),
	)
}

// JSONDiff compares two JSON documents as values: object key order does not
// matter, array order does, and 1 differs from 1.0.
func JSONDiff(want, got []byte) (string, error) {
	w, err := decode(want)
	if err != nil {
		return "", err
	}
	g, err := decode(got)
	if err != nil {
		return "", err
	}
	return cmp.Diff(w, g), nil
}

func decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(quoteNonFinite(data)))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// RepoRoot returns the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Corpus returns the shared real-world inventory corpus directory, or ""
// when it is not present on this machine.
func Corpus() string {
	dir := filepath.Join(RepoRoot(), "..", "shared", "inventories", "realworld")
	if _, err := os.Stat(dir); err != nil {
		return ""
	}
	return dir
}

// KookArchive returns the original Python Kook's dump shared with the team,
// or "" when it is not present.
func KookArchive() string {
	p := filepath.Join(RepoRoot(), "..", "shared", "inventories", "kook-archive", "kook-archive.json")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// Case is one inventory source of a test corpus.
type Case struct {
	Name string // path relative to the corpus root, for test names
	Path string
	// Expected outputs next to the source, as Ansible printed them; empty
	// when absent.
	List, Export, Error string
	// The same as ansible-core 2.19 printed them (F.ansible-2.19.*).
	List219, Export219, Error219 string
}

// Cases lists the sources in dir: every file and directory that is not an
// expected output (.list.json, .export.json, .error.txt, .warnings.txt) or
// a note (.md), searched depth levels down.
func Cases(dir string, depth int) []Case {
	var out []Case
	var walk func(string, int)
	walk = func(d string, level int) {
		entries, err := os.ReadDir(d)
		if err != nil {
			return
		}
		for _, e := range entries {
			p := filepath.Join(d, e.Name())
			if e.IsDir() && level < depth {
				walk(p, level+1)
				continue
			}
			if isOutput(e.Name()) {
				continue
			}
			rel, _ := filepath.Rel(dir, p)
			c := Case{Name: rel, Path: p}
			for _, x := range []struct {
				ext string
				dst *string
			}{{".list.json", &c.List}, {".export.json", &c.Export}, {".error.txt", &c.Error},
				{".ansible-2.19.list.json", &c.List219}, {".ansible-2.19.export.json", &c.Export219},
				{".ansible-2.19.error.txt", &c.Error219}} {
				if _, err := os.Stat(p + x.ext); err == nil {
					*x.dst = p + x.ext
				}
			}
			out = append(out, c)
		}
	}
	walk(dir, 1)
	return out
}

func isOutput(name string) bool {
	for _, suf := range []string{".list.json", ".export.json", ".error.txt", ".warnings.txt", ".md"} {
		if len(name) > len(suf) && name[len(name)-len(suf):] == suf {
			return true
		}
	}
	return name[0] == '.'
}

// quoteNonFinite turns the bare NaN, Infinity and -Infinity that Python's
// json module prints into strings, so that a strict decoder can compare
// them.
func quoteNonFinite(data []byte) []byte {
	var out []byte
	inString, escaped := false, false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			out = append(out, c)
			continue
		}
		if c == '"' {
			inString = true
			out = append(out, c)
			continue
		}
		replaced := false
		for _, word := range []string{"-Infinity", "Infinity", "NaN"} {
			if bytes.HasPrefix(data[i:], []byte(word)) {
				out = append(out, '"')
				out = append(out, "__"+word+"__"...)
				out = append(out, '"')
				i += len(word) - 1
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, c)
		}
	}
	return out
}

// Ansible219 returns the path of ansible-core 2.19's ansible-inventory, the
// second oracle (scripts/deps.sh unpacks Debian 13's package into
// /opt/kook/ansible-2.19; KOOK_ANSIBLE219 names another), or "" when it
// is not installed.
func Ansible219() string {
	p := os.Getenv("KOOK_ANSIBLE219")
	if p == "" {
		p = "/opt/kook/ansible-2.19/bin/ansible-inventory"
	}
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// AnsibleInventory returns the path of ansible-inventory, the oracle. Under
// -short the test is skipped; otherwise a missing oracle fails it, because
// `make test` installs ansible-core and a check that silently did not run
// must not pass.
func AnsibleInventory(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the real ansible-inventory; skipped under -short")
	}
	bin, err := exec.LookPath("ansible-inventory")
	if err != nil {
		t.Fatalf("ansible-inventory not found (make deps installs ansible-core): %v", err)
	}
	return bin
}

// AnsiblePython returns the Python interpreter ansible-inventory runs
// under (its #! line), the oracle for Python semantics: the python3 first
// in PATH may be another version without ansible. Skipped and failing as
// AnsibleInventory is.
func AnsiblePython(t testing.TB) string {
	t.Helper()
	bin := AnsibleInventory(t)
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	fields := strings.Fields(strings.TrimPrefix(string(line), "#!"))
	if len(fields) == 0 {
		t.Fatalf("%s has no #! line naming its Python", bin)
	}
	if filepath.Base(fields[0]) == "env" && len(fields) > 1 {
		p, err := exec.LookPath(fields[1])
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	return fields[0]
}
