package store

import (
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"testing"

	synthetic "github.com/kook-project/kook/internal/fleet"
	"github.com/kook-project/kook/pkg/kook"
)

// BenchmarkBucketSize sweeps the bucket target size over the issue's
// synthetic fleet and measures what it trades: a whole read (--list's
// LoadEncoded), one host var set (a host checking in rewrites its bucket)
// and a re-import with 10 hosts changed (10 buckets in one multi). Run it
// with -benchtime=20x; the 100k cases only without -short.
//
//	go test -run '^$' -bench BucketSize -benchtime 20x ./pkg/kook/store
func BenchmarkBucketSize(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		for _, kib := range []int{16, 32, 64, 128, 256} {
			b.Run(fmt.Sprintf("hosts=%d/target=%dKiB", n, kib), func(b *testing.B) {
				skipBig(b, n)
				defer func(t int) { targetBucket = t }(targetBucket)
				targetBucket = kib << 10
				benchBucketSize(b, n)
			})
		}
	}
}

func benchBucketSize(b *testing.B, n int) {
	ctx := context.Background()
	s := open(b)
	inv := synthetic.Generate(n, 42)
	if _, err := s.Replace(ctx, inv, WriteOptions{}); err != nil {
		b.Fatal(err)
	}
	names := inv.HostNames()
	sn, err := s.snapshot(ctx, false)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.Run("load", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, _, err := s.LoadEncoded(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(sn.meta.HostBuckets+sn.meta.GroupBuckets), "buckets")
	})
	b.Run("set-host-var", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := s.SetHostVar(ctx, names[i*7919%len(names)], "checkin", int64(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reimport-10-changed", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for j := 0; j < 10; j++ {
				inv.Hosts[names[(j*len(names)/10+i*13)%len(names)]].Vars["rack"] = fmt.Sprintf("moved-%d", i)
			}
			res, err := s.Apply(ctx, func(*kook.Inventory) (*kook.Inventory, error) { return inv, nil }, WriteOptions{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(res.BucketsWritten), "buckets-written")
		}
	})
}

// BenchmarkBucketCompression measures what compressing buckets would
// cost and save: flate at the fastest level over the host buckets of a
// 10k fleet, compressed once and decompressed per iteration (a reader's
// cost). The ratio is reported as a metric.
func BenchmarkBucketCompression(b *testing.B) {
	hosts, _, err := encodeInventory(synthetic.Generate(10000, 42), nil, new(int64))
	if err != nil {
		b.Fatal(err)
	}
	nb, _ := chooseBuckets(hosts, 0)
	buckets, err := buildBuckets(hosts, nb, "host")
	if err != nil {
		b.Fatal(err)
	}
	raw, packed := 0, 0
	var compressed [][]byte
	for _, data := range buckets {
		var buf bytes.Buffer
		w, _ := flate.NewWriter(&buf, flate.BestSpeed)
		w.Write(data)
		w.Close()
		raw += len(data)
		packed += buf.Len()
		compressed = append(compressed, buf.Bytes())
	}
	b.SetBytes(int64(raw))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, c := range compressed {
			var out bytes.Buffer
			if _, err := out.ReadFrom(flate.NewReader(bytes.NewReader(c))); err != nil {
				b.Fatal(err)
			}
		}
	}
	// After the loop: ResetTimer drops metrics reported before it.
	b.ReportMetric(float64(raw)/float64(packed), "ratio")
}
