package ansible_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kook-project/kook/internal/testutil"
	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
)

// sameGraph is testutil.GraphDiff with NaN equal to NaN, which fuzzed
// documents do produce.
func sameGraph(want, got *kook.Inventory) string {
	return cmp.Diff(want, got,
		cmpopts.IgnoreUnexported(kook.Inventory{}, kook.Group{}),
		cmpopts.EquateEmpty(), cmpopts.EquateNaNs(),
	)
}

// checkScriptRoundTrip checks what every reader result must satisfy: an
// error is an *ansible.Error with nothing returned; an inventory written
// with WriteJSON reads back to itself, and writing is deterministic.
func checkScriptRoundTrip(t *testing.T, inv *kook.Inventory, err error) {
	if err != nil {
		var e *ansible.Error
		if !errors.As(err, &e) {
			t.Fatalf("error %T %v is not an *ansible.Error", err, err)
		}
		if inv != nil {
			t.Fatalf("error %v with an inventory", err)
		}
		return
	}
	inv.Reconcile()
	if g := inv.Groups["_meta"]; g != nil && (len(g.Hosts) > 0 || len(g.Children) > 0 || len(g.Vars) > 0) {
		return // a group the script protocol cannot name; WriteJSON documents this
	}
	hostGroups := inv.HostGroups()
	for name := range inv.Hosts {
		if _, isGroup := inv.Groups[name]; isGroup && len(hostGroups[name]) == 0 {
			// A host in no group but all, named like a group: Ansible links
			// the group under ungrouped instead and prints the host
			// nowhere, and so does WriteJSON (testdata/fuzz/FuzzParseJSON).
			return
		}
	}
	var first, second bytes.Buffer
	if err := ansible.WriteJSON(&first, inv); err != nil {
		t.Fatal(err)
	}
	if err := ansible.WriteJSON(&second, inv); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Fatalf("WriteJSON is not deterministic:\n%s\n%s", first.Bytes(), second.Bytes())
	}
	back, err := ansible.ParseJSON("written.json", first.Bytes(), ansible.ReadOptions{Rules: ansible.Rules214})
	if err != nil {
		t.Fatalf("reading WriteJSON's output: %v\n%s", err, first.Bytes())
	}
	back.Reconcile()
	if diff := sameGraph(inv, back); diff != "" {
		t.Fatalf("read-write-read changed the inventory (-read +reread):\n%s\nwritten:\n%s", diff, first.Bytes())
	}
}

func addSeedFiles(f *testing.F, glob string) {
	paths, _ := filepath.Glob(glob)
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
}

func FuzzParseJSON(f *testing.F) {
	addSeedFiles(f, filepath.Join(testutil.RepoRoot(), "testdata", "inventories", "json-*.json"))
	if corpus := testutil.Corpus(); corpus != "" {
		addSeedFiles(f, filepath.Join(corpus, "*", "*.json"))
	}
	for _, s := range []string{
		`{}`, `[]`, `{"a": {"children": "xyz"}}`, `{"a": {"x": 1}}`, `{"a": null}`,
		`{"a": ["h"], "_meta": {"hostvars": {"h": {"v": [1, 1.0, -0.0, 1e400, NaN, "\ud800"]}}}}`,
		`{"a": {"children": ["_meta", "b"]}, "b": {"vars": {"ansible_group_priority": "0"}}}`,
		`{"a": {"hosts": [{"__ansible_unsafe": "u"}], "vars": {"__ansible_unsafe": {"k": ["s", 1]}}}}`,
		`{"a": {"vars": {"v": {"__ansible_vault": "c", "x": 1}}}, "a": ["h"]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := ansible.ParseJSON("fuzz.json", data, ansible.ReadOptions{Rules: ansible.Rules214})
		checkScriptRoundTrip(t, inv, err)
	})
}

func FuzzParseArchive(f *testing.F) {
	addSeedFiles(f, filepath.Join(testutil.RepoRoot(), "testdata", "inventories", "archive-*.json"))
	if p := testutil.KookArchive(); p != "" {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		`{"__meta__": {"groups": "/g", "hosts": "/h"}}`,
		`{"__meta__": {"groups": "/g", "hosts": "/g/h"}, "/g": {"a": {"members": ["/g/h/x", "/g/b"]}}}`,
		`{"__meta__": {"groups": "/g", "hosts": "/h"}, "/g": {"_meta": {"members": ["/h/x"]}}, "/h": {"x": {"groups": ["/g/y"]}}}`,
		`{"__meta__": {"groups": "/g", "hosts": "/h"}, "/h": {"x": {"vars": {"v": 1.5}}}, "/g": {"y": {"host_vars": {"x": {"v": 2}, "z": {}}}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := ansible.ParseArchive("fuzz.json", data, ansible.ReadOptions{Rules: ansible.Rules214})
		checkScriptRoundTrip(t, inv, err)
	})
}
