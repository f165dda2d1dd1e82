// Command bench prints kook's performance figures against a real ZooKeeper:
// it starts its own server, builds the synthetic fleets, runs the binaries
// as Ansible would and prints one table. `make bench` runs it.
//
//	go run ./internal/bench [-sizes 10000,100000] [-load 60s]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/internal/fleet"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
	"github.com/kook-project/kook/pkg/kook/store"
)

func main() {
	if len(os.Args) > 2 && os.Args[1] == peakRSSFlag {
		os.Exit(reportPeakRSS(os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == holdStateFlag {
		os.Exit(holdState(os.Args[2:]))
	}
	sizes := flag.String("sizes", "10000,100000", "fleet sizes, comma separated")
	load := flag.Duration("load", 60*time.Second, "how long the writer runs during the --list under load figure (0 skips it)")
	runs := flag.Int("runs", 15, "runs of each command; the median is reported")
	only := flag.String("only", "", "run only these figures: register, write")
	coordSize = flag.Int("coord", 10000, "fleet size of the coordination figures (0 skips them)")
	flag.Parse()
	if *only == "write" {
		if err := runWrite(*sizes); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *only == "register" {
		if err := runRegister(); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*sizes, *load, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// coordSize is the -coord flag.
var coordSize *int

type figures struct {
	size                        int
	cpuCold                     time.Duration // user+sys of the fresh --list runs (median)
	cpuImport, cpuReimport      time.Duration
	listCold, listLoad          time.Duration
	listLoadMax                 time.Duration
	loadRuns, loadWrites        int
	loadErr                     string
	rssMB                       float64
	importEmpty, reimport10     time.Duration
	reimportBuckets, buckets    string
	setVar                      time.Duration
	kookShow, kookSet, kookList time.Duration
	cpuShow, cpuSet, cpuList    time.Duration
	kookListCount               int
	bigGroup                    string
	yamlImport, archiveImport   sourceFigures
}

func run(sizeList string, load time.Duration, runs int) error {
	work, err := os.MkdirTemp("", "kook-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	for _, name := range []string{"kook-import", "kook-inventory", "kook"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(work, name), "./cmd/"+name).CombinedOutput()
		if err != nil {
			return fmt.Errorf("build %s: %v\n%s", name, err, out)
		}
	}
	zk, err := zktest.StartProcess(filepath.Join(work, "zk"))
	if err != nil {
		return err
	}
	defer zk.Stop()
	fmt.Fprintf(os.Stderr, "ZooKeeper %s on %s, %d cores\n", zkVersion(zk.Addr), zk.Addr, runtime.NumCPU())

	if err := warmUp(work, zk.Addr); err != nil {
		return err
	}
	var all []figures
	for _, s := range strings.Split(sizeList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("bad size %q", s)
		}
		f, err := measure(work, zk.Addr, n, load, runs)
		if err != nil {
			return fmt.Errorf("%d hosts: %w", n, err)
		}
		all = append(all, f)
	}

	fmt.Printf("kook performance: %d cores, ZooKeeper %s (standalone, loopback), %s/%s\n\n",
		runtime.NumCPU(), zkVersion(zk.Addr), runtime.GOOS, runtime.GOARCH)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := "figure\t"
	for _, f := range all {
		header += fmt.Sprintf("%s hosts\t", humanInt(f.size))
	}
	fmt.Fprintln(w, header+"goal (10k / 100k)\t")
	row := func(name, goal string, cell func(f figures) string) {
		line := name + "\t"
		for _, f := range all {
			line += cell(f) + "\t"
		}
		fmt.Fprintln(w, line+goal+"\t")
	}
	// The --list goals are measured in list.go, reading the answer as
	// Ansible does; this fresh figure is what the load rows compare with.
	row("kook-inventory --list, fresh, answer kept in memory (median)", "see the --list table", func(f figures) string { return ms(f.listCold) })
	row("  its CPU time, user+sys (median)", "", func(f figures) string { return ms(f.cpuCold) })
	row("peak RSS of kook-inventory --list", "60 MB / 400 MB", func(f figures) string { return fmt.Sprintf("%.0f MB", f.rssMB) })
	row("kook-import into an empty root (median of 3)", "1.5 s / 15 s", func(f figures) string { return ms(f.importEmpty) })
	row("  its CPU time, user+sys", "", func(f figures) string { return ms(f.cpuImport) })
	sourceRows := func(name, goal, rssGoal string, of func(f figures) sourceFigures) {
		row(name, goal, func(f figures) string { return ms(of(f).wall) })
		row("  its CPU time, user+sys", "", func(f figures) string { return ms(of(f).cpu) })
		row("  its peak RSS", rssGoal, func(f figures) string { return fmt.Sprintf("%.0f MB", of(f).rssMB) })
		row("  size of the file", "", func(f figures) string { return fmt.Sprintf("%.0f MB", of(f).fileMB) })
	}
	sourceRows("kook-import of the block-style YAML fleet, empty root (median of 3)", "0.5 s / 3 s", "150 MB / 600 MB",
		func(f figures) sourceFigures { return f.yamlImport })
	sourceRows("kook-import of the original Kook's archive, empty root (median of 3)", "- / 3 s", "- / 500 MB",
		func(f figures) sourceFigures { return f.archiveImport })
	row("re-import with 10 hosts changed (median of 5)", "100 ms / 1 s", func(f figures) string { return ms(f.reimport10) })
	row("  its CPU time, user+sys", "", func(f figures) string { return ms(f.cpuReimport) })
	row("  buckets written by that re-import", "only what changed", func(f figures) string { return f.reimportBuckets })
	row("one host var set through the Go API (median)", "10 ms / 10 ms", func(f figures) string { return ms(f.setVar) })
	row("kook host show H, fresh process (median)", "- / 10 ms", func(f figures) string { return ms(f.kookShow) })
	row("  its CPU time, user+sys (median)", "", func(f figures) string { return ms(f.cpuShow) })
	row("kook host set H K=V, fresh process (median)", "- / 15 ms", func(f figures) string { return ms(f.kookSet) })
	row("  its CPU time, user+sys (median)", "", func(f figures) string { return ms(f.cpuSet) })
	row("kook host list --group G --where K=REGEX (median)", "- / 300 ms", func(f figures) string {
		return fmt.Sprintf("%s, %d hosts", ms(f.kookList), f.kookListCount)
	})
	row("  its CPU time, user+sys (median)", "", func(f figures) string { return ms(f.cpuList) })
	if load > 0 {
		row("--list (no cache) while 100 writes/s (median)", "2x the fresh figure", func(f figures) string { return ms(f.listLoad) })
		row("  slowest --list under that load", "", func(f figures) string { return ms(f.listLoadMax) })
		row("  --list runs, all consistent / host var writes", "", func(f figures) string {
			if f.loadErr != "" {
				return "FAILED (see stderr)"
			}
			return fmt.Sprintf("%d / %d", f.loadRuns, f.loadWrites)
		})
	}
	row("a group holding every host (default jute.maxbuffer)", "works", func(f figures) string { return f.bigGroup })
	row("host + group buckets, mean size", "", func(f figures) string { return f.buckets })
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Println()
	lf, err := measureList(work, zk.Addr, all, runs)
	if err != nil {
		return err
	}
	if err := printList(lf); err != nil {
		return err
	}
	wall, cpu, err := blockMappingRead(40000)
	if err != nil {
		return err
	}
	fmt.Printf("\nYAML inventory of one 40,000-key block mapping, read in process (median of 5): %s, CPU %s (goal 500 ms)\n", ms(wall), ms(cpu))
	if err := kookFilterLines(work, zk.Addr, sizesOf(all), runs); err != nil {
		return err
	}
	fmt.Println()
	if *coordSize > 0 {
		cf, err := measureCoord(work, zk.Addr, *coordSize, runs)
		if err != nil {
			return fmt.Errorf("coordination: %w", err)
		}
		if err := printCoord(cf, *coordSize); err != nil {
			return err
		}
	}
	if err := writeFigureLines(work, zk.Addr, parseSizes(sizeList)); err != nil {
		return err
	}
	return registerFigureLines(work, zk.Addr)
}

// runRegister measures only the registration and change-log figures.
func runRegister() error {
	work, err := os.MkdirTemp("", "kook-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if out, err := exec.Command("go", "build", "-o", filepath.Join(work, "kook"), "./cmd/kook").CombinedOutput(); err != nil {
		return fmt.Errorf("build kook: %v\n%s", err, out)
	}
	zk, err := zktest.StartProcess(filepath.Join(work, "zk"))
	if err != nil {
		return err
	}
	defer zk.Stop()
	return registerFigureLines(work, zk.Addr)
}

// registerFigureLines prints the registration and change-log figures,
// each beside its goal.
func registerFigureLines(work, addr string) error {
	f, err := registerStorm(addr, "/bench-register", 1000, 10000)
	if err != nil {
		return err
	}
	fmt.Printf("1,000 hosts registering at once (Go API, one session each) into 10,000 hosts: %v, %d failed, %d lost, %.2f retries per write (goal: all succeed, none lost, <= 5 s)\n",
		f.took.Round(time.Millisecond), f.failed, f.lost-f.failed, float64(f.retries)/float64(f.hosts))
	if f.firstErr != "" {
		fmt.Printf("  first error: %s\n", f.firstErr)
	}
	took, failed, lost, err := registerProcs(work, addr, "/bench-register", 100)
	if err != nil {
		return err
	}
	fmt.Printf("100 concurrent kook register processes: %v, %d failed, %d lost (goal: all succeed, none lost)\n", took.Round(time.Millisecond), failed, lost)
	on, off, err := logCost(addr, "/bench-register", 200)
	if err != nil {
		return err
	}
	fmt.Printf("one host var write, change log on / off (median of 200): %s / %s, %+.1f%% (goal: <= 10%% slower)\n",
		ms(on), ms(off), 100*(float64(on)/float64(off)-1))
	return nil
}

func measure(work, addr string, n int, load time.Duration, runs int) (figures, error) {
	f := figures{size: n}
	root := fmt.Sprintf("/bench-%d", n)
	env := benchEnv("KOOK_ZK="+addr, "KOOK_ROOT="+root, "XDG_CACHE_HOME="+filepath.Join(work, "cache"))
	fmt.Fprintf(os.Stderr, "%d hosts: generating\n", n)
	inv := fleet.Generate(n, 42)
	src := filepath.Join(work, fmt.Sprintf("fleet-%d.json", n))
	if err := writeInventory(src, inv); err != nil {
		return f, err
	}

	// Three imports into fresh roots, the last of them the root the
	// other figures use.
	var imports, importCPU []time.Duration
	for r := 1; r <= 3; r++ {
		fmt.Fprintf(os.Stderr, "%d hosts: import into an empty root (%d of 3)\n", n, r)
		into := fmt.Sprintf("%s-empty-%d", root, r)
		if r == 3 {
			into = root
		}
		d, _, err := timeCmd(env, filepath.Join(work, "kook-import"), "--root", into, "--prune", src)
		if err != nil {
			return f, err
		}
		imports, importCPU = append(imports, d), append(importCPU, lastCPU)
	}
	f.importEmpty, f.cpuImport = median(imports), median(importCPU)
	var err error
	if f.yamlImport, err = measureSource(env, work, root+"-yaml", fmt.Sprintf("fleet-%d.yml", n), inv, fleetYAML); err != nil {
		return f, err
	}
	if f.archiveImport, err = measureSource(env, work, root+"-archive", fmt.Sprintf("fleet-%d-archive.json", n), inv, fleetArchive); err != nil {
		return f, err
	}

	// Each re-import changes one var on ten more hosts than the last, so
	// that every run differs from what the store holds by ten hosts.
	names := inv.HostNames()
	changed := filepath.Join(work, fmt.Sprintf("fleet-%d-changed.json", n))
	var reimports, reimportCPU []time.Duration
	var written []string
	for r := 1; r <= 5; r++ {
		for i := 0; i < 10; i++ {
			inv.Hosts[names[(i*len(names)/10+r*7)%len(names)]].Vars["rack"] = fmt.Sprintf("moved-%d", r)
		}
		if err := writeInventory(changed, inv); err != nil {
			return f, err
		}
		fmt.Fprintf(os.Stderr, "%d hosts: re-import with 10 hosts changed (%d of 5)\n", n, r)
		d, stderr, err := timeCmd(env, filepath.Join(work, "kook-import"), "--prune", changed)
		if err != nil {
			return f, err
		}
		reimports, reimportCPU = append(reimports, d), append(reimportCPU, lastCPU)
		written = append(written, bucketsWritten(stderr))
	}
	f.reimport10, f.cpuReimport = median(reimports), median(reimportCPU)
	f.reimportBuckets = strings.Join(written, ", ")
	f.buckets = bucketStats(addr, root)

	inventory := filepath.Join(work, "kook-inventory")
	// Without a cached answer, as after every change: the run also writes
	// the cache, as Ansible's next run will find it.
	fmt.Fprintf(os.Stderr, "%d hosts: --list without cache\n", n)
	cacheDir := filepath.Join(work, "cache")
	var cold, coldCPU []time.Duration
	for i := 0; i < runs; i++ {
		if err := os.RemoveAll(cacheDir); err != nil {
			return f, err
		}
		d, err := timeList(env, inventory, "--list")
		if err != nil {
			return f, err
		}
		cold, coldCPU = append(cold, d), append(coldCPU, lastCPU)
	}
	f.listCold, f.cpuCold = median(cold), median(coldCPU)
	for i := 0; i < 3; i++ {
		if err := os.RemoveAll(cacheDir); err != nil {
			return f, err
		}
		rss, err := peakRSS(env, inventory, "--list")
		if err != nil {
			return f, err
		}
		f.rssMB = max(f.rssMB, rss)
	}

	fmt.Fprintf(os.Stderr, "%d hosts: --list, peak memory\n", n)
	if _, _, err := timeCmd(env, inventory, "--list"); err != nil {
		return f, err
	}
	for i := 0; i < 3; i++ {
		rss, err := peakRSS(env, inventory, "--list")
		if err != nil {
			return f, err
		}
		f.rssMB = max(f.rssMB, rss)
	}

	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Servers: []string{addr}, Root: root})
	if err != nil {
		return f, err
	}
	defer st.Close()
	var sets []time.Duration
	for i := 0; i < 50; i++ {
		start := time.Now()
		if err := st.SetHostVar(ctx, names[i*7%len(names)], "checkin", int64(i)); err != nil {
			return f, err
		}
		sets = append(sets, time.Since(start))
	}
	f.setVar = median(sets)
	if err := measureKook(&f, work, env, names, runs); err != nil {
		return f, err
	}

	if load > 0 {
		fmt.Fprintf(os.Stderr, "%d hosts: --list under 100 writes/s for %v\n", n, load)
		if err := underLoad(&f, st, env, inventory, names, load); err != nil {
			// Reported in the table rather than ending the run, so that
			// the other figures still print.
			f.loadErr = err.Error()
			fmt.Fprintf(os.Stderr, "%d hosts: %v\n", n, err)
		}
	}

	fmt.Fprintf(os.Stderr, "%d hosts: one group holding every host\n", n)
	f.bigGroup = bigGroup(ctx, st, names)
	return f, nil
}

// measureKook times the kook verbs an operator runs by hand, each a fresh
// process as from a shell.
func measureKook(f *figures, work string, env []string, names []string, runs int) error {
	fmt.Fprintf(os.Stderr, "%d hosts: kook host show, set, list\n", len(names))
	kook := filepath.Join(work, "kook")
	var shows, sets, lists, showCPU, setCPU, listCPU []time.Duration
	for i := 0; i < runs; i++ {
		host := names[i*13%len(names)]
		d, _, err := timeCmd(env, kook, "host", "show", host)
		if err != nil {
			return err
		}
		shows, showCPU = append(shows, d), append(showCPU, lastCPU)
		d, _, err = timeCmd(env, kook, "host", "set", host, fmt.Sprintf("checkin=%d", i))
		if err != nil {
			return err
		}
		sets, setCPU = append(sets, d), append(setCPU, lastCPU)
	}
	args := []string{"host", "list", "--group", "region_000", "--where", "rack=^r0[0-4]$"}
	cmd := exec.Command(kook, args...)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("kook %v: %v", args, err)
	}
	f.kookListCount = bytes.Count(out, []byte("\n"))
	for i := 0; i < runs; i++ {
		d, _, err := timeCmd(env, kook, args...)
		if err != nil {
			return err
		}
		lists, listCPU = append(lists, d), append(listCPU, lastCPU)
	}
	f.cpuShow, f.cpuSet, f.cpuList = median(showCPU), median(setCPU), median(listCPU)
	f.kookShow, f.kookSet, f.kookList = median(shows), median(sets), median(lists)
	return nil
}

// underLoad runs --list in a loop while a writer sets 100 host vars a
// second, and checks every answer is a whole inventory.
func underLoad(f *figures, st *store.Store, env []string, inventory string, names []string, load time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), load)
	defer cancel()
	var writes atomic.Int64
	// The writer's values start above anything set before, so that
	// consistent can tell its writes apart.
	base := int64(1) << 32
	writerErr := make(chan error, 1)
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				writerErr <- nil
				return
			case <-tick.C:
			}
			if err := st.SetHostVar(context.Background(), names[i*31%len(names)], "checkin", base+int64(i)); err != nil {
				writerErr <- err
				return
			}
			writes.Add(1)
		}
	}()
	var times []time.Duration
	for ctx.Err() == nil {
		start := time.Now()
		cmd := exec.Command(inventory, "--list", "--no-cache")
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			msg := ""
			if ee, ok := err.(*exec.ExitError); ok {
				msg = strings.TrimSpace(string(ee.Stderr))
			}
			return fmt.Errorf("--list under load, after %d good runs: %v: %s", len(times), err, msg)
		}
		times = append(times, time.Since(start))
		inv, err := ansible.ParseJSON("list", out, ansible.ReadOptions{Rules: ansible.Rules214})
		if err != nil {
			return fmt.Errorf("--list under load printed bad JSON: %v", err)
		}
		if len(inv.Hosts) != len(names) {
			return fmt.Errorf("--list under load: %d hosts, want %d", len(inv.Hosts), len(names))
		}
		if err := consistent(inv, names, base); err != nil {
			return fmt.Errorf("--list under load: %v", err)
		}
	}
	if err := <-writerErr; err != nil {
		return fmt.Errorf("writer: %v", err)
	}
	f.listLoad, f.listLoadMax = median(times), slices.Max(times)
	f.loadRuns, f.loadWrites = len(times), int(writes.Load())
	return nil
}

