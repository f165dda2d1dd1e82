package store

import (
	"context"
	"strings"
	"testing"

	"github.com/kook-project/kook/pkg/kook"
)

// TestValueOutsideValueSet: a var kook cannot hold, handed to any write,
// is an error naming the host or group and the var; the process survives
// (encoding runs in worker goroutines, where a panic would kill it) and
// nothing is written.
func TestValueOutsideValueSet(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	// Enough hosts that encodeInventory spreads them over workers.
	good := fleet(5000)
	if _, err := s.Replace(ctx, good, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	_, v0 := mustLoad(t, s)
	const hostWant = `host "host004321.example.com": var "bad": value of type chan int cannot be stored in an inventory`
	const groupWant = `group "group0007": var "bad": ["x"]: value of type func() cannot be stored in an inventory`

	withBadHost := good.Clone()
	withBadHost.Hosts["host004321.example.com"].Vars["bad"] = make(chan int)
	withBadGroup := good.Clone()
	withBadGroup.Groups["group0007"].Vars["bad"] = map[string]any{"x": func() {}}
	for _, tc := range []struct {
		what, want string
		write      func() error
	}{
		{"Replace host", hostWant, func() error { _, err := s.Replace(ctx, withBadHost, WriteOptions{}); return err }},
		{"Replace group", groupWant, func() error { _, err := s.Replace(ctx, withBadGroup, WriteOptions{}); return err }},
		{"Update", hostWant, func() error {
			_, err := s.Update(ctx, func(inv *kook.Inventory) error {
				inv.Hosts["host004321.example.com"].Vars["bad"] = make(chan int)
				return nil
			}, WriteOptions{})
			return err
		}},
		{"Apply", groupWant, func() error {
			_, err := s.Apply(ctx, func(*kook.Inventory) (*kook.Inventory, error) { return withBadGroup, nil }, WriteOptions{})
			return err
		}},
		{"SetHostVar", hostWant, func() error { return s.SetHostVar(ctx, "host004321.example.com", "bad", make(chan int)) }},
		{"SetGroupVar", `group "group0007": var "bad": value of type func()`, func() error { return s.SetGroupVar(ctx, "group0007", "bad", map[string]any{"x": func() {}}) }},
		{"AddHost", `host "new": var "bad": value of type chan int`, func() error {
			return s.AddHost(ctx, "new", kook.Vars{"bad": make(chan int)})
		}},
	} {
		err := tc.write()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error containing %q", tc.what, err, tc.want)
		}
	}
	if _, v := mustLoad(t, s); v != v0 {
		t.Errorf("refused writes moved the version from %v to %v", v0, v)
	}
}
