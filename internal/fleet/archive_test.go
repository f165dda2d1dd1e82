package fleet_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kook-project/kook/internal/fleet"
	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
)

// TestArchive: the archive of a fleet reads back as that fleet (the order
// of all's children aside, which an archive does not record).
func TestArchive(t *testing.T) {
	inv := fleet.Generate(300, 7)
	var warnings []string
	back, err := ansible.ParseArchive("fleet.json", fleet.Archive(inv), ansible.ReadOptions{Warn: func(m string) { warnings = append(warnings, m) }})
	if err != nil {
		t.Fatal(err)
	}
	back.Reconcile()
	if len(warnings) > 0 {
		t.Errorf("warnings: %q", warnings)
	}
	if diff := cmp.Diff(graph(inv), graph(back), cmp.Comparer(kook.EqualVars)); diff != "" {
		t.Errorf("archive reads back differently (-fleet +archive):\n%s", diff)
	}
}

type node struct {
	Hosts, Children []string
	Vars            kook.Vars
}

func graph(inv *kook.Inventory) map[string]node {
	out := map[string]node{}
	for name, g := range inv.Groups {
		out["group "+name] = node{Hosts: slices.Sorted(slices.Values(g.Hosts)), Children: slices.Sorted(slices.Values(g.Children)), Vars: g.Vars}
	}
	for name, h := range inv.Hosts {
		out["host "+name] = node{Vars: h.Vars}
	}
	return out
}
