package coord

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/pkg/kook/store"
)

// RollOptions say what Roll runs where.
type RollOptions struct {
	// Hosts in the order to start them.
	Hosts []string
	// Group, when set, keys the semaphore shared with every other roll
	// over the same group; a roll over a list of hosts has only its own
	// bound.
	Group string
	// Max hosts at a time (at least 1).
	Max int
	// MaxFail: no host is started once this many have failed.
	MaxFail int
	// Argv is the command; "{host}" in it is replaced by the host, and
	// KOOK_HOST is set in its environment.
	Argv           []string
	Holder         Holder
	Stdout, Stderr io.Writer
	// Progress, when set, is called after each change of a host's state.
	Progress func(running, done, failed, total int)
	// Stop, when it delivers a signal, stops starting hosts and passes
	// the signal to the commands running.
	Stop <-chan os.Signal
}

// HostResult is what happened on one host.
type HostResult struct {
	Host       string
	Ran        bool
	Code       int   // the command's exit status
	Err        error // why it did not run or did not finish
	Start, End time.Time
}

// Failed reports whether the host counts as failed.
func (r HostResult) Failed() bool { return r.Ran && (r.Code != 0 || r.Err != nil) }

// ErrRollStopped is wrapped by Roll's error when it stopped starting hosts.
var ErrRollStopped = errors.New("roll stopped")