// consistent checks that an answer shows a prefix of the writer's writes:
// write i sets checkin = base+i on host names[i*31%n], one at a time, so
// in any state ZooKeeper was in, if write k shows then every earlier write
// to each host shows too (or a later one). A reader that mixed buckets of
// two versions would show a write without an earlier one.
func consistent(inv *kook.Inventory, names []string, base int64) error {
	last := int64(-1)
	for _, h := range inv.Hosts {
		if v, ok := h.Vars["checkin"].(int64); ok && v >= base && v-base > last {
			last = v - base
		}
	}
	for i := int64(0); i <= last; i++ {
		h := inv.Hosts[names[int(i)*31%len(names)]]
		v, _ := h.Vars["checkin"].(int64)
		if v < base+i {
			return fmt.Errorf("a mixed answer: write %d shows but host %s lacks write %d (has %d)", last, h.Name, i, v-base)
		}
	}
	return nil
}

// bigGroup puts every host into one group and reads the inventory back.
func bigGroup(ctx context.Context, st *store.Store, names []string) string {
	start := time.Now()
	_, err := st.Update(ctx, func(inv *kook.Inventory) error {
		for _, h := range names {
			inv.AddMember("everyone", h)
		}
		inv.Reconcile()
		return nil
	}, store.WriteOptions{})
	if err != nil {
		return "FAILED: " + err.Error()
	}
	inv, _, err := st.Load(ctx)
	if err != nil {
		return "FAILED: " + err.Error()
	}
	if g := inv.Groups["everyone"]; g == nil || len(g.Hosts) != len(names) {
		return "FAILED: group incomplete"
	}
	return "ok (" + ms(time.Since(start)) + ")"
}

