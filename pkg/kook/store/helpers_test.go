package store

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/pkg/kook"
)

func TestMain(m *testing.M) { zktest.Main(m) }

// open opens a store on the shared server under a fresh root.
func open(t testing.TB, mod ...func(*Config)) *Store {
	t.Helper()
	srv := zktest.Shared(t)
	cfg := Config{Servers: []string{srv.Addr}, Root: zktest.UniqueRoot(t), Timeout: 10 * time.Second}
	for _, f := range mod {
		f(&cfg)
	}
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openRoot opens a second store on the same server and root as s.
func openRoot(t testing.TB, s *Store) *Store {
	t.Helper()
	s2, err := Open(context.Background(), s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	return s2
}

var cmpInv = cmp.Options{
	cmpopts.IgnoreUnexported(kook.Inventory{}, kook.Group{}),
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }),
}

func diffInv(want, got *kook.Inventory) string { return cmp.Diff(want, got, cmpInv) }

func mustLoad(t testing.TB, s *Store) (*kook.Inventory, Version) {
	t.Helper()
	inv, v, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return inv, v
}

// fleet builds a reconciled synthetic inventory: n hosts in 3-5 groups
// each, about n/10 groups nested three deep, 5 vars per host, 3 per group.
func fleet(n int) *kook.Inventory {
	inv := kook.New()
	ng := max(n/10, 3)
	for g := 0; g < ng; g++ {
		name := fmt.Sprintf("group%04d", g)
		grp := inv.AddGroup(name)
		grp.Vars["role"] = name
		grp.Vars["port"] = int64(8000 + g)
		grp.Vars["weight"] = float64(g) / 4
		if g >= 3 {
			inv.AddChild(fmt.Sprintf("group%04d", g/3-1+0), name)
		}
	}
	for h := 0; h < n; h++ {
		name := fmt.Sprintf("host%06d.example.com", h)
		host := inv.AddHost(name)
		host.Vars["ansible_host"] = fmt.Sprintf("10.%d.%d.%d", h>>16&255, h>>8&255, h&255)
		host.Vars["ansible_port"] = int64(22)
		host.Vars["rack"] = fmt.Sprintf("r%02d", h%40)
		host.Vars["weight"] = 1.0
		host.Vars["tags"] = []any{"a", int64(h % 7), map[string]any{"x": true}}
		k := 3 + h%3
		for j := 0; j < k; j++ {
			inv.AddMember(fmt.Sprintf("group%04d", (h*7+j*13)%ng), name)
		}
	}
	inv.Reconcile()
	return inv
}

func mustEncode(t testing.TB, inv *kook.Inventory) *kook.Encoded {
	t.Helper()
	enc, err := inv.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return enc
}
