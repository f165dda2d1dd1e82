// Package fleet generates synthetic inventories for benchmarks and large
// tests: deterministic for a given size and seed, shaped like a real fleet.
package fleet

import (
	"fmt"
	"math/rand/v2"

	"github.com/kook-project/kook/pkg/kook"
)

// Generate returns a reconciled inventory of n hosts: about n/10 groups
// nested three deep (regions > environments > roles), every host in 3 to 5
// groups, 5 vars per host and 3 per group. The same n and seed always give
// the same inventory.
func Generate(n int, seed uint64) *kook.Inventory {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	inv := kook.New()
	groups := max(n/10, 12)
	// Three levels: 2% regions, 18% environments under them, the rest roles.
	regions := max(groups/50, 2)
	envs := max(groups*18/100, 4)
	roles := max(groups-regions-envs, 6)
	var leaves []string
	for i := 0; i < regions; i++ {
		g := inv.AddGroup(fmt.Sprintf("region_%03d", i))
		setGroupVars(g, r, i)
	}
	for i := 0; i < envs; i++ {
		name := fmt.Sprintf("env_%04d", i)
		mustLink(inv, fmt.Sprintf("region_%03d", i%regions), name)
		setGroupVars(inv.Groups[name], r, i)
	}
	for i := 0; i < roles; i++ {
		name := fmt.Sprintf("role_%05d", i)
		mustLink(inv, fmt.Sprintf("env_%04d", i%envs), name)
		setGroupVars(inv.Groups[name], r, i)
		leaves = append(leaves, name)
	}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("host-%06d.dc%d.example.com", i, i%7)
		h := inv.AddHost(name)
		h.Vars["ansible_host"] = fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		h.Vars["ansible_port"] = int64(22)
		h.Vars["rack"] = fmt.Sprintf("r%02d", r.IntN(40))
		h.Vars["weight"] = r.Float64() * 100
		h.Vars["tags"] = []any{"managed", fmt.Sprintf("batch-%d", i%13)}
		k := 3 + r.IntN(3)
		for j := 0; j < k; j++ {
			inv.AddMember(leaves[r.IntN(len(leaves))], name)
		}
	}
	inv.Reconcile()
	return inv
}

func setGroupVars(g *kook.Group, r *rand.Rand, i int) {
	g.Vars["owner"] = fmt.Sprintf("team-%d", i%17)
	g.Vars["ntp_server"] = fmt.Sprintf("ntp%d.example.com", r.IntN(4))
	g.Vars["monitoring"] = map[string]any{"enabled": i%3 != 0, "interval": int64(30 + i%5*15)}
}

func mustLink(inv *kook.Inventory, parent, child string) {
	if err := inv.AddChild(parent, child); err != nil {
		panic(err) // the generator builds a tree; a cycle is a bug here
	}
}
