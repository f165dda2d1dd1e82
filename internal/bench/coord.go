package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/kook-project/kook/internal/fleet"
	"github.com/kook-project/kook/pkg/kook/coord"
	"github.com/kook-project/kook/pkg/kook/store"
)

// coordFigures are the figures of coordination (kook lock, watch, and the
// state shown by --list).
type coordFigures struct {
	lockFresh                               time.Duration
	handOver                                time.Duration
	watchMedian, watchP99                   time.Duration
	watchEvents, watchWrites                int
	listBefore, listAfter, listEnd          time.Duration
	listBeforeCPU, listAfterCPU, listEndCPU time.Duration
}

// measureCoord measures coordination on a fleet of n hosts.
func measureCoord(work, addr string, n, runs int) (coordFigures, error) {
	var f coordFigures
	root := "/bench-coord"
	env := benchEnv("KOOK_ZK="+addr, "KOOK_ROOT="+root, "XDG_CACHE_HOME="+filepath.Join(work, "cache-coord"))
	kookBin := filepath.Join(work, "kook")
	inventory := filepath.Join(work, "kook-inventory")
	inv := fleet.Generate(n, 43)
	src := filepath.Join(work, "fleet-coord.json")
	if err := writeInventory(src, inv); err != nil {
		return f, err
	}
	fmt.Fprintf(os.Stderr, "coordination: import %d hosts\n", n)
	if _, _, err := timeCmd(env, filepath.Join(work, "kook-import"), "--prune", src); err != nil {
		return f, err
	}
	names := inv.HostNames()

	// unchanged times --list, nothing changed: one run to fill the cache,
	// then runs of them.
	unchanged := func() (wall, cpu time.Duration, err error) {
		if _, err := timeList(env, inventory, "--list"); err != nil {
			return 0, 0, err
		}
		var ds, cpus []time.Duration
		for r := 0; r < runs; r++ {
			d, err := timeList(env, inventory, "--list")
			if err != nil {
				return 0, 0, err
			}
			ds, cpus = append(ds, d), append(cpus, lastCPU)
		}
		return median(ds), median(cpus), nil
	}
	// --list, nothing changed, before any coordination.
	var err error
	if f.listBefore, f.listBeforeCPU, err = unchanged(); err != nil {
		return f, err
	}
	var ds []time.Duration

	// kook lock H -- true, a fresh process each time, the lock free.
	fmt.Fprintln(os.Stderr, "coordination: kook lock H -- true")
	ds = ds[:0]
	for r := 0; r < runs; r++ {
		d, _, err := timeCmd(env, kookBin, "lock", names[r%len(names)], "--", "true")
		if err != nil {
			return f, err
		}
		ds = append(ds, d)
	}
	f.lockFresh = median(ds)

	// Hand-over: the holder's command writes the time as its last act,
	// the waiter's as its first.
	fmt.Fprintln(os.Stderr, "coordination: lock hand-over")
	ds = ds[:0]
	stamp := func(p string) string { return `date +%s.%N > ` + p }
	for r := 0; r < runs; r++ {
		end, start := filepath.Join(work, "end"), filepath.Join(work, "start")
		holder := exec.Command(kookBin, "lock", names[0], "--", "sh", "-c", "sleep 0.3; "+stamp(end))
		holder.Env = env
		if err := holder.Start(); err != nil {
			return f, err
		}
		time.Sleep(150 * time.Millisecond) // the holder has the lock
		waiter := exec.Command(kookBin, "lock", names[0], "--wait", "10s", "--", "sh", "-c", stamp(start))
		waiter.Env = env
		if err := waiter.Run(); err != nil {
			return f, fmt.Errorf("hand-over waiter: %v", err)
		}
		if err := holder.Wait(); err != nil {
			return f, fmt.Errorf("hand-over holder: %v", err)
		}
		a, err1 := readStampFile(end)
		b, err2 := readStampFile(start)
		if err1 != nil || err2 != nil {
			return f, fmt.Errorf("hand-over stamps: %v %v", err1, err2)
		}
		ds = append(ds, b.Sub(a))
	}
	f.handOver = median(ds)

	// 1,000 hosts locked and 1,000 alive, held by another process: this
	// one, holding 2,000 watches and their goroutines while it times
	// --list, made the figure its own (14 against 7 ms by hand).
	fmt.Fprintln(os.Stderr, "coordination: --list with 1,000 locked and 1,000 alive")
	hostsFile := filepath.Join(work, "coord-state-hosts")
	if err := os.WriteFile(hostsFile, []byte(strings.Join(names[:2000], "\n")), 0o644); err != nil {
		return f, err
	}
	stopHolder, err := startStateHolder(addr, root, hostsFile)
	if err != nil {
		return f, err
	}
	defer stopHolder()
	if f.listAfter, f.listAfterCPU, err = unchanged(); err != nil {
		return f, err
	}
	if err := stopHolder(); err != nil {
		return f, err
	}
	// Once more with nothing held: the server has meanwhile served the
	// figures above, so this tells what is the state's and what is the
	// server's.
	if f.listEnd, f.listEndCPU, err = unchanged(); err != nil {
		return f, err
	}

	return f, measureWatch(&f, work, addr, env, kookBin)
}

