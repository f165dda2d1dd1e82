package kook

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestNameOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 31, 32, 33, 1000, 5000} {
		names := make([]string, n)
		for i := range names {
			switch i % 4 {
			case 0:
				names[i] = fmt.Sprintf("web-%04d.dc%d.example.com", r.IntN(n+1), r.IntN(3))
			case 1:
				names[i] = fmt.Sprintf("web-%04d", r.IntN(n+1)) // a prefix of others
			case 2:
				names[i] = string(rune('a' + r.IntN(3))) // short, repeated
			default:
				names[i] = fmt.Sprintf("\xff%d\x00ü", r.IntN(50)) // any bytes
			}
		}
		order := NameOrder(names)
		got := make([]string, len(order))
		for i, j := range order {
			got[i] = names[j]
		}
		want := slices.Clone(names)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%d names: not in order", n)
		}
		slices.Sort(order)
		for i, j := range order {
			if i != j {
				t.Fatalf("%d names: order is not a permutation", n)
			}
		}
	}
}

// BenchmarkNameOrder sorts fleet-like host names, which share long
// prefixes.
func BenchmarkNameOrder(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("host-%06d.dc%d.example.com", (i*7919)%n, i%7)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for range b.N {
				NameOrder(names)
			}
		})
	}
}