// Roll runs o.Argv once per host, at most o.Max at a time across every
// roll over o.Group, each host locked while its command runs (a host
// locked by someone else is left for later while the roll goes on with
// the others), every command fenced by g as kook lock's is. It stops
// starting hosts after o.MaxFail failures, when the session is lost or
// when ctx ends, and returns every host's result in o.Hosts' order.
func (c *Client) Roll(ctx context.Context, g *Guard, o RollOptions) ([]HostResult, error) {
	if o.Max < 1 {
		return nil, errors.New("--max-unavailable must be at least 1")
	}
	var sem *Sem
	if o.Group != "" {
		var err error
		if sem, err = c.JoinSem(ctx, o.Group, o.Max, o.Holder); err != nil {
			return nil, err
		}
		defer sem.Leave()
	}
	r := &roll{c: c, g: g, o: o, sem: sem, results: make([]HostResult, len(o.Hosts)),
		pending: make([]int, len(o.Hosts)), procs: map[chan os.Signal]bool{}}
	for i, h := range o.Hosts {
		r.pending[i] = i
		r.results[i].Host = h
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.cancel = cancel
	go func() {
		for {
			select {
			case <-g.Lost():
				r.stop(g.Err())
				return
			case sig := <-o.Stop:
				// Nothing new starts; the running commands get the signal.
				r.stop(fmt.Errorf("interrupted by %v", sig))
				r.mu.Lock()
				for ch := range r.procs {
					select {
					case ch <- sig:
					default:
					}
				}
				r.mu.Unlock()
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < o.Max && w < len(o.Hosts); w++ {
		wg.Add(1)
		go func() { defer wg.Done(); r.worker(ctx) }()
	}
	wg.Wait()
	for i := range r.results {
		if !r.results[i].Ran && r.results[i].Err == nil {
			r.results[i].Err = errors.New("not started")
		}
	}
	if r.why != nil {
		return r.results, fmt.Errorf("%w: %w", ErrRollStopped, r.why)
	}
	return r.results, nil
}

type roll struct {
	c      *Client
	g      *Guard
	o      RollOptions
	sem    *Sem
	cancel context.CancelFunc

	mu                    sync.Mutex
	results               []HostResult
	pending               []int                   // indexes of hosts not started, in order
	procs                 map[chan os.Signal]bool // of the commands running
	running, done, failed int
	why                   error // why the roll stopped starting hosts
}

func (r *roll) stop(why error) {
	r.mu.Lock()
	if r.why == nil {
		r.why = why
	}
	r.mu.Unlock()
	r.cancel()
}

func (r *roll) stopped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.why != nil || len(r.pending) == 0
}

func (r *roll) progress() {
	if r.o.Progress != nil {
		r.o.Progress(r.running, r.done, r.failed, len(r.o.Hosts))
	}
}

// transient reports whether err is a connection blip worth retrying: the
// session and what it holds survive it, and the guard stops everything if
// they do not.
func transient(err error) bool {
	return !errors.Is(err, errSwept) && (errors.Is(err, zk.ErrConnectionClosed) || errors.Is(err, zk.ErrNoServer))
}

func (r *roll) worker(ctx context.Context) {
	for !r.stopped() {
		var release func()
		if r.sem != nil {
			rel, err := r.sem.Acquire(ctx)
			if err != nil {
				if transient(err) {
					time.Sleep(100 * time.Millisecond)
					continue
				}
				if ctx.Err() == nil {
					r.stop(err)
				}
				return
			}
			release = rel
		}
		i, lock, err := r.pick(ctx)
		if err != nil && !transient(err) {
			if release != nil {
				release()
			}
			r.stop(err)
			return
		}
		if i < 0 {
			if release != nil {
				release()
			}
			return
		}
		if lock == nil {
			// Every host left is locked by someone else (or ZooKeeper
			// blinked): give the slot back and wait for a lock to go.
			if release != nil {
				release()
			}
			r.waitLocks(ctx)
			continue
		}
		r.run(i)
		lock.Release()
		if release != nil {
			release()
		}
	}
}

// pick takes the first pending host whose lock is free; lock is nil when
// none is.
func (r *roll) pick(ctx context.Context) (int, *Lock, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.why != nil || len(r.pending) == 0 {
		return -1, nil, nil
	}
	h := r.o.Holder
	h.Since = r.c.Now().UTC().Truncate(time.Second)
	for j, i := range r.pending {
		l, ok, err := r.c.TryLock(ctx, r.o.Hosts[i], h)
		if err != nil {
			return 0, nil, err
		}
		if ok {
			r.pending = append(r.pending[:j:j], r.pending[j+1:]...)
			r.running++
			r.results[i].Ran = true
			r.results[i].Start = time.Now()
			return i, l, nil
		}
	}
	return 0, nil, nil
}

// waitLocks waits until a lock is taken or released (a children watch on
// ROOT/locks), a second at most.
func (r *roll) waitLocks(ctx context.Context) {
	t := time.NewTimer(time.Second)
	defer t.Stop()
	_, _, ev, err := r.c.conn.ChildrenW(r.c.path(store.LocksNode))
	if err != nil {
		ev = nil
	}
	select {
	case <-ev:
	case <-t.C:
	case <-ctx.Done():
	}
}

func (r *roll) run(i int) {
	host := r.o.Hosts[i]
	r.mu.Lock()
	r.progress()
	r.mu.Unlock()
	argv := make([]string, len(r.o.Argv))
	for j, a := range r.o.Argv {
		argv[j] = strings.ReplaceAll(a, "{host}", host)
	}
	code := 0
	proc, err := StartCommand(argv, append(os.Environ(), "KOOK_HOST="+host), nil, r.o.Stdout, r.o.Stderr)
	if err == nil {
		sigs := make(chan os.Signal, 1)
		r.mu.Lock()
		r.procs[sigs] = true
		r.mu.Unlock()
		code, err = RunFenced(proc, r.g, sigs)
		r.mu.Lock()
		delete(r.procs, sigs)
		r.mu.Unlock()
	}
	r.mu.Lock()
	stopping := r.why != nil
	defer func() {
		if !stopping && r.why != nil {
			r.cancel() // no more waiting for slots or locks
		}
		r.mu.Unlock()
	}()
	res := &r.results[i]
	res.End, res.Code, res.Err = time.Now(), code, err
	r.running--
	r.done++
	if res.Failed() {
		r.failed++
		if r.failed >= r.o.MaxFail && r.why == nil {
			r.why = fmt.Errorf("%d host(s) failed (--max-fail %d)", r.failed, r.o.MaxFail)
		}
	}
	var fenced *FencedError
	if errors.As(err, &fenced) && r.why == nil {
		r.why = err
	}
	r.progress()
}
