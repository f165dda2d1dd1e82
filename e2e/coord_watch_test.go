package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/pkg/kook/coord"
)

// watchLines collects the JSON lines of a running kook watch.
type watchLines struct {
	mu     sync.Mutex
	lines  []coord.Event
	stderr syncBuffer
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (w *watchLines) count(pred func(coord.Event) bool) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, e := range w.lines {
		if pred(e) {
			n++
		}
	}
	return n
}

// startWatch runs kook watch --json in env until the test ends.
func startWatch(t *testing.T, env []string) *watchLines {
	t.Helper()
	w := &watchLines{}
	cmd := exec.Command(kookBin, "watch", "--json")
	cmd.Env = env
	cmd.Stderr = &w.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var e coord.Event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				e = coord.Event{Event: "unreadable: " + sc.Text()}
			}
			w.mu.Lock()
			w.lines = append(w.lines, e)
			w.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); <-done })
	return w
}

// watchAcrossFaults: kook watch reports every committed change exactly
// once while the leader is killed and the whole ensemble restarts.
func watchAcrossFaults(t *testing.T, e *zktest.Ensemble) {
	root := zktest.UniqueRoot(t)
	servers := strings.Join(e.Addrs(), ",")
	env := coordEnv(t, servers, root)
	var inv strings.Builder
	inv.WriteString("[web]\n")
	const n = 30
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&inv, "h%02d\n", i)
	}
	mustImport(t, env, writeTemp(t, "inv.ini", []byte(inv.String())))
	w := startWatch(t, env)

	st := openFaultStore(t, e.Addrs(), root, 5*time.Second, 20*time.Second)
	c := coord.New(st.Conn(), root, nil)
	ctx := context.Background()
	since := time.Now().UTC().Truncate(time.Second)
	// commit retries a change until it is known to be committed: a retry
	// of a change already applied changes nothing.
	commit := func(what string, f func() error) {
		deadline := time.Now().Add(90 * time.Second)
		for {
			err := f()
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %v", what, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	maintOn := func(h string) {
		commit("maint on "+h, func() error {
			return c.MaintOn(ctx, []string{h}, coord.Maint{Owner: "test", Reason: "r", Since: since})
		})
	}
	isMaint := func(h string) func(coord.Event) bool {
		return func(e coord.Event) bool { return e.Event == "maint_on" && e.Host == h }
	}
	// The watch reports changes from its first read on: until it reports
	// one, change a host left out of the count.
	for i := 0; w.count(isMaint("probe")) == 0; i++ {
		if i == 600 {
			t.Fatalf("kook watch reported nothing in 60s\n%s", w.stderr.String())
		}
		commit("probe", func() error { _, err := c.MaintOff(ctx, []string{"probe"}); return err })
		maintOn("probe")
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	w.mu.Lock()
	w.lines = nil
	w.mu.Unlock()
	maintOn("h01")

	for i := 2; i <= n; i++ {
		h := fmt.Sprintf("h%02d", i)
		maintOn(h)
		added := fmt.Sprintf("n%02d", i)
		commit("add "+added, func() error { return st.AddHost(ctx, added, nil) })
		switch i {
		case 10:
			_, leader := e.Leader()
			e.Kill(leader)
		case 20:
			e.KillAll()
			time.Sleep(500 * time.Millisecond)
			e.RestartAll()
		}
	}
	for i := 1; i <= n; i++ {
		waitCount(t, w, isMaint(fmt.Sprintf("h%02d", i)), 1)
		if i > 1 {
			h := fmt.Sprintf("n%02d", i)
			waitCount(t, w, func(e coord.Event) bool { return e.Event == "host_added" && e.Host == h }, 1)
		}
	}
	// Anything repeated would have come by now.
	time.Sleep(time.Second)
	seen := map[string]int{}
	w.mu.Lock()
	for _, e := range w.lines {
		if e.Host == "probe" {
			continue // the probe's last changes may come after the reset
		}
		k := e.Event + " " + e.Host + " " + e.Group
		seen[k]++
		switch {
		case seen[k] > 1:
			t.Errorf("reported %d times: %s", seen[k], k)
		case e.Event == "maint_on", e.Event == "host_added",
			e.Event == "host_moved" && e.Group == "ungrouped" && strings.HasPrefix(e.Host, "n"):
		default:
			t.Errorf("unexpected change reported: %+v", e)
		}
	}
	total := len(w.lines)
	w.mu.Unlock()
	t.Logf("%d changes reported across a leader kill and an ensemble restart", total)
	e.RestartAll()
}

func waitCount(t *testing.T, w *watchLines, pred func(coord.Event) bool, want int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for w.count(pred) < want {
		if time.Now().After(deadline) {
			w.mu.Lock()
			t.Fatalf("change not reported within 60s; reported so far: %d lines\n%s", len(w.lines), w.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
