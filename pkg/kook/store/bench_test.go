package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/kook-project/kook/pkg/kook"
)

var fleets = map[int]*kook.Inventory{}

func cachedFleet(n int) *kook.Inventory {
	if fleets[n] == nil {
		fleets[n] = fleet(n)
	}
	return fleets[n]
}

func benchLoad(b *testing.B, n int) {
	s := open(b)
	if _, err := s.Replace(context.Background(), cachedFleet(n), WriteOptions{}); err != nil {
		b.Fatal(err)
	}
	sn, _ := s.snapshot(context.Background(), false)
	size := 0
	for _, d := range append(sn.hostData, sn.groupData...) {
		size += len(d)
	}
	b.SetBytes(int64(size))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := s.Load(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(sn.meta.HostBuckets+sn.meta.GroupBuckets), "buckets")
}

func BenchmarkLoad1k(b *testing.B)  { benchLoad(b, 1000) }
func BenchmarkLoad10k(b *testing.B) { benchLoad(b, 10000) }

func benchReplace(b *testing.B, n int) {
	inv := cachedFleet(n)
	srvOpen := open(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, err := Open(context.Background(), Config{Servers: srvOpen.cfg.Servers, Root: fmt.Sprintf("%s/%d", srvOpen.cfg.Root, i)})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := s.Replace(context.Background(), inv, WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

func BenchmarkReplace1k(b *testing.B)  { benchReplace(b, 1000) }
func BenchmarkReplace10k(b *testing.B) { benchReplace(b, 10000) }

// BenchmarkReplace10kChange10 re-imports 10k hosts with 10 of them changed.
func BenchmarkReplace10kChange10(b *testing.B) {
	s := open(b)
	inv := cachedFleet(10000).Clone()
	if _, err := s.Replace(context.Background(), inv, WriteOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < 10; j++ {
			inv.Hosts[fmt.Sprintf("host%06d.example.com", j*977)].Vars["gen"] = int64(i)
		}
		if _, err := s.Replace(context.Background(), inv, WriteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchSetHostVar(b *testing.B, n int) {
	s := open(b)
	if _, err := s.Replace(context.Background(), cachedFleet(n), WriteOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.SetHostVar(context.Background(), fmt.Sprintf("host%06d.example.com", i%n), "checked_in", int64(i)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSetHostVar(b *testing.B)   { benchSetHostVar(b, 10000) }
func BenchmarkSetHostVar1k(b *testing.B) { benchSetHostVar(b, 1000) }

func BenchmarkDecodeHostBucket(b *testing.B) {
	hosts, _, _ := encodeInventory(cachedFleet(1000), nil, new(int64))
	data := appendBucket(nil, hosts)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := decodeHostBucket(data); err != nil {
			b.Fatal(err)
		}
	}
}
