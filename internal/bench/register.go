package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kook-project/kook/internal/fleet"
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
	cfg := store.Config{Servers: []string{addr}, Root: root, Timeout: 30 * time.Second, MaxBuffer: 512 << 10}
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
	fmt.Fprintln(os.Stderr, bucketStats(addr, root))
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
			err := st.AddMember(ctx, fmt.Sprintf("booted%d", i%4), host)
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
