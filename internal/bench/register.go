package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kook-project/kook/internal/fleet"
	"github.com/kook-project/kook/pkg/kook"
	"github.com/kook-project/kook/pkg/kook/store"
)

// registerFigures are those of many hosts registering at once.
type registerFigures struct {
	hosts, into  int
	took         time.Duration
	failed, lost int
	retries      int64
	firstErr     string
}

// registerStorm writes a fleet of `into` hosts under root, then opens n
// sessions (one per goroutine, as n booting hosts would) and has each
// register one new host into one of a few groups at once. It checks that
// every registration is in the inventory afterwards.
func registerStorm(addr, root string, n, into int) (registerFigures, error) {
	f := registerFigures{hosts: n, into: into}
	ctx := context.Background()
	cfg := store.Config{Servers: []string{addr}, Root: root, Timeout: 30 * time.Second, MaxBuffer: 256 << 10}
	bcfg := cfg
	bcfg.MaxBuffer = 0 // its first write is large
	base, err := store.Open(ctx, bcfg)
	if err != nil {
		return f, err
	}
	defer base.Close()
	if _, err := base.Replace(ctx, fleet.Generate(into, 11), store.WriteOptions{}); err != nil {
		return f, err
	}
	stores := make([]*store.Store, n)
	var wg sync.WaitGroup
	var openErr atomic.Value
	sem := make(chan struct{}, 50)
	for i := range stores {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			st, err := store.Open(ctx, cfg)
			if err != nil {
				openErr.Store(err)
				return
			}
			stores[i] = st
		}()
	}
	wg.Wait()
	defer func() {
		for _, st := range stores {
			if st != nil {
				st.Close()
			}
		}
	}()
	if err, ok := openErr.Load().(error); ok {
		return f, fmt.Errorf("open %d sessions: %w", n, err)
	}
	var failed atomic.Int64
	var mu sync.Mutex
	start := make(chan struct{})
	t0 := time.Now()
	for i, st := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			host := fmt.Sprintf("boot%05d.example.com", i)
			_, err := st.Register(ctx, store.Registration{Host: host, Groups: []string{fmt.Sprintf("booted%d", i%4)}, Vars: kook.Vars{"boot": int64(i)}})
			if err != nil {
				failed.Add(1)
				mu.Lock()
				if f.firstErr == "" {
					f.firstErr = err.Error()
				}
				mu.Unlock()
			}
		}()
	}
	t0 = time.Now()
	close(start)
	wg.Wait()
	f.took = time.Since(t0)
	f.failed = int(failed.Load())
	for _, st := range stores {
		f.retries += st.Retries()
	}
	inv, _, err := base.Load(ctx)
	if err != nil {
		return f, err
	}
	for i := range stores {
		h := fmt.Sprintf("boot%05d.example.com", i)
		if inv.Hosts[h] == nil || !inv.Groups[fmt.Sprintf("booted%d", i%4)].HasHost(h) {
			f.lost++
		}
	}
	return f, nil
}

func (f registerFigures) String() string {
	s := fmt.Sprintf("%d registrations into %d hosts: %v, %d failed, %d lost, %.2f retries per write",
		f.hosts, f.into, f.took.Round(time.Millisecond), f.failed, f.lost-f.failed, float64(f.retries)/float64(f.hosts))
	if f.firstErr != "" {
		s += " (first error: " + f.firstErr + ")"
	}
	return s
}

// registerProcs runs n `kook register` processes at once, each registering
// one host into one of a few groups, and checks that every one is in the
// inventory afterwards. It returns how many failed and how many are
// missing, and how long the whole took.
func registerProcs(work, addr, root string, n int) (took time.Duration, failed, lost int, err error) {
	env := benchEnv("KOOK_ZK="+addr, "KOOK_ROOT="+root, "XDG_CACHE_HOME="+filepath.Join(work, "cache"))
	var wg sync.WaitGroup
	var nfailed atomic.Int64
	t0 := time.Now()
	for i := range n {
		wg.Go(func() {
			cmd := exec.Command(filepath.Join(work, "kook"), "register", fmt.Sprintf("proc%03d.example.com", i), "--group", fmt.Sprintf("procs%d", i%4), "boot=1")
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil {
				if nfailed.Add(1) == 1 {
					fmt.Fprintf(os.Stderr, "kook register: %v: %s", err, out)
				}
			}
		})
	}
	wg.Wait()
	took = time.Since(t0)
	st, err := store.Open(context.Background(), store.Config{Servers: []string{addr}, Root: root})
	if err != nil {
		return took, 0, 0, err
	}
	defer st.Close()
	inv, _, err := st.Load(context.Background())
	if err != nil {
		return took, 0, 0, err
	}
	for i := range n {
		h := fmt.Sprintf("proc%03d.example.com", i)
		if g := inv.Groups[fmt.Sprintf("procs%d", i%4)]; g == nil || !g.HasHost(h) {
			lost++
		}
	}
	return took, int(nfailed.Load()), lost, nil
}

// logCost measures one host var write through the Go API into root with
// the change log on and off (medians of runs writes each, interleaved so
// that the machine's load hits both alike).
func logCost(addr, root string, runs int) (on, off time.Duration, err error) {
	ctx := context.Background()
	open := func(noLog bool) (*store.Store, error) {
		return store.Open(ctx, store.Config{Servers: []string{addr}, Root: root, NoChangeLog: noLog,
			Actor: store.Actor{Program: "bench", Args: []string{"host", "set", "x", "k=***"}}})
	}
	withLog, err := open(false)
	if err != nil {
		return 0, 0, err
	}
	defer withLog.Close()
	without, err := open(true)
	if err != nil {
		return 0, 0, err
	}
	defer without.Close()
	inv, _, err := withLog.Load(ctx)
	if err != nil {
		return 0, 0, err
	}
	hosts := inv.HostNames()
	var dOn, dOff []time.Duration
	for i := range runs {
		for j, st := range []*store.Store{withLog, without} {
			t0 := time.Now()
			// A value of its own each time: an unchanged value writes nothing.
			if err := st.SetHostVar(ctx, hosts[i%len(hosts)], "bench_log", int64(2*i+j)); err != nil {
				return 0, 0, err
			}
			d := time.Since(t0)
			if st == withLog {
				dOn = append(dOn, d)
			} else {
				dOff = append(dOff, d)
			}
		}
	}
	slices.Sort(dOn)
	slices.Sort(dOff)
	return dOn[len(dOn)/2], dOff[len(dOff)/2], nil
}