func writeInventory(path string, inv *kook.Inventory) error {
	var buf bytes.Buffer
	if err := ansible.WriteJSON(&buf, inv); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// lastCPU is the user+sys time of the last command timeCmd or timeList ran:
// on a machine shared with other work, wall time is disturbed while CPU
// time mostly is not, so the table shows both.
var lastCPU time.Duration

// benchEnv is this process's environment without the KOOK_ settings it
// inherited (make exports the demo's KOOK_ZK and KOOK_ROOT), plus extra:
// each figure names its own server, root and config, and an inherited
// KOOK_ZK would outrank a config file's servers.
func benchEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KOOK_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

func cpuOf(ps *os.ProcessState) time.Duration { return ps.UserTime() + ps.SystemTime() }

func timeCmd(env []string, name string, args ...string) (time.Duration, string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = nil, &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if cmd.ProcessState != nil {
		lastCPU = cpuOf(cmd.ProcessState)
	}
	if err != nil {
		return d, stderr.String(), fmt.Errorf("%s %v: %v\n%s", filepath.Base(name), args, err, stderr.String())
	}
	return d, stderr.String(), nil
}

func timeList(env []string, name string, args ...string) (time.Duration, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if cmd.ProcessState != nil {
		lastCPU = cpuOf(cmd.ProcessState)
	}
	if err != nil || stderr.Len() > 0 {
		return d, fmt.Errorf("%s %v: %v %s", filepath.Base(name), args, err, stderr.String())
	}
	return d, nil
}

// peakRSSFlag makes the bench binary run one command and print its peak
// RSS (see peakRSS).
const peakRSSFlag = "-peak-rss-of"

// peakRSS returns the peak resident memory of one run of name, in MB.
//
// The rusage of a command this process starts overstates it: Go starts
// children with CLONE_VM, and Linux charges the parent's resident memory
// at exec to the child's ru_maxrss, so a bench holding a 100,000-host
// fleet made /bin/true peak at 400 MB. A fresh copy of this binary, which
// holds nothing, starts the command instead and reports what it used.
func peakRSS(env []string, name string, args ...string) (float64, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(self, append([]string{peakRSSFlag, name}, args...)...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("%s %v: %v %s", filepath.Base(name), args, err, stderr.String())
	}
	kb, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	return kb / 1024, err
}

// reportPeakRSS is the child side of peakRSS: it runs args, reading its
// output through a pipe as Ansible does, and prints its ru_maxrss in KB.
func reportPeakRSS(args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)
	return 0
}

