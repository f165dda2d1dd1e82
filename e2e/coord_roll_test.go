package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/zktest"
)

// rollInventory is a group web of n hosts under a parent group.
func rollInventory(n int) []byte {
	var b strings.Builder
	b.WriteString("[web]\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "w%02d\n", i)
	}
	b.WriteString("[site:children]\nweb\n")
	return []byte(b.String())
}

// rollCommand returns a command that logs its start and end (with the
// host and a tag) to log and sleeps in between.
func rollCommand(log, tag string, sleep time.Duration) []string {
	line := func(what string) string {
		return fmt.Sprintf(`echo "%s {host} %s $(date +%%s.%%N)" >> %s`, what, tag, log)
	}
	return []string{"sh", "-c", line("start") + "; sleep " + strconv.FormatFloat(sleep.Seconds(), 'f', 3, 64) + "; " + line("end")}
}

type rollSpan struct {
	host, tag  string
	start, end float64
}

// rollSpans reads the log of rollCommand.
func rollSpans(t *testing.T, log string) []rollSpan {
	t.Helper()
	f, err := os.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	open := map[[2]string]float64{}
	var spans []rollSpan
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var what, host, tag string
		var at float64
		if _, err := fmt.Sscanf(sc.Text(), "%s %s %s %f", &what, &host, &tag, &at); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		k := [2]string{host, tag}
		if what == "start" {
			open[k] = at
			continue
		}
		spans = append(spans, rollSpan{host, tag, open[k], at})
		delete(open, k)
	}
	for k := range open {
		t.Errorf("%s (%s) started and never ended", k[0], k[1])
	}
	return spans
}

// checkSpans fails unless at most bound commands ran at any instant and no
// host ran twice at once; it returns the most that ran at once.
func checkSpans(t *testing.T, spans []rollSpan, bound int) int {
	t.Helper()
	type ev struct {
		at    float64
		delta int
		host  string
	}
	var evs []ev
	for _, s := range spans {
		evs = append(evs, ev{s.start, 1, s.host}, ev{s.end, -1, s.host})
	}
	// Ends before starts at the same instant: touching is not overlapping.
	sort.Slice(evs, func(i, j int) bool {
		if evs[i].at != evs[j].at {
			return evs[i].at < evs[j].at
		}
		return evs[i].delta < evs[j].delta
	})
	busy, most := 0, 0
	perHost := map[string]int{}
	for _, e := range evs {
		busy += e.delta
		perHost[e.host] += e.delta
		if perHost[e.host] > 1 {
			t.Errorf("host %s ran twice at once (at %.3f)", e.host, e.at)
		}
		most = max(most, busy)
		if busy > bound {
			t.Errorf("%d hosts busy at %.3f, bound %d", busy, e.at, bound)
		}
	}
	return most
}

// TestRollsTogether: two rolls over one group with --max-unavailable 2,
// started together, keep at most 2 hosts busy at any instant and both
// finish every host; a third asking another bound is refused naming it.
func TestRollsTogether(t *testing.T) {
	srv := zktest.Shared(t)
	root := zktest.UniqueRoot(t)
	env := coordEnv(t, srv.Addr, root)
	mustImport(t, env, writeTemp(t, "inv.ini", rollInventory(6)))
	log := filepath.Join(t.TempDir(), "log")
	var wg sync.WaitGroup
	runs := make([]faultRun, 2)
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := append([]string{"roll", "--group", "site", "--max-unavailable", "2", "--"}, rollCommand(log, fmt.Sprint("r", i), 150*time.Millisecond)...)
			runs[i] = runFaultCmd(2*time.Minute, env, kookBin, args...)
		}()
	}
	// A roll with another bound, while the two run, is refused.
	time.Sleep(300 * time.Millisecond)
	other := runFaultCmd(time.Minute, env, kookBin, "roll", "--group", "site", "--max-unavailable", "3", "--", "true")
	wg.Wait()
	for i, r := range runs {
		if r.code != 0 {
			t.Fatalf("roll %d: exit %d\n%s", i, r.code, r.stderr)
		}
	}
	if other.code != 1 || !bytes.Contains(other.stderr, []byte("--max-unavailable 2 is running")) {
		t.Errorf("roll with another bound: exit %d, want 1 naming the running roll\n%s", other.code, other.stderr)
	}
	spans := rollSpans(t, log)
	if len(spans) != 12 {
		t.Fatalf("%d commands ran, want 12 (6 hosts, 2 rolls)", len(spans))
	}
	most := checkSpans(t, spans, 2)
	t.Logf("at most %d hosts busy at once over 2 rolls", most)
}

// TestCoordFaults runs the coordination fault tests that need an ensemble.
func TestCoordFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("fault tests run a real ZooKeeper ensemble; not run with -short")
	}
	e := zktest.StartEnsemble(t, 3)
	// Each starts with every member running again.
	t.Run("LeaderKilledDuringRoll", func(t *testing.T) { e := e.In(t); e.RestartAll(); leaderKilledDuringRoll(t, e) })
	t.Run("WatchAcrossFaults", func(t *testing.T) { e := e.In(t); e.RestartAll(); watchAcrossFaults(t, e) })
}

// leaderKilledDuringRoll: the leader dies in the middle of a roll; no
// host runs twice at once, the bound holds, and the roll goes on or stops
// with a clear message.
func leaderKilledDuringRoll(t *testing.T, e *zktest.Ensemble) {
	root := zktest.UniqueRoot(t)
	env := coordEnv(t, strings.Join(e.Addrs(), ","), root)
	mustImport(t, env, writeTemp(t, "inv.ini", rollInventory(8)))
	log := filepath.Join(t.TempDir(), "log")
	done := make(chan faultRun, 2)
	for i := 0; i < 2; i++ {
		go func() {
			args := append([]string{"roll", "--group", "web", "--max-unavailable", "2", "--"}, rollCommand(log, fmt.Sprint("r", i), 200*time.Millisecond)...)
			done <- runFaultCmd(2*time.Minute, env, kookBin, args...)
		}()
	}
	// Kill the leader once the rolls are under way.
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(log)
		if bytes.Count(b, []byte("\n")) >= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the rolls did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, leader := e.Leader()
	e.Kill(leader)
	finished := 0
	for i := 0; i < 2; i++ {
		r := <-done
		if r.code == 0 {
			finished++
		}
		if r.hung {
			t.Fatalf("a roll hung\n%s%s", r.stdout, r.stderr)
		}
		if r.code != 0 {
			lines := strings.Split(strings.TrimSpace(string(r.stderr)), "\n")
			if last := lines[len(lines)-1]; !strings.HasPrefix(last, "kook: ") {
				t.Errorf("a roll failed without a clear message: exit %d\n%s", r.code, r.stderr)
			}
			t.Logf("a roll stopped: %s", lines[len(lines)-1])
		}
	}
	spans := rollSpans(t, log)
	if finished == 2 && len(spans) != 16 {
		t.Errorf("both rolls succeeded but %d commands ran, want 16", len(spans))
	}
	most := checkSpans(t, spans, 2)
	t.Logf("leader killed: %d of 2 rolls finished every host; at most %d hosts busy at once", finished, most)
}
