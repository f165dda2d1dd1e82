package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kook-project/kook/pkg/kook"
)

// An inventory whose groups name hosts or children it does not hold is
// refused before anything is written, naming both, however many groups
// the encoding spreads over the cores.
func TestEncodeRefusesDanglingNames(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(inv *kook.Inventory)
		want  string
	}{
		{"host", func(inv *kook.Inventory) {
			g := inv.Groups["group0700"]
			g.Hosts = append(g.Hosts, "ghost.example.com")
		}, `group "group0700" lists host "ghost.example.com", which is not in the inventory`},
		{"child", func(inv *kook.Inventory) {
			g := inv.Groups["group0099"]
			g.Children = append(g.Children, "nowhere")
		}, `group "group0099" has child "nowhere", which is not in the inventory`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := kook.New()
			for i := 0; i < 5000; i++ {
				inv.AddMember(fmt.Sprintf("group%04d", i%1000), fmt.Sprintf("host%04d.example.com", i))
			}
			inv.Reconcile()
			tc.spoil(inv)
			_, _, err := encodeInventory(inv, nil, new(int64))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("encodeInventory: %v, want %s", err, tc.want)
			}
		})
	}
}

// A name too large for ZooKeeper is refused naming what holds it, a group
// rather than its members, and quoted short: it can run to megabytes.
func TestTooLargeNames(t *testing.T) {
	big := strings.Repeat("é", 600<<10) // 1.2 MB
	for _, tc := range []struct {
		name string
		inv  func() *kook.Inventory
		want string
	}{
		{"host", func() *kook.Inventory {
			inv := kook.New()
			inv.AddMember("web", big)
			return inv
		}, `host "éééé`},
		{"group", func() *kook.Inventory {
			inv := kook.New()
			inv.AddMember(big, "web01")
			return inv
		}, `group "éééé`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			inv := tc.inv()
			inv.Reconcile()
			_, err := s.Replace(context.Background(), inv, WriteOptions{})
			if err == nil {
				t.Fatal("Replace accepted a 1.2 MB name")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tc.want) || !strings.Contains(msg, "... (1228800 bytes) takes") || len(msg) > 300 {
				t.Fatalf("error %.400q, want it to start %q, name the size and stay short", msg, tc.want)
			}
			if _, v, err := s.Load(context.Background()); !errors.Is(err, ErrNoInventory) {
				t.Fatalf("after the refused write: version %v, %v; want nothing written", v, err)
			}
		})
	}
}

func TestQuoteName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"web01", `"web01"`},
		{strings.Repeat("a", 64), `"` + strings.Repeat("a", 64) + `"`},
		{strings.Repeat("a", 65), `"` + strings.Repeat("a", 64) + `"... (65 bytes)`},
		{"a" + strings.Repeat("é", 40), `"a` + strings.Repeat("é", 31) + `"... (81 bytes)`},
	} {
		if got := quoteName(tc.in); got != tc.want {
			t.Errorf("quoteName(%.20q...) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