func bucketsWritten(summary string) string {
	i := strings.Index(summary, "wrote ")
	if i < 0 {
		return "?"
	}
	rest := summary[i+len("wrote "):]
	if j := strings.Index(rest, " bucket"); j >= 0 {
		return rest[:j]
	}
	return "?"
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string {
	if d >= 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

func humanInt(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func zkVersion(addr string) string {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "?"
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	c.Write([]byte("srvr"))
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Zookeeper version: "); ok {
			if i := strings.IndexAny(v, "-,"); i > 0 {
				v = v[:i]
			}
			return v
		}
	}
	return "?"
}

// bucketStats describes the layout the fleet was stored in: how many
// bucket znodes and how large they are on average.
func bucketStats(addr, root string) string {
	conn, _, err := zk.Connect([]string{addr}, 10*time.Second, zk.WithLogInfo(false), zk.WithLogger(quiet{}))
	if err != nil {
		return err.Error()
	}
	defer conn.Close()
	data, _, err := conn.Get(root + "/meta")
	if err != nil {
		return err.Error()
	}
	var m struct {
		Current string `json:"current"`
		Hosts   int    `json:"host_buckets"`
		Groups  int    `json:"group_buckets"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return err.Error()
	}
	total, count := 0, 0
	for _, kind := range []string{"h", "g"} {
		dir := root + "/" + m.Current + "/" + kind
		kids, _, err := conn.Children(dir)
		if err != nil {
			return err.Error()
		}
		for _, k := range kids {
			_, st, err := conn.Exists(dir + "/" + k)
			if err != nil {
				return err.Error()
			}
			total += int(st.DataLength)
			count++
		}
	}
	return fmt.Sprintf("%d + %d, %.1f KiB", m.Hosts, m.Groups, float64(total)/float64(max(count, 1))/1024)
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}

// warmUp gives a fresh server's JIT the work it will be measured on, so
// that the figures are those of a server that has been running for a
// while, as operators' servers have.
func warmUp(work, addr string) error {
	fmt.Fprintln(os.Stderr, "warming up the server")
	src := filepath.Join(work, "warmup.json")
	inv := fleet.Generate(10000, 7)
	env := benchEnv("KOOK_ZK="+addr, "KOOK_ROOT=/bench-warmup", "XDG_CACHE_HOME="+filepath.Join(work, "cache"))
	for i := 0; i < 3; i++ {
		inv.Hosts[inv.HostNames()[i]].Vars["warm"] = int64(i)
		if err := writeInventory(src, inv); err != nil {
			return err
		}
		if _, _, err := timeCmd(env, filepath.Join(work, "kook-import"), "--prune", src); err != nil {
			return err
		}
	}
	for i := 0; i < 20; i++ {
		if _, _, err := timeCmd(env, filepath.Join(work, "kook-inventory"), "--list", "--no-cache"); err != nil {
			return err
		}
	}
	return nil
}
