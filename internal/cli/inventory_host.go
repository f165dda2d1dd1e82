package cli

import (
	"context"
	"time"

	"github.com/kook-project/kook/pkg/kook"
	"github.com/kook-project/kook/pkg/kook/coord"
	"github.com/kook-project/kook/pkg/kook/store"
)

// loadHost reads what --host HOST prints: the inventory, and the
// coordination state read beside it (as loadList does), whose vars for
// HOST (kook_lock, kook_maintenance) are set on it exactly as --list puts
// them in _meta.hostvars, so that the script protocol's two answers agree.
func loadHost(ctx context.Context, st *store.Store, host string) (*kook.Inventory, store.Version, error) {
	c := coord.New(st.Conn(), st.Root(), nil)
	var state *coord.State
	var serr error
	done := make(chan struct{})
	go func() { defer close(done); state, serr = c.ReadState(ctx) }()
	inv, v, err := st.Load(ctx)
	<-done
	if err != nil {
		return nil, v, err
	}
	if serr != nil {
		return nil, v, serr
	}
	if h := inv.Hosts[host]; h != nil {
		for k, x := range state.HostVars(host, time.Now()) {
			if h.Vars == nil {
				h.Vars = kook.Vars{}
			}
			h.Vars[k] = x
		}
	}
	return inv, v, nil
}
