package ansible_test

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kook-project/kook/internal/testutil"
	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// writers are the formats kook writes; a golden file holds either the
// output or, when the writer refuses the inventory, its error.
var writers = []struct {
	ext   string
	write func(*bytes.Buffer, *kook.Inventory) error
}{
	{"json", func(b *bytes.Buffer, inv *kook.Inventory) error { return ansible.WriteJSON(b, inv) }},
	{"yaml", func(b *bytes.Buffer, inv *kook.Inventory) error { return ansible.WriteYAML(b, inv) }},
	{"ini", func(b *bytes.Buffer, inv *kook.Inventory) error { return ansible.WriteINI(b, inv) }},
}

// TestGolden reads every case in testdata/inventories under each rule set
// and compares what each writer makes of it, or the reader's error, with
// testdata/golden: NAME.EXT for the 2.14 rules, NAME.2.19.EXT for the 2.19
// rules where they give something else.
func TestGolden(t *testing.T) {
	root := testutil.RepoRoot()
	golden := filepath.Join(root, "testdata", "golden")
	for _, c := range testutil.Cases(filepath.Join(root, "testdata", "inventories"), 1) {
		t.Run(c.Name, func(t *testing.T) {
			old := goldenOutputs(c.Path, ansible.Rules214, root)
			cur := goldenOutputs(c.Path, ansible.Rules219, root)
			for ext, got := range old {
				checkGolden(t, filepath.Join(golden, c.Name+"."+ext), got)
			}
			for ext, got := range cur {
				path := filepath.Join(golden, c.Name+".2.19."+ext)
				if bytes.Equal(got, old[ext]) {
					if _, err := os.Stat(path); err == nil {
						t.Errorf("%s is stale: the 2.19 rules give what the 2.14 rules give", filepath.Base(path))
					}
					continue
				}
				checkGolden(t, path, got)
			}
		})
	}
}

// goldenOutputs reads src under rules and returns, by golden extension,
// what each writer makes of it, or the reader's error under "error".
func goldenOutputs(src string, rules ansible.Rules, root string) map[string][]byte {
	inv, err := ansible.Read([]string{src}, "", ansible.ReadOptions{Rules: rules})
	if err != nil {
		return map[string][]byte{"error": []byte(relErr(err, root) + "\n")}
	}
	out := map[string][]byte{}
	for _, w := range writers {
		var buf bytes.Buffer
		if err := w.write(&buf, inv); err != nil {
			buf.Reset()
			buf.WriteString("error: " + err.Error() + "\n")
		}
		out[w.ext] = buf.Bytes()
	}
	out["dir"] = writtenDir(inv)
	return out
}

// writtenDir runs WriteDir and returns every file it wrote, each after a
// line with its path, in path order; or the error it gave.
func writtenDir(inv *kook.Inventory) []byte {
	tmp, err := os.MkdirTemp("", "kook-golden-")
	if err != nil {
		return []byte("error: " + err.Error() + "\n")
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "export")
	if err := ansible.WriteDir(dir, inv); err != nil {
		return []byte("error: " + err.Error() + "\n")
	}
	var out bytes.Buffer
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		out.WriteString("==> " + filepath.ToSlash(rel) + "\n")
		out.Write(data)
		return err
	})
	if err != nil {
		return []byte("error: " + err.Error() + "\n")
	}
	return out.Bytes()
}

// relErr makes error messages independent of where the repository lives.
func relErr(err error, root string) string {
	return strings.ReplaceAll(err.Error(), root+string(filepath.Separator), "")
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pkg/ansible -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", filepath.Base(path), diff)
	}
}

// TestRoundTrip: every inventory of the test cases and of the real-world
// corpus survives INI -> YAML -> JSON -> back to the same graph, for every
// writer that accepts it, and WriteDir -> Read with both layers of vars.
func TestRoundTrip(t *testing.T) {
	root := testutil.RepoRoot()
	cases := testutil.Cases(filepath.Join(root, "testdata", "inventories"), 1)
	if corpus := testutil.Corpus(); corpus != "" {
		cases = append(cases, testutil.Cases(corpus, 2)...)
	}
	parsers := map[string]func(string, []byte, ansible.ReadOptions) (*kook.Inventory, error){
		"json": ansible.ParseJSON, "yaml": ansible.ParseYAML, "ini": ansible.ParseINI,
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			want, err := ansible.Read([]string{c.Path}, "", ansible.ReadOptions{Rules: ansible.Rules214})
			if err != nil {
				if c.Error == "" && !strings.Contains(c.Path, "bad-") {
					t.Logf("not readable, nothing to round-trip: %v", err)
				}
				return
			}
			// A directory keeps both layers of vars.
			dir := filepath.Join(t.TempDir(), "export")
			if err := ansible.WriteDir(dir, want); err != nil {
				t.Fatalf("WriteDir: %v", err)
			}
			back, err := ansible.Read([]string{dir}, "", ansible.ReadOptions{Rules: ansible.Rules214})
			if err != nil {
				t.Fatalf("reading back the directory written from %s: %v", c.Name, err)
			}
			if diff := testutil.GraphDiff(want, back); diff != "" {
				t.Fatalf("directory round trip changed the inventory (-want +got):\n%s", diff)
			}
			// A file has one layer: the writers fold the vars-file layer
			// in (kook.Inventory.OneLayer).
			want, _ = want.OneLayer()
			// INI -> YAML -> JSON -> graph, skipping a writer that refuses
			// (its refusal is recorded in the golden files).
			cur := want
			legs := 0
			for _, w := range []string{"ini", "yaml", "json"} {
				var buf bytes.Buffer
				var werr error
				for _, x := range writers {
					if x.ext == w {
						werr = x.write(&buf, cur)
					}
				}
				if werr != nil {
					t.Logf("%s writer refused: %v", w, werr)
					continue
				}
				next, err := parsers[w]("roundtrip."+w, buf.Bytes(), ansible.ReadOptions{Rules: ansible.Rules214})
				if err != nil {
					t.Fatalf("reading back the %s written from %s: %v\n%s", w, c.Name, err, buf.Bytes())
				}
				next.Reconcile()
				if diff := testutil.GraphDiff(want, next); diff != "" {
					t.Fatalf("%s round trip changed the inventory (-want +got):\n%s\nwritten:\n%s", w, diff, buf.Bytes())
				}
				cur = next
				legs++
			}
			if legs == 0 {
				t.Fatalf("no writer accepted %s", c.Name)
			}
		})
	}
}
