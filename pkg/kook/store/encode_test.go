package store

import (
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