// measureWatch runs kook watch --json on a small inventory while this
// process sets a host var 100 times a second for 5 s, and takes, for each
// write, the time from its commit (the call returned) to the line.
func measureWatch(f *coordFigures, work, addr string, env []string, kookBin string) error {
	fmt.Fprintln(os.Stderr, "coordination: kook watch under 100 writes/s")
	root := "/bench-watch"
	env = append(env, "KOOK_ROOT="+root)
	inv := fleet.Generate(1000, 44)
	src := filepath.Join(work, "fleet-watch.json")
	if err := writeInventory(src, inv); err != nil {
		return err
	}
	if _, _, err := timeCmd(env, filepath.Join(work, "kook-import"), "--prune", src); err != nil {
		return err
	}
	names := inv.HostNames()
	w := exec.Command(kookBin, "watch", "--json")
	w.Env = env
	out, err := w.StdoutPipe()
	if err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return err
	}
	defer func() { w.Process.Kill(); w.Wait() }()
	var mu sync.Mutex
	seen := map[int64]time.Time{}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			at := time.Now()
			var e coord.Event
			if json.Unmarshal(sc.Bytes(), &e) != nil || e.Var != "bench_seq" {
				continue
			}
			if v, ok := e.New.(float64); ok {
				mu.Lock()
				seen[int64(v)] = at
				mu.Unlock()
			}
		}
	}()
	st, err := store.Open(context.Background(), store.Config{Servers: []string{addr}, Root: root})
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	// The watch is up once it reports a first write.
	for i := int64(-1); ; i-- {
		if err := st.SetHostVar(ctx, names[0], "bench_seq", i); err != nil {
			return err
		}
		time.Sleep(100 * time.Millisecond)
		mu.Lock()
		_, ok := seen[i]
		mu.Unlock()
		if ok {
			break
		}
		if i < -100 {
			return fmt.Errorf("kook watch reported nothing in 10 s")
		}
	}
	committed := map[int64]time.Time{}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for i := int64(1); i <= 500; i++ {
		<-tick.C
		if err := st.SetHostVar(ctx, names[int(i)%len(names)], "bench_seq", i); err != nil {
			return err
		}
		committed[i] = time.Now()
	}
	time.Sleep(time.Second)
	mu.Lock()
	defer mu.Unlock()
	var lat []time.Duration
	for i, at := range committed {
		if got, ok := seen[i]; ok {
			lat = append(lat, max(got.Sub(at), 0))
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	f.watchWrites, f.watchEvents = len(committed), len(lat)
	if len(lat) > 0 {
		f.watchMedian = lat[len(lat)/2]
		f.watchP99 = lat[len(lat)*99/100]
	}
	return nil
}

func readStampFile(p string) (time.Time, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return time.Time{}, err
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, int64(v*1e9)), nil
}

