package ansible

import (
	"bytes"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/fleet"
)

// The YAML read path at the sizes: the block-style fleet files
// kook-import reads, and one block mapping of 40,000 keys (goccy's parser
// took 10-12 s on it).

func fleetYAML(b *testing.B, n int) []byte {
	var buf bytes.Buffer
	if err := WriteYAML(&buf, fleet.Generate(n, 42)); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// benchReadYAML reads data as kook-import reads a source. On a shared
// machine wall time says little: it reports the process's CPU time per
// read too (cpu-ms/op).
func benchReadYAML(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		inv, err := ParseSource("fleet.yml", data, "", ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		inv.Reconcile()
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// cpuTime is the user and system time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkReadYAMLFleet10k(b *testing.B)  { benchReadYAML(b, fleetYAML(b, 10000)) }
func BenchmarkReadYAMLFleet100k(b *testing.B) { benchReadYAML(b, fleetYAML(b, 100000)) }

// yamlBlockMapping is a 1 MB document: one hosts mapping of n keys.
func yamlBlockMapping(n int) []byte {
	var b strings.Builder
	b.WriteString("all:\n  hosts:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "    host-%06d.example.com:\n", i)
	}
	return []byte(b.String())
}

func BenchmarkReadYAMLBlockMapping40k(b *testing.B) { benchReadYAML(b, yamlBlockMapping(40000)) }

// BenchmarkReadArchive100k reads the original Kook's archive of the
// 100,000-host fleet as kook-import reads it.
func BenchmarkReadArchive100k(b *testing.B) {
	data := fleet.Archive(fleet.Generate(100000, 42))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		forgetJSONMemo()
		inv, err := ParseSource("fleet.json", data, "", ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		inv.Reconcile()
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}
