package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/internal/fleet"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/pkg/kook"
	"github.com/kook-project/kook/pkg/kook/store"
)

// writeFigures are issue 13's write-side figures at one fleet size.
type writeFigures struct {
	size             int
	reimport, cpu    time.Duration // re-import with 10 hosts changed (median of 5)
	reimportBuckets  string
	medium           []mediumFigure // at 100,000 hosts only
	mediumReplaced   string
	mediumGeneration bool // some medium change built a whole generation
}

// mediumFigure is a medium change of hosts hosts spread over the fleet,
// through the Go API (EditHosts: one write reading only their buckets).
type mediumFigure struct {
	hosts int
	wall  time.Duration // median of 5
}

// mediumSizes are the medium changes measured: issue 13's 20-100 hosts.
var mediumSizes = []int{20, 50, 100}

// writeFigureLines measures and prints the write-side figures of issue 13
// at each size: a re-import by kook-import with 10 hosts changed, and at
// 100,000 hosts a medium change.
func writeFigureLines(work, addr string, sizes []int) error {
	var all []writeFigures
	for _, n := range sizes {
		f, err := measureWrite(work, addr, n)
		if err != nil {
			return fmt.Errorf("write figures, %d hosts: %w", n, err)
		}
		all = append(all, f)
	}
	fmt.Println("Write figures (issue 13):")
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "figure\thosts\tmeasured\tgoal\t")
	for _, f := range all {
		goal := "100 ms"
		if f.size >= 100000 {
			goal = "1 s"
		}
		fmt.Fprintf(w, "kook-import re-import, 10 hosts changed (median of 5)\t%s\t%s\t%s\t\n", humanInt(f.size), ms(f.reimport), goal)
		fmt.Fprintf(w, "  its CPU time, user+sys\t\t%s\t\t\n", ms(f.cpu))
		fmt.Fprintf(w, "  buckets written\t\t%s\t\t\n", f.reimportBuckets)
		for _, m := range f.medium {
			fmt.Fprintf(w, "medium change, %d hosts spread over the fleet, Go API (median of 5)\t%s\t%s\t300 ms\t\n", m.hosts, humanInt(f.size), ms(m.wall))
		}
		if len(f.medium) > 0 {
			how := "copy-on-write, one multi"
			if f.mediumGeneration {
				how = "a whole new generation"
			}
			fmt.Fprintf(w, "  host buckets replaced by those changes; written as\t\t%s; %s\t\t\n", f.mediumReplaced, how)
		}
	}
	return w.Flush()
}

func measureWrite(work, addr string, n int) (writeFigures, error) {
	f := writeFigures{size: n}
	root := fmt.Sprintf("/bench-write-%d", n)
	env := benchEnv("KOOK_ZK="+addr, "KOOK_ROOT="+root)
	inv := fleet.Generate(n, 42)
	src := filepath.Join(work, fmt.Sprintf("write-%d.json", n))
	if err := writeInventory(src, inv); err != nil {
		return f, err
	}
	importer := filepath.Join(work, "kook-import")
	fmt.Fprintf(os.Stderr, "%d hosts: import for the write figures\n", n)
	if _, _, err := timeCmd(env, importer, "--prune", src); err != nil {
		return f, err
	}
	// Each re-import changes one var on ten more hosts than the last, so
	// that every run differs from what the store holds by ten hosts.
	names := inv.HostNames()
	var walls, cpus []time.Duration
	var written []string
	for r := 1; r <= 5; r++ {
		for i := 0; i < 10; i++ {
			inv.Hosts[names[(i*len(names)/10+r*13)%len(names)]].Vars["rack"] = fmt.Sprintf("write-%d", r)
		}
		if err := writeInventory(src, inv); err != nil {
			return f, err
		}
		fmt.Fprintf(os.Stderr, "%d hosts: re-import with 10 hosts changed (%d of 5)\n", n, r)
		d, stderr, err := timeCmd(env, importer, "--prune", src)
		if err != nil {
			return f, err
		}
		walls, cpus = append(walls, d), append(cpus, lastCPU)
		written = append(written, bucketsWritten(stderr))
	}
	f.reimport, f.cpu = median(walls), median(cpus)
	f.reimportBuckets = strings.Join(written, ", ")
	if n >= 100000 {
		return f, measureMedium(&f, addr, root, names)
	}
	return f, nil
}

// measureMedium times EditHosts of mediumSizes hosts spread evenly over
// the fleet, each run on other hosts.
func measureMedium(f *writeFigures, addr, root string, names []string) error {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Servers: []string{addr}, Root: root})
	if err != nil {
		return err
	}
	defer st.Close()
	var replaced []string
	for _, k := range mediumSizes {
		var walls []time.Duration
		for r := 0; r < 5; r++ {
			edits := make([]store.HostEdit, k)
			for i := range edits {
				j := (i*len(names)/k + r*31 + k) % len(names)
				edits[i] = store.HostEdit{Name: names[j], Set: kook.Vars{"medium": int64(r)}}
			}
			fmt.Fprintf(os.Stderr, "%d hosts: medium change of %d hosts (%d of 5)\n", f.size, k, r+1)
			start := time.Now()
			if _, err := st.EditHosts(ctx, "bench medium change", edits); err != nil {
				return err
			}
			walls = append(walls, time.Since(start))
			n, whole, err := replacedByLast(addr, root)
			if err != nil {
				return err
			}
			f.mediumGeneration = f.mediumGeneration || whole
			if r == 0 {
				replaced = append(replaced, fmt.Sprint(n))
			}
		}
		f.medium = append(f.medium, mediumFigure{hosts: k, wall: median(walls)})
	}
	f.mediumReplaced = strings.Join(replaced, " / ")
	return nil
}

// replacedByLast reads meta's manifest: how many host buckets the newest
// generation holds, which are those the last copy-on-write change
// replaced; whole is true when meta has no manifest, every bucket in one
// generation (a whole new generation, or no copy-on-write yet).
func replacedByLast(addr, root string) (n int, whole bool, err error) {
	conn, _, err := zk.Connect([]string{addr}, 10*time.Second, zk.WithLogInfo(false), zk.WithLogger(quiet{}))
	if err != nil {
		return 0, false, err
	}
	defer conn.Close()
	data, _, err := conn.Get(root + "/meta")
	if err != nil {
		return 0, false, err
	}
	var m struct {
		HostGens []int64 `json:"host_gens"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return 0, false, err
	}
	if m.HostGens == nil {
		return 0, true, nil
	}
	newest := slices.Max(m.HostGens)
	for _, g := range m.HostGens {
		if g == newest {
			n++
		}
	}
	return n, false, nil
}

// runWrite measures only the write figures (-only write).
func runWrite(sizeList string) error {
	work, err := os.MkdirTemp("", "kook-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	for _, name := range []string{"kook-import", "kook-inventory"} {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(work, name), "./cmd/"+name).CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", name, err, out)
		}
	}
	srv, err := zktest.StartProcess(filepath.Join(work, "zk"))
	if err != nil {
		return err
	}
	defer srv.Stop()
	if err := warmUp(work, srv.Addr); err != nil {
		return err
	}
	return writeFigureLines(work, srv.Addr, parseSizes(sizeList))
}

// parseSizes reads the -sizes list; run has refused a bad one before the
// write figures, so what does not parse is skipped.
func parseSizes(list string) []int {
	var out []int
	for _, s := range strings.Split(list, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
			out = append(out, n)
		}
	}
	return out
}