// printCoord writes the coordination table.
func printCoord(f coordFigures, n int) error {
	fmt.Printf("\ncoordination (%s hosts)\n\n", humanInt(n))
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "figure\tmeasured\tgoal\t")
	fmt.Fprintf(w, "kook lock H -- true, fresh process, lock free (median)\t%s\t15 ms\t\n", ms(f.lockFresh))
	fmt.Fprintf(w, "lock hand-over: holder's command ends -> next one's starts (median)\t%s\t20 ms\t\n", ms(f.handOver))
	fmt.Fprintf(w, "kook watch: write committed -> event line, 100 writes/s (median)\t%s\t50 ms\t\n", ms(f.watchMedian))
	fmt.Fprintf(w, "  the same, 99th percentile\t%s\t200 ms\t\n", ms(f.watchP99))
	fmt.Fprintf(w, "  writes reported one by one / writes (the rest folded into the next event)\t%d / %d\t\t\n", f.watchEvents, f.watchWrites)
	fmt.Fprintf(w, "--list nothing changed, no coordination (median)\t%s\t\t\n", ms(f.listBefore))
	fmt.Fprintf(w, "  with 1,000 hosts locked and 1,000 alive (median)\t%s\tno slower\t\n", ms(f.listAfter))
	fmt.Fprintf(w, "  then with nothing held (median)\t%s\t\t\n", ms(f.listEnd))
	fmt.Fprintf(w, "  CPU time user+sys, before / with / after\t%s / %s / %s\t\t\n", ms(f.listBeforeCPU), ms(f.listAfterCPU), ms(f.listEndCPU))
	return w.Flush()
}

// holdStateFlag makes the bench binary hold the state of the --list row
// with coordination (see startStateHolder).
const holdStateFlag = "-hold-state-of"

// startStateHolder starts a copy of this binary that locks the first
// 1,000 hosts named in hostsFile and keeps the next 1,000 alive, and
// returns once all of it shows; the returned function ends the holder
// (closing its stdin) and reports how it ended. It may be called twice.
func startStateHolder(addr, root, hostsFile string) (func() error, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, holdStateFlag, addr, root, hostsFile)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	var once sync.Once
	var waitErr error
	stop := func() error {
		once.Do(func() { in.Close(); waitErr = cmd.Wait() })
		return waitErr
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		stop()
		return nil, fmt.Errorf("state holder: %q, %v", line, err)
	}
	return stop, nil
}

// holdState is the holder's side of startStateHolder: args are the
// server, the root and the hosts file. It answers "ready" once the
// locks are held and every liveness node shows, and lets go at EOF on
// stdin.
func holdState(args []string) int {
	if len(args) != 3 {
		fmt.Fprintln(os.Stderr, "bench: want SERVER ROOT HOSTSFILE")
		return 2
	}
	addr, root := args[0], args[1]
	data, err := os.ReadFile(args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	names := strings.Split(string(data), "\n")
	if len(names) != 2000 {
		fmt.Fprintf(os.Stderr, "bench: want 2,000 hosts, got %d\n", len(names))
		return 1
	}
	st, err := store.Open(context.Background(), store.Config{Servers: []string{addr}, Root: root})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	defer st.Close()
	c := coord.New(st.Conn(), root, nil)
	ctx, cancel := context.WithCancel(context.Background())
	l, err := c.Lock(ctx, names[:1000], c.NewHolder("bench"), 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: lock:", err)
		cancel()
		return 1
	}
	var wg sync.WaitGroup
	for _, h := range names[1000:] {
		wg.Add(1)
		go func() { defer wg.Done(); c.HoldAlive(ctx, h, c.NewHolder("bench"), time.Minute, nil) }()
	}
	code := 0
	deadline := time.Now().Add(time.Minute)
	for {
		s, err := c.ReadState(ctx)
		if err != nil || time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "bench: liveness nodes not all shown:", err)
			code = 1
			break
		}
		if len(s.Alive) == len(names)-1000 {
			fmt.Println("ready")
			io.Copy(io.Discard, os.Stdin)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	l.Release()
	return code
}
