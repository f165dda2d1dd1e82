package store

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/kook-project/kook/pkg/kook"
)

// TestFullWriteSeesSmallWrite: a small write that commits between a full
// write's read and its commit (in place, or switching to a new
// generation) is never lost: the full write conflicts on the bucket and
// runs again on fresh data. Small writes do not set meta any more, so
// only the full write's checks of the buckets it read catch this.
func TestFullWriteSeesSmallWrite(t *testing.T) {
	for _, tc := range []struct {
		name string
		grow int // hosts the full write adds: many forces a new generation
	}{{"in place", 1}, {"new generation", 4000}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			other := openRoot(t, s)
			if _, err := s.Replace(ctx, fleet(200), WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			calls := 0
			res, err := s.Update(ctx, func(inv *kook.Inventory) error {
				calls++
				if calls == 1 {
					if err := other.SetHostVar(ctx, "host000007.example.com", "between", true); err != nil {
						return err
					}
				}
				for i := range tc.grow {
					inv.AddMember("grown", fmt.Sprintf("grown%05d", i))
				}
				return nil
			}, WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if calls < 2 {
				t.Errorf("the full write committed over a concurrent small write (fn ran %d times)", calls)
			}
			if res.NewGeneration != (tc.grow > 1) {
				t.Errorf("NewGeneration = %v", res.NewGeneration)
			}
			got, _ := mustLoad(t, s)
			if got.Hosts["host000007.example.com"].Vars["between"] != true {
				t.Error("the small write was lost")
			}
			if !got.Groups["grown"].HasHost(fmt.Sprintf("grown%05d", tc.grow-1)) {
				t.Error("the full write was lost")
			}
		})
	}
}

// TestSmallWritersDoNotConflict: many sessions registering one host each
// at once all succeed, none is lost, and new members of a group keep the
// order of writes that did not overlap.
func TestSmallWritersDoNotConflict(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.Replace(ctx, fleet(500), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	const n = 40
	inSessions(t, s, n, func(i int, st *Store) error {
		return st.AddMember(ctx, fmt.Sprintf("reg%d", i%3), fmt.Sprintf("reg%03d", i))
	})
	// Sequential writes after the storm come after it, in order.
	for i := range 3 {
		if err := s.AddMember(ctx, "reg0", fmt.Sprintf("after%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := mustLoad(t, s)
	for i := range n {
		if !got.Groups[fmt.Sprintf("reg%d", i%3)].HasHost(fmt.Sprintf("reg%03d", i)) {
			t.Errorf("reg%03d lost", i)
		}
	}
	hosts := got.Groups["reg0"].Hosts
	if tail := hosts[len(hosts)-3:]; fmt.Sprint(tail) != "[after0 after1 after2]" {
		t.Errorf("reg0 ends with %v", tail)
	}
	entries, err := s.Log(ctx, LogQuery{N: 1000})
	if err != nil {
		t.Fatal(err)
	}
	// One entry per write: the Replace, n registrations, 3 more.
	if len(entries) != n+4 {
		t.Errorf("%d log entries, want %d", len(entries), n+4)
	}
}

// inSessions runs call(i, store) for i in [0, n) at once, each on a session
// of its own on s's root, and fails the test for each call that failed.
func inSessions(t *testing.T, s *Store, n int, call func(i int, st *Store) error) {
	t.Helper()
	stores := make([]*Store, n)
	for i := range stores {
		stores[i] = openRoot(t, s)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, st := range stores {
		wg.Go(func() { errs[i] = call(i, st) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("session %d: %v", i, err)
		}
	}
}
