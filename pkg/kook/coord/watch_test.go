package coord

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/pkg/kook"
	"github.com/kook-project/kook/pkg/kook/store"
)

// gatedWatch runs a Watcher on c whose emit hands each event over and
// then waits for release: while the test holds an event, the watcher
// reads nothing, so what happens meanwhile falls between two reads.
type gatedWatch struct {
	events  chan Event
	release chan struct{}
}

func startGatedWatch(t *testing.T, c *Client) *gatedWatch {
	t.Helper()
	g := &gatedWatch{events: make(chan Event), release: make(chan struct{})}
	never := make(chan zk.Event)
	w := &Watcher{
		C:            c,
		WatchVersion: func(context.Context) (string, <-chan zk.Event, error) { return "v", never, nil },
		Load:         func(context.Context) (*kook.Inventory, string, error) { return kook.New(), "v", nil },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- w.Run(ctx, func(e Event) error {
			select {
			case g.events <- e:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case <-g.release:
			case <-ctx.Done():
				return ctx.Err()
			}
			return nil
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return g
}

// next returns the next event, holding the watcher until release.
func (g *gatedWatch) next(t *testing.T) Event {
	t.Helper()
	select {
	case e := <-g.events:
		return e
	case <-time.After(30 * time.Second):
		t.Fatal("no event within 30s")
		return Event{}
	}
}

func (g *gatedWatch) nextReleased(t *testing.T) Event {
	t.Helper()
	e := g.next(t)
	g.release <- struct{}{}
	return e
}

func eventWords(e Event) string {
	s := e.Event + " " + e.Host
	if e.Holder != nil {
		s += " " + e.Holder.Reason
	}
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	return s
}

// TestWatchLocksBetweenReads: locks taken and released while the watcher
// reads nothing are reported, taken then released, each once, in the
// order they were taken; a contender that gave up, never holding, is
// not; a forced unlock says so.
func TestWatchLocksBetweenReads(t *testing.T) {
	w, b := pair(t)
	c := New(connect(t), w.root, nil)
	ctx := context.Background()
	if err := b.Prepare(); err != nil {
		t.Fatal(err)
	}
	g := startGatedWatch(t, w)
	// The first event proves the watcher has read; it is held while the
	// locks come and go.
	waitStarted(t, g, b)
	if err := b.MaintOn(ctx, []string{"m"}, Maint{Owner: "o", Reason: "gate", Since: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if e := g.next(t); eventWords(e) != "maint_on m" {
		t.Fatalf("got %q, want maint_on m", eventWords(e))
	}
	lockRelease := func(cl *Client, host, reason string) {
		t.Helper()
		l, err := cl.Lock(ctx, []string{host}, cl.NewHolder(reason), 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Release(); err != nil {
			t.Fatal(err)
		}
	}
	lockRelease(b, "w1", "first")
	lockRelease(c, "w1", "second")
	lockRelease(b, "w2", "")
	held, err := b.Lock(ctx, []string{"w4"}, b.NewHolder("kept"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := c.TryLock(ctx, "w4", c.NewHolder("gave up")); ok || err != nil {
		t.Fatalf("TryLock of a held lock: ok %v, %v", ok, err)
	}
	stuck, err := b.Lock(ctx, []string{"w3"}, b.NewHolder("stuck"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ForceUnlock(ctx, "w3"); err != nil {
		t.Fatal(err)
	}
	if err := stuck.Release(); err != nil { // already gone: no record
		t.Fatal(err)
	}
	g.release <- struct{}{}

	want := []string{"lock_taken w1 first", "lock_released w1 first", "lock_taken w1 second", "lock_released w1 second",
		"lock_taken w2 ", "lock_released w2 ", "lock_taken w3 stuck", "lock_released w3 stuck (forced)", "lock_taken w4 kept"}
	var got []string
	for range want {
		got = append(got, eventWords(g.nextReleased(t)))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Nothing more: the next event is the next change.
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}
	if e := g.nextReleased(t); eventWords(e) != "lock_released w4 kept" {
		t.Fatalf("after the expected events: %q, want lock_released w4 kept", eventWords(e))
	}
	if _, err := b.MaintOff(ctx, []string{"m"}); err != nil {
		t.Fatal(err)
	}
	if e := g.nextReleased(t); eventWords(e) != "maint_off m" {
		t.Fatalf("got %q, want maint_off m", eventWords(e))
	}
}

// waitStarted makes sure the watcher has read the state once: it reports
// a maintenance record made after its first read. Records of probe hosts
// are made until one is reported (the pause between them only paces the
// probes).
func waitStarted(t *testing.T, g *gatedWatch, b *Client) {
	t.Helper()
	ctx := context.Background()
	var probes []string
	for i := 0; i < 100; i++ {
		probes = append(probes, fmt.Sprintf("probe%03d", i)) // name order is creation order
		if err := b.MaintOn(ctx, probes[i:], Maint{Owner: "o", Reason: "probe", Since: time.Now()}); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-g.events:
			g.release <- struct{}{}
			// The probes after the one reported are reported too.
			k := slices.Index(probes, e.Host)
			if e.Event != "maint_on" || k < 0 {
				t.Fatalf("first event %q, want maint_on of a probe", eventWords(e))
			}
			// The probes after the one reported are reported too; the
			// probes stay (removing them would report those the first
			// read found).
			for range probes[k+1:] {
				g.nextReleased(t)
			}
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Fatal("the watcher reported none of 100 probes")
}

// TestWatchMaintExpires: a maintenance whose until passes is reported
// when it passes, by the watcher's own timer (nothing else changes),
// once: the record's removal later reports nothing more.
func TestWatchMaintExpires(t *testing.T) {
	w, b := pair(t)
	ctx := context.Background()
	if err := b.Prepare(); err != nil {
		t.Fatal(err)
	}
	g := startGatedWatch(t, w)
	waitStarted(t, g, b)
	until := time.Now().Add(3 * time.Second)
	if err := b.MaintOn(ctx, []string{"h1"}, Maint{Owner: "o", Reason: "short", Since: time.Now(), Until: &until}); err != nil {
		t.Fatal(err)
	}
	if e := g.nextReleased(t); eventWords(e) != "maint_on h1" {
		t.Fatalf("got %q, want maint_on h1", eventWords(e))
	}
	e := g.nextReleased(t)
	if eventWords(e) != "maint_off h1 (expired)" || e.Maintenance == nil || e.Maintenance.Reason != "short" {
		t.Fatalf("got %q (%+v), want maint_off h1 (expired) with its record", eventWords(e), e.Maintenance)
	}
	if e.Time.Before(until) {
		t.Fatalf("maint_off reported at %v, before the until %v", e.Time, until)
	}
	if _, err := b.MaintOff(ctx, []string{"h1"}); err != nil {
		t.Fatal(err)
	}
	l, err := b.Lock(ctx, []string{"h2"}, b.NewHolder("after"), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if e := g.nextReleased(t); eventWords(e) != "lock_taken h2 after" {
		t.Fatalf("after maint off of an expired record: %q, want the next change (lock_taken h2)", eventWords(e))
	}
}

// TestLockLogTrimmed: trimming keeps the newest logKeep records and
// deletes the older ones.
func TestLockLogTrimmed(t *testing.T) {
	a, _ := pair(t)
	if err := a.Prepare(); err != nil {
		t.Fatal(err)
	}
	parent := a.path(store.LockLogNode)
	var wg sync.WaitGroup
	for range logKeep + 40 {
		wg.Go(func() {
			if _, err := a.conn.Create(parent+"/"+logRecordPrefix, []byte(`{"host":"h"}`), zk.FlagSequence, a.acl); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	a.trimLog()
	kids, _, err := a.conn.Children(parent)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(kids)
	if len(kids) != logKeep || kids[0] != fmt.Sprintf("%s%010d", logRecordPrefix, 40) {
		t.Fatalf("after trimming: %d records from %s, want %d from number 40", len(kids), kids[0], logKeep)
	}
}
