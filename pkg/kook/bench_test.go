package kook_test

import (
	"testing"

	"github.com/kook-project/kook/internal/fleet"
	"github.com/kook-project/kook/pkg/kook"
)

// Diff and Encode at the two fleet sizes, on the synthetic fleet.

func benchDiff(b *testing.B, n int) {
	old := fleet.Generate(n, 42)
	new := old.Clone()
	for i, name := range new.HostNames() {
		if i%(n/10) == 0 {
			new.Hosts[name].Vars["rack"] = "moved"
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if s := kook.DiffSummary(old, new); s.HostsChanged != 10 {
			b.Fatalf("DiffSummary = %v", s)
		}
	}
}

func BenchmarkDiffSummary10k(b *testing.B)  { benchDiff(b, 10000) }
func BenchmarkDiffSummary100k(b *testing.B) { benchDiff(b, 100000) }

func benchEncode(b *testing.B, n int) {
	inv := fleet.Generate(n, 42)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := inv.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode10k(b *testing.B)  { benchEncode(b, 10000) }
func BenchmarkEncode100k(b *testing.B) { benchEncode(b, 100000) }

// benchReconcile is the pass every source read and every Update ends with.
// Reconcile is idempotent, so each iteration does the whole work again.
func benchReconcile(b *testing.B, n int) {
	inv := fleet.Generate(n, 42)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inv.Reconcile()
	}
}

func BenchmarkReconcile10k(b *testing.B)  { benchReconcile(b, 10000) }
func BenchmarkReconcile100k(b *testing.B) { benchReconcile(b, 100000) }
