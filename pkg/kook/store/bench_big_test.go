package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/kook-project/kook/pkg/kook"
)

// The sizes: 10,000 and 100,000 hosts. The 100k ones take tens of
// seconds to set up and are skipped under -short.

func skipBig(b *testing.B, n int) {
	if n >= 100000 && testing.Short() {
		b.Skip("100k-host store benchmark skipped in -short mode")
	}
}

func BenchmarkLoad100k(b *testing.B) { skipBig(b, 100000); benchLoad(b, 100000) }

func benchLoadEncoded(b *testing.B, n int) {
	skipBig(b, n)
	s := open(b)
	if _, err := s.Replace(context.Background(), cachedFleet(n), WriteOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := s.LoadEncoded(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadEncoded10k(b *testing.B)  { benchLoadEncoded(b, 10000) }
func BenchmarkLoadEncoded100k(b *testing.B) { benchLoadEncoded(b, 100000) }

func BenchmarkReplace100k(b *testing.B) { skipBig(b, 100000); benchReplace(b, 100000) }

// benchApplyChange10 is a re-import: Apply of the whole fleet with 10
// hosts changed, which must write only their buckets.
func benchApplyChange10(b *testing.B, n int) {
	skipBig(b, n)
	s := open(b)
	inv := cachedFleet(n).Clone()
	if _, err := s.Replace(context.Background(), inv, WriteOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < 10; j++ {
			inv.Hosts[fmt.Sprintf("host%06d.example.com", j*(n/10))].Vars["gen"] = int64(i)
		}
		res, err := s.Apply(context.Background(), func(*kook.Inventory) (*kook.Inventory, error) { return inv, nil }, WriteOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if res.BucketsWritten > 10 {
			b.Fatalf("wrote %d buckets for 10 changed hosts", res.BucketsWritten)
		}
	}
}

func BenchmarkApplyChange10of10k(b *testing.B)  { benchApplyChange10(b, 10000) }
func BenchmarkApplyChange10of100k(b *testing.B) { benchApplyChange10(b, 100000) }

// benchEncode is the CPU side of a re-import: every record encoded with
// the positions the store holds, then cut into buckets.
func benchEncode(b *testing.B, n int) {
	skipBig(b, n)
	inv := cachedFleet(n)
	seq := int64(0)
	hosts, _, err := encodeInventory(inv, groupPositions(nil), &seq)
	if err != nil {
		b.Fatal(err)
	}
	oldPos := map[string]map[string]int64{}
	for _, r := range hosts {
		e, err := newDecoder(r.json, nil).hostRecord(r.name)
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range e.groups {
			if oldPos[m.group] == nil {
				oldPos[m.group] = map[string]int64{}
			}
			oldPos[m.group][r.name] = m.pos
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		hosts, groups, err := encodeInventory(inv, groupPositions(oldPos), &seq)
		if err != nil {
			b.Fatal(err)
		}
		nh, _ := chooseBuckets(hosts, 0)
		ng, _ := chooseBuckets(groups, 0)
		if _, err := buildBuckets(hosts, nh, "host"); err != nil {
			b.Fatal(err)
		}
		if _, err := buildBuckets(groups, ng, "group"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode10k(b *testing.B)  { benchEncode(b, 10000) }
func BenchmarkEncode100k(b *testing.B) { benchEncode(b, 100000) }
