package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kook-project/kook/internal/fleet"
	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
)

// sourceFigures are the figures of one kind of source file imported into
// an empty root: the block-style YAML fleet, or the original Kook's
// archive of it.
type sourceFigures struct {
	fileMB    float64
	wall, cpu time.Duration // median of 3
	rssMB     float64       // peak resident size of one more import
}

// measureSource writes inv with write to file and imports it into fresh
// roots under root.
func measureSource(env []string, work, root, file string, inv *kook.Inventory, write func(*kook.Inventory) ([]byte, error)) (sourceFigures, error) {
	var f sourceFigures
	data, err := write(inv)
	if err != nil {
		return f, err
	}
	path := filepath.Join(work, file)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return f, err
	}
	f.fileMB = float64(len(data)) / (1 << 20)
	importer := filepath.Join(work, "kook-import")
	var walls, cpus []time.Duration
	for r := 1; r <= 3; r++ {
		fmt.Fprintf(os.Stderr, "%s: import into an empty root (%d of 3)\n", file, r)
		d, _, err := timeCmd(env, importer, "--root", fmt.Sprintf("%s-%d", root, r), "--prune", path)
		if err != nil {
			return f, err
		}
		walls, cpus = append(walls, d), append(cpus, lastCPU)
	}
	f.wall, f.cpu = median(walls), median(cpus)
	f.rssMB, err = peakRSS(env, importer, "--root", root+"-rss", "--prune", path)
	return f, err
}

func fleetYAML(inv *kook.Inventory) ([]byte, error) {
	var buf bytes.Buffer
	err := ansible.WriteYAML(&buf, inv)
	return buf.Bytes(), err
}

func fleetArchive(inv *kook.Inventory) ([]byte, error) { return fleet.Archive(inv), nil }

// blockMappingRead times, in this process, the read of a YAML inventory
// holding one block mapping of n host keys (goccy/go-yaml's parser took
// 10-12 s on 40,000): the median of 5 reads and the CPU time of one.
func blockMappingRead(n int) (time.Duration, time.Duration, error) {
	var b strings.Builder
	b.WriteString("all:\n  hosts:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "    host-%06d.example.com:\n", i)
	}
	data := []byte(b.String())
	var ds, cpus []time.Duration
	for i := 0; i < 5; i++ {
		start, cpu := time.Now(), processCPU()
		inv, err := ansible.ParseSource("mapping.yml", data, "", ansible.ReadOptions{})
		if err != nil {
			return 0, 0, err
		}
		if len(inv.Hosts) != n {
			return 0, 0, fmt.Errorf("read %d hosts, want %d", len(inv.Hosts), n)
		}
		ds, cpus = append(ds, time.Since(start)), append(cpus, processCPU()-cpu)
	}
	return median(ds), median(cpus), nil
}

// processCPU is the user and system time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
