package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/fleet"
	"github.com/kook-project/kook/internal/testutil"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
	"github.com/kook-project/kook/pkg/kook/store"
)

// TestFaults shows what kook promises when things break, against a real
// three-node ZooKeeper ensemble on loopback: a leader killed under readers
// and under a large import, kook-import itself killed, writers racing,
// a session expiring, the whole ensemble restarting or gone. The
// subtests share one ensemble; each starts with every member running and
// works under its own root. Figures (recovery times, trials) go to the
// test log.
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("fault tests run real ZooKeeper ensembles; not run with -short")
	}
	t0 := time.Now()
	f := &faults{e: zktest.StartEnsemble(t, 3), dir: t.TempDir(), big: map[[2]uint64]faultBig{}}
	t.Logf("ensemble %s serves after %v", f.e.Connect, time.Since(t0).Round(time.Millisecond))
	t.Run("LeaderKilledDuringList", f.leaderKilledDuringList)
	t.Run("LeaderKilledDuringImport", f.leaderKilledDuringImport)
	t.Run("KilledImport", f.killedImport)
	t.Run("AmbiguousCommit", f.ambiguousCommit)
	t.Run("ConcurrentWriters", f.concurrentWriters)
	t.Run("SessionExpiry", f.sessionExpiry)
	t.Run("EnsembleRestart", f.ensembleRestart)
	t.Run("AllDown", f.allDown)
}

type faults struct {
	e   *zktest.Ensemble
	dir string // outlives the subtests: the big inventories' files

	mu  sync.Mutex
	big map[[2]uint64]faultBig
}

// faultBig is a synthetic fleet and the JSON file that holds it.
type faultBig struct {
	inv  *kook.Inventory
	file string
}

// bigFleet returns fleet.Generate(n, seed) and a file holding it,
// generating each once per run.
func (f *faults) bigFleet(t *testing.T, n int, seed uint64) faultBig {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	key := [2]uint64{uint64(n), seed}
	if b, ok := f.big[key]; ok {
		return b
	}
	inv := fleet.Generate(n, seed)
	var doc bytes.Buffer
	if err := ansible.WriteJSON(&doc, inv); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(f.dir, fmt.Sprintf("fleet-%d-%d.json", n, seed))
	if err := os.WriteFile(file, doc.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	b := faultBig{inv, file}
	f.big[key] = b
	return b
}

// healthy makes sure every member runs and serves before a subtest
// starts, whatever the one before did to the ensemble.
func (f *faults) healthy(t *testing.T) {
	t.Helper()
	e := f.e.In(t)
	e.RestartAll()
	for i := range e.Servers {
		if m := e.Mode(i); m != "leader" && m != "follower" {
			t.Fatalf("member %d is %q before the test", i, m)
		}
	}
}

// env writes a kook configuration file for root with the given extra
// lines (the deadline, stale_ok) and returns the environment that points
// both binaries at it, with KOOK_ZK naming every server as Ansible's
// environment would, and a cache directory of its own.
func (f *faults) env(t *testing.T, servers, root, extra string) []string {
	t.Helper()
	cfg := writeTemp(t, "kook.yml", []byte(fmt.Sprintf("hosts: %s\nroot: %s\n%s", servers, root, extra)))
	return []string{"KOOK_CONFIG=" + cfg, "KOOK_ZK=" + servers, "XDG_CACHE_HOME=" + t.TempDir()}
}

// openFaultStore opens a store on servers with the given deadlines.
func openFaultStore(t *testing.T, servers []string, root string, timeout, session time.Duration) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{Servers: servers, Root: root, Timeout: timeout, SessionTimeout: session})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// faultRun is a finished command with its timing.
type faultRun struct {
	result
	start, end time.Time
	hung       bool // the watchdog killed it
}

func (r faultRun) took() time.Duration { return r.end.Sub(r.start) }

// runFaultCmd runs a command in the full environment env and kills it when
// it runs longer than limit (reported as hung). It does not need a
// *testing.T, so goroutines may use it.
func runFaultCmd(limit time.Duration, env []string, name string, args ...string) faultRun {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	r := faultRun{start: time.Now()}
	err := cmd.Run()
	r.end = time.Now()
	r.stdout, r.stderr = out.Bytes(), errb.Bytes()
	if err != nil {
		r.code = -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			r.code = ee.ExitCode()
		} else {
			r.stderr = append(r.stderr, []byte(err.Error())...)
		}
	}
	r.hung = ctx.Err() != nil
	return r
}

// unclearFailure returns why a failed run of prog is not a clear failure, or ""
// when it is one: a non-zero exit, nothing on stdout, and one line on
// stderr naming the program and what went wrong with ZooKeeper.
func unclearFailure(prog string, r faultRun, about ...string) string {
	switch {
	case r.hung:
		return fmt.Sprintf("hung: killed after %v", r.took())
	case r.code == 0:
		return "exit 0"
	case len(r.stdout) != 0:
		return fmt.Sprintf("exit %d with %d bytes on stdout", r.code, len(r.stdout))
	}
	msg := string(r.stderr)
	if !strings.HasPrefix(msg, prog+": ") {
		return fmt.Sprintf("exit %d, stderr does not start with %q: %q", r.code, prog+": ", msg)
	}
	if len(about) == 0 {
		about = []string{"ZooKeeper"}
	}
	for _, a := range about {
		if strings.Contains(msg, a) {
			return ""
		}
	}
	return fmt.Sprintf("exit %d, stderr names none of %q: %q", r.code, about, msg)
}

// faultLine shortens a message for the log to its first line.
func faultLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if len(s) > 240 {
		s = s[:240] + "..."
	}
	return s
}

var faultGenName = regexp.MustCompile(`^g[0-9]{10}$`)

// countGenerations counts the generation znodes under root, read through a
// raw connection.
func countGenerations(t *testing.T, st *store.Store, root string) int {
	t.Helper()
	var kids []string
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		if kids, _, err = st.Conn().Children(root); err == nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("listing %s: %v", root, err)
	}
	n := 0
	for _, k := range kids {
		if faultGenName.MatchString(k) {
			n++
		}
	}
	return n
}

// faultListUntilOK runs kook-inventory --list until it succeeds, for up to
// limit, and returns the output and how many attempts failed.
func faultListUntilOK(t *testing.T, env []string, limit time.Duration) ([]byte, int) {
	t.Helper()
	full := append(baseEnv(t), env...)
	deadline := time.Now().Add(limit)
	failed := 0
	for {
		r := runFaultCmd(30*time.Second, full, kookInvent, "--list", "--no-cache")
		if r.code == 0 && !r.hung {
			return r.stdout, failed
		}
		if why := unclearFailure("kook-inventory", r); why != "" {
			t.Fatalf("--list failed unclearly: %s", why)
		}
		failed++
		if time.Now().After(deadline) {
			t.Fatalf("--list still fails after %v: %s", limit, r.stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// faultCheckList fails unless list is exactly the --list document of inv.
func faultCheckList(t *testing.T, what string, inv *kook.Inventory, list []byte) {
	t.Helper()
	got, err := ansible.ParseJSON("list", list, ansible.ReadOptions{Rules: ansible.Rules214})
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	got.Reconcile()
	if diff := testutil.GraphDiff(inv, got); diff != "" {
		t.Fatalf("%s: --list differs from the imported inventory (-want +got):\n%s", what, diff)
	}
}

// leaderKilledDuringList: with kook-inventory --list running back to back
// against all three members, killing the leader makes some calls fail,
// each within its deadline and with a clear message, while every call
// that succeeds prints the whole, correct inventory; reads work again
// soon after (the figure is logged; the test fails only past 10 s).
func (f *faults) leaderKilledDuringList(t *testing.T) {
	const timeout = 3 * time.Second
	const slack = 2500 * time.Millisecond // process start, Close, a loaded machine
	e := f.e.In(t)
	root := zktest.UniqueRoot(t)
	env := f.env(t, e.Connect, root, "timeout: 3s\n")
	inv := fleet.Generate(2000, 7)
	var doc bytes.Buffer
	if err := ansible.WriteJSON(&doc, inv); err != nil {
		t.Fatal(err)
	}
	src := writeTemp(t, "fleet.json", doc.Bytes())
	mustImport(t, env, "--prune", src)
	want, _ := faultListUntilOK(t, env, 10*time.Second)
	faultCheckList(t, "before the kill", inv, want)
	full := append(baseEnv(t), env...)

	for round := 0; round < 2; round++ {
		f.healthy(t)
		var mu sync.Mutex
		var calls []faultRun
		stop := make(chan struct{})
		loopDone := make(chan struct{})
		go func() {
			defer close(loopDone)
			for {
				select {
				case <-stop:
					return
				default:
				}
				r := runFaultCmd(timeout+30*time.Second, full, kookInvent, "--list", "--no-cache")
				mu.Lock()
				calls = append(calls, r)
				mu.Unlock()
			}
		}()
		time.Sleep(time.Second)
		_, li := e.Leader()
		killedAt := time.Now()
		e.Kill(li)
		// Run on until a call started after the kill succeeded, and a
		// little longer; give up after 20 s.
		var recovered time.Duration
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			mu.Lock()
			for _, c := range calls {
				if c.code == 0 && c.start.After(killedAt) && (recovered == 0 || c.end.Sub(killedAt) < recovered) {
					recovered = c.end.Sub(killedAt)
				}
			}
			mu.Unlock()
			if recovered > 0 && time.Since(killedAt) > recovered+time.Second {
				break
			}
		}
		close(stop)
		<-loopDone

		ok, failed, maxTook := 0, 0, time.Duration(0)
		msgs := map[string]int{}
		for i, c := range calls {
			maxTook = max(maxTook, c.took())
			if c.took() > timeout+slack {
				t.Errorf("round %d call %d took %v, past its %v deadline (exit %d): %s", round, i, c.took(), timeout, c.code, faultLine(c.stderr))
			}
			if c.code == 0 && !c.hung {
				ok++
				if !bytes.Equal(c.stdout, want) {
					t.Errorf("round %d call %d (started %v after the kill) succeeded with a different inventory (%d bytes, want %d)",
						round, i, c.start.Sub(killedAt), len(c.stdout), len(want))
				}
				continue
			}
			failed++
			if why := unclearFailure("kook-inventory", c); why != "" {
				t.Errorf("round %d call %d: not a clear failure: %s", round, i, why)
			}
			msgs[faultPorts.ReplaceAllString(faultLine(c.stderr), ":PORT")]++
		}
		t.Logf("round %d: killed leader %d; %d calls, %d printed the inventory, %d failed; slowest call %v; first successful read started after the kill ended %v after it",
			round, li, len(calls), ok, failed, maxTook.Round(time.Millisecond), recovered.Round(time.Millisecond))
		for m, n := range msgs {
			t.Logf("  %d× %s", n, m)
		}
		switch {
		case recovered == 0:
			t.Fatalf("round %d: no read succeeded within 20 s of killing the leader", round)
		case recovered > 10*time.Second:
			t.Errorf("round %d: reads worked again only %v after the leader was killed (promised: 3 s)", round, recovered)
		}
	}
}

var faultPorts = regexp.MustCompile(`:[0-9]{4,5}\b`)

// faultImport is kook-import running in the background.
type faultImport struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	start  time.Time
	done   chan struct{}
	end    time.Time
}

func startFaultImport(t *testing.T, env []string, args ...string) *faultImport {
	t.Helper()
	r := &faultImport{cmd: exec.Command(kookImport, args...), done: make(chan struct{})}
	r.cmd.Env = append(baseEnv(t), env...)
	r.cmd.Stderr = &r.stderr
	r.start = time.Now()
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.cmd.Wait(); r.end = time.Now(); close(r.done) }()
	return r
}

// wait waits for the import to exit, failing the test if it runs past
// limit; it returns the exit code (-1 when killed by a signal).
func (r *faultImport) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(limit):
		r.cmd.Process.Kill()
		<-r.done
		t.Fatalf("kook-import hung: still running after %v:\n%s", limit, r.stderr.String())
	}
	return r.cmd.ProcessState.ExitCode()
}

// exited reports whether the import has exited.
func (r *faultImport) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// faultWaitGeneration polls root until it holds more than base generation
// znodes (an import started building one) or the import exits; it
// reports whether a generation appeared.
func faultWaitGeneration(st *store.Store, root string, base int, r *faultImport) bool {
	for !r.exited() {
		kids, _, err := st.Conn().Children(root)
		if err == nil {
			n := 0
			for _, k := range kids {
				if faultGenName.MatchString(k) {
					n++
				}
			}
			if n > base {
				return true
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return false
}

// faultImportPhases measures one import of b over the current state: how long
// it takes, when its new generation appears and when meta switches to it.
func faultImportPhases(t *testing.T, st *store.Store, env []string, root string, b faultBig) (total, genAt, switchAt time.Duration) {
	t.Helper()
	base := countGenerations(t, st, root)
	_, m0, err := st.Conn().Get(root + "/meta")
	if err != nil {
		t.Fatal(err)
	}
	r := startFaultImport(t, env, "--prune", b.file)
	if faultWaitGeneration(st, root, base, r) {
		genAt = time.Since(r.start)
	}
	for !r.exited() {
		if _, m, err := st.Conn().Get(root + "/meta"); err == nil && m.Mzxid != m0.Mzxid {
			switchAt = time.Since(r.start)
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if code := r.wait(t, 2*time.Minute); code != 0 {
		t.Fatalf("kook-import --prune %s: exit %d\n%s", b.file, code, r.stderr.String())
	}
	return r.end.Sub(r.start), genAt, switchAt
}

// leaderKilledDuringImport: the leader is killed at several moments of a
// 30,000-host import (while it reads, as its new generation
// appears, half way through writing it, just before the switch). The
// import either succeeds, and --list shows the new inventory, or exits
// non-zero with a clear message, and --list shows the old or the new one,
// never a mix; the next import then succeeds, on two members, and leaves
// one generation.
func (f *faults) leaderKilledDuringImport(t *testing.T) {
	e := f.e.In(t)
	f.healthy(t)
	root := zktest.UniqueRoot(t)
	env := f.env(t, e.Connect, root, "timeout: 5s\n")
	bigs := [2]faultBig{f.bigFleet(t, 30000, 1), f.bigFleet(t, 30000, 2)}
	st := openFaultStore(t, e.Addrs(), root, 5*time.Second, 10*time.Second)

	var lists [2][]byte
	mustImport(t, env, "--prune", bigs[0].file)
	lists[0], _ = faultListUntilOK(t, env, 10*time.Second)
	faultCheckList(t, "fleet 1", bigs[0].inv, lists[0])
	total, genAt, switchAt := faultImportPhases(t, st, env, root, bigs[1])
	lists[1], _ = faultListUntilOK(t, env, 10*time.Second)
	faultCheckList(t, "fleet 2", bigs[1].inv, lists[1])
	window := max(switchAt-genAt, 20*time.Millisecond)
	t.Logf("a 30,000-host import takes %v; its generation appears at %v and becomes current at %v", total.Round(time.Millisecond), genAt.Round(time.Millisecond), switchAt.Round(time.Millisecond))
	cur := 1

	type moment struct {
		name  string
		atGen bool          // wait for the new generation to appear first
		after time.Duration // then this long
	}
	moments := []moment{
		{"while it reads the sources and the stored inventory", false, genAt * 4 / 10},
		{"as its generation appears", true, 0},
		{"half way through writing the generation", true, window / 2},
		{"just before the switch", true, window * 9 / 10},
	}
	outcomes := map[string]int{}
	for trial, m := range moments {
		f.healthy(t)
		target := 1 - cur
		_, li := e.Leader()
		base := countGenerations(t, st, root)
		r := startFaultImport(t, env, "--prune", bigs[target].file)
		if m.atGen {
			faultWaitGeneration(st, root, base, r)
		}
		time.Sleep(m.after)
		killedAt := time.Now()
		e.Kill(li)
		code := r.wait(t, 2*time.Minute)
		msg := strings.TrimSpace(r.stderr.String())
		if code != 0 {
			if why := unclearFailure("kook-import", faultRun{result: result{stderr: r.stderr.Bytes(), code: code}}); why != "" {
				t.Errorf("trial %d: kook-import failed unclearly: %s", trial, why)
			}
		}
		list, failedLists := faultListUntilOK(t, env, 20*time.Second)
		state := -1
		for i := range lists {
			if bytes.Equal(list, lists[i]) {
				state = i
			}
		}
		if state < 0 {
			faultCheckList(t, fmt.Sprintf("trial %d (%s): neither the old nor the new inventory", trial, m.name), bigs[target].inv, list)
			t.Fatalf("trial %d: --list is the new inventory but not byte for byte", trial)
		}
		if code == 0 && state != target {
			t.Errorf("trial %d: kook-import reported success but --list shows the old inventory", trial)
		}
		outcome := "failed, old inventory kept"
		switch {
		case code == 0:
			outcome = "succeeded"
		case state == target:
			outcome = "failed after switching to the new inventory"
		}
		outcomes[outcome]++
		t.Logf("trial %d: leader %d killed %s (%v after the start): import %s, exit %d after %v; %d --list calls failed before one worked: %s",
			trial, li, m.name, killedAt.Sub(r.start).Round(time.Millisecond), outcome, code, r.end.Sub(killedAt).Round(time.Millisecond), failedLists,
			faultPorts.ReplaceAllString(faultLine([]byte(msg)), ":PORT"))
		cur = state

		// The next import succeeds with the old leader still down, and
		// collects what the interrupted one left.
		before := countGenerations(t, st, root)
		mustImport(t, env, "--prune", bigs[1-cur].file)
		cur = 1 - cur
		if list, _ := faultListUntilOK(t, env, 10*time.Second); !bytes.Equal(list, lists[cur]) {
			t.Fatalf("trial %d: after the next import --list is not its inventory", trial)
		}
		if n := countGenerations(t, st, root); n != 1 {
			t.Errorf("trial %d: %d generations after the next import (%d before it), want 1", trial, n, before)
		}
	}
	t.Logf("leader killed during %d imports: %v; every --list showed the old or the new inventory, every next import succeeded", len(moments), outcomes)
}

// faultSeed is the seed of the random kill moments: KOOK_FAULT_SEED when
// set (to replay a run), else the clock. It is logged.
func faultSeed(t *testing.T) uint64 {
	if s := os.Getenv("KOOK_FAULT_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("KOOK_FAULT_SEED=%q: %v", s, err)
		}
		return n
	}
	return uint64(time.Now().UnixNano())
}

// killedImport: kook-import is killed with SIGKILL at 20 random moments
// of a 10,000-host import (half of them anywhere in its run, half while
// it writes its new generation). Each time --list shows exactly the old
// or the new inventory; the next write (one var set through the Go API)
// collects every half-built generation, leaving only the current one.
func (f *faults) killedImport(t *testing.T) {
	const trials = 20
	e := f.e.In(t)
	f.healthy(t)
	seed := faultSeed(t)
	rng := rand.New(rand.NewPCG(seed, 20))
	t.Logf("seed %d (set KOOK_FAULT_SEED=%d to replay these moments)", seed, seed)
	root := zktest.UniqueRoot(t)
	env := f.env(t, e.Connect, root, "timeout: 5s\n")
	bigs := [2]faultBig{f.bigFleet(t, 10000, 1), f.bigFleet(t, 10000, 2)}
	st := openFaultStore(t, e.Addrs(), root, 5*time.Second, 10*time.Second)

	var canon [2][]byte // --list of each fleet exactly
	mustImport(t, env, "--prune", bigs[0].file)
	canon[0], _ = faultListUntilOK(t, env, 10*time.Second)
	faultCheckList(t, "fleet 1", bigs[0].inv, canon[0])
	total, genAt, switchAt := faultImportPhases(t, st, env, root, bigs[1])
	canon[1], _ = faultListUntilOK(t, env, 10*time.Second)
	faultCheckList(t, "fleet 2", bigs[1].inv, canon[1])
	window := max(switchAt-genAt, 20*time.Millisecond)
	t.Logf("a 10,000-host import takes %v; its generation appears at %v and becomes current at %v", total.Round(time.Millisecond), genAt.Round(time.Millisecond), switchAt.Round(time.Millisecond))

	marker := bigs[0].inv.HostNames()[0]
	cur, old := 1, canon[1] // which fleet the store holds, and its --list now
	var kept, switched, halfBuilt, uncollected int
	for trial := 0; trial < trials; trial++ {
		target := 1 - cur
		base := countGenerations(t, st, root)
		r := startFaultImport(t, env, "--prune", bigs[target].file)
		var when string
		if trial%2 == 0 {
			d := time.Duration(rng.Int64N(int64(total)))
			time.Sleep(d)
			when = fmt.Sprintf("%v after its start", d.Round(time.Millisecond))
		} else {
			d := time.Duration(rng.Int64N(int64(window)))
			faultWaitGeneration(st, root, base, r)
			time.Sleep(d)
			when = fmt.Sprintf("%v after its generation appeared (%v after its start)", d.Round(time.Millisecond), time.Since(r.start).Round(time.Millisecond))
		}
		r.cmd.Process.Signal(syscall.SIGKILL)
		code := r.wait(t, time.Minute)
		left := countGenerations(t, st, root)

		list, _ := faultListUntilOK(t, env, 10*time.Second)
		var outcome string
		switch {
		case bytes.Equal(list, old):
			outcome = "old inventory"
			kept++
		case bytes.Equal(list, canon[target]):
			outcome = "new inventory"
			switched++
			cur = target
		default:
			faultCheckList(t, fmt.Sprintf("trial %d, killed %s: neither the old nor the new inventory", trial, when), bigs[target].inv, list)
			t.Fatalf("trial %d: --list is the new inventory but not byte for byte", trial)
		}
		if code == 0 {
			outcome += ", import had finished"
		}
		switch {
		case left > 1 && cur != target:
			halfBuilt++ // killed while building: its generation never became current
		case left > 1:
			uncollected++ // killed after the switch, before it collected the old one
		}
		// The next write collects what the killed import left.
		if err := st.SetHostVar(context.Background(), marker, "kill_trial", int64(trial)); err != nil {
			t.Fatalf("trial %d: the write after the kill: %v", trial, err)
		}
		after := countGenerations(t, st, root)
		t.Logf("trial %2d: killed %s: %s; %d generations left, %d after the next write", trial, when, outcome, left, after)
		if after != 1 {
			t.Errorf("trial %d: %d generations after the next write, want only the current one", trial, after)
		}
		old, _ = faultListUntilOK(t, env, 10*time.Second)
	}
	// And a whole import still works.
	mustImport(t, env, "--prune", bigs[1-cur].file)
	if list, _ := faultListUntilOK(t, env, 10*time.Second); !bytes.Equal(list, canon[1-cur]) {
		t.Fatal("the import after the kills did not give its inventory")
	}
	t.Logf("%d kills: %d left the old inventory, %d the new one; %d left a half-built generation and %d an old one not yet collected; every one collected by the next write",
		trials, kept, switched, halfBuilt, uncollected)
	if halfBuilt == 0 {
		t.Errorf("no kill landed while a generation was being built: the test did not test collection")
	}
}

// concurrentWriters: six Go API writers and two kook-import processes
// write at once, to the same hosts and to hosts of their own: four
// writers use the small writes (SetHostVar, AddHost), which retry on
// fresh data after a conflict; two read the version and Update at it,
// and lose with a conflict error when someone wrote in between. Every
// writer owns keys nobody else writes, so its last successful value of
// each must be the final one; the key all of them write ("shared") must
// end with a value some writer reported written; a host added by a write
// that reported success exists, one added by a write that failed does
// not. The only failure allowed is a conflict.
func (f *faults) concurrentWriters(t *testing.T) {
	e := f.e.In(t)
	f.healthy(t)
	const apiWriters, importers = 6, 2
	const retrying = 4 // writers 0-3 use the small writes; 4 and 5 Update at a version
	const apiOps, importRounds = 40, 8
	root := zktest.UniqueRoot(t)
	env := f.env(t, e.Connect, root, "timeout: 5s\n")
	hosts := make([]string, 24)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("h%02d", i)
	}
	mustImport(t, env, writeTemp(t, "base.ini", []byte("[web]\nh[00:23]\n[db]\nh[00:05]\n")))

	type hostKey struct{ host, key string }
	var mu sync.Mutex
	lastOK := map[hostKey]string{}           // writer-owned keys: the last value written successfully
	lastTried := map[hostKey]string{}        // and the last value tried, successful or not
	sharedOK := map[string]map[string]bool{} // host -> values of "shared" reported written
	addedOK, addedFailed := map[string]bool{}, map[string]bool{}
	var conflicts, successes, optimisticLost atomic.Int64
	var errs []string
	noteShared := func(host, v string) {
		if sharedOK[host] == nil {
			sharedOK[host] = map[string]bool{}
		}
		sharedOK[host][v] = true
	}

	// Each importer sets its own key and "shared" on an overlapping half
	// of the hosts, and adds a host of its own each round.
	importFiles := make([][]string, importers)
	importHosts := make([][]string, importers)
	for i := 0; i < importers; i++ {
		importHosts[i] = hosts[i*8 : i*8+16]
		for r := 0; r < importRounds; r++ {
			var b strings.Builder
			b.WriteString("[web]\n")
			for _, h := range importHosts[i] {
				fmt.Fprintf(&b, "%s imp%d=r%d shared=imp%d-r%d\n", h, i, r, i, r)
			}
			fmt.Fprintf(&b, "[added]\nimp%d-r%d\n", i, r)
			importFiles[i] = append(importFiles[i], writeTemp(t, fmt.Sprintf("imp%d-r%d.ini", i, r), []byte(b.String())))
		}
	}
	importEnv := append(baseEnv(t), env...)
	stores := make([]*store.Store, apiWriters)
	for w := range stores {
		stores[w] = openFaultStore(t, e.Addrs(), root, 5*time.Second, 10*time.Second)
	}

	start := make(chan struct{})
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < apiWriters; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			st := stores[w]
			<-start
			for op := 0; op < apiOps; op++ {
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				var err error
				var hk hostKey
				v := fmt.Sprintf("w%d-%d", w, op)
				switch op % 4 {
				case 0, 1: // a key of its own on a host everyone writes
					hk = hostKey{hosts[rng.IntN(len(hosts))], fmt.Sprintf("own%d", w)}
				case 2: // the key everyone writes
					hk = hostKey{hosts[rng.IntN(len(hosts))], "shared"}
				case 3: // a host of its own
					hk = hostKey{host: fmt.Sprintf("w%d-h%d", w, op)}
				}
				if w < retrying {
					// Small writes: on a conflict they retry on fresh data.
					if hk.key != "" {
						err = st.SetHostVar(ctx, hk.host, hk.key, v)
					} else {
						err = st.AddHost(ctx, hk.host, kook.Vars{"by": v})
					}
				} else {
					// Optimistic: the edit must commit on the version
					// read, or it fails with a conflict.
					var ver store.Version
					if ver, err = st.Version(ctx); err == nil {
						_, err = st.Update(ctx, func(inv *kook.Inventory) error {
							if hk.key == "" {
								inv.AddHost(hk.host).Vars["by"] = v
							} else {
								inv.Hosts[hk.host].Vars[hk.key] = v
							}
							return nil
						}, store.WriteOptions{ExpectVersion: &ver})
					}
				}
				cancel()
				mu.Lock()
				switch {
				case err == nil:
					successes.Add(1)
					switch {
					case hk.key == "shared":
						noteShared(hk.host, v)
					case hk.key != "":
						lastOK[hk] = v
					default:
						addedOK[hk.host] = true
					}
				case errors.Is(err, store.ErrConflict):
					conflicts.Add(1)
					if w >= retrying {
						optimisticLost.Add(1)
					}
					if hk.key == "" {
						addedFailed[hk.host] = true
					}
				default:
					errs = append(errs, fmt.Sprintf("writer %d op %d: not a conflict: %v", w, op, err))
				}
				if hk.key != "" && hk.key != "shared" {
					lastTried[hk] = v
				}
				mu.Unlock()
				time.Sleep(time.Duration(rng.IntN(3)) * time.Millisecond)
			}
		}()
	}
	importOK := make([]int, importers) // rounds that succeeded
	for i := 0; i < importers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for r := 0; r < importRounds; r++ {
				res := runFaultCmd(2*time.Minute, importEnv, kookImport, importFiles[i][r])
				added := fmt.Sprintf("imp%d-r%d", i, r)
				mu.Lock()
				if res.code == 0 && !res.hung {
					successes.Add(1)
					importOK[i]++
					for _, h := range importHosts[i] {
						lastOK[hostKey{h, fmt.Sprintf("imp%d", i)}] = fmt.Sprintf("r%d", r)
						noteShared(h, fmt.Sprintf("imp%d-r%d", i, r))
					}
					addedOK[added] = true
				} else {
					if why := unclearFailure("kook-import", res, "conflict"); why != "" {
						errs = append(errs, fmt.Sprintf("import %d round %d: %s", i, r, why))
					}
					conflicts.Add(1)
					addedFailed[added] = true
				}
				for _, h := range importHosts[i] {
					lastTried[hostKey{h, fmt.Sprintf("imp%d", i)}] = fmt.Sprintf("r%d", r)
				}
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	elapsed := time.Since(t0)
	for _, msg := range errs {
		t.Error(msg)
	}

	inv, _, err := stores[0].Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for hk, want := range lastTried {
		h := inv.Hosts[hk.host]
		got, has := h.Vars[hk.key]
		if ok, wrote := lastOK[hk]; wrote {
			if !has || got != ok {
				t.Errorf("host %s: %s = %v, want %q, its writer's last successful value (last tried %q)", hk.host, hk.key, got, ok, want)
			}
		} else if has {
			t.Errorf("host %s: %s = %v, but no write of it reported success", hk.host, hk.key, got)
		}
	}
	for _, h := range hosts {
		got, has := inv.Hosts[h].Vars["shared"]
		switch {
		case !has && len(sharedOK[h]) > 0:
			t.Errorf("host %s lost \"shared\": %d writes of it reported success", h, len(sharedOK[h]))
		case has && !sharedOK[h][fmt.Sprint(got)]:
			t.Errorf("host %s: shared = %v, which no write reported as written", h, got)
		}
	}
	for name := range addedOK {
		if inv.Hosts[name] == nil {
			t.Errorf("host %s was added by a write that reported success, and is missing", name)
		}
	}
	for name := range addedFailed {
		if inv.Hosts[name] != nil {
			t.Errorf("host %s was added by a write that failed with a conflict, and is there", name)
		}
	}
	// The base inventory's shape survived every merge and small write.
	if got := inv.Groups["web"].Hosts; len(got) < len(hosts) || !slices.Equal(got[:len(hosts)], hosts) {
		t.Errorf("group web's hosts: %v", got)
	}
	t.Logf("%d writers (%d Go API, %d kook-import) in %v: %d writes succeeded, %d lost a race with a conflict error (%d of the %d optimistic ones); imports succeeded %v of %d rounds; %d owned keys and %d hosts with \"shared\" checked",
		apiWriters+importers, apiWriters, importers, elapsed.Round(time.Millisecond), successes.Load(), conflicts.Load(),
		optimisticLost.Load(), (apiWriters-retrying)*apiOps, importOK, importRounds, len(lastTried), len(hosts))
	if optimisticLost.Load() == 0 {
		t.Errorf("no optimistic write lost a race: the writers did not race")
	}
	for _, n := range importOK {
		if n == 0 {
			t.Errorf("an importer never won a round: the test did not test imports racing small writes")
		}
	}
}

// faultProxies stand between a client and the members of an ensemble,
// one TCP proxy per member, and break the network on demand: Partition
// cuts every connection off (nothing passes, nothing is closed) until
// Heal; CutAtCommit breaks the connection at the moment a write's commit
// (the multi that records it in ROOT/log) passes, as a member dying with the
// request in flight does, either after the request reached ZooKeeper
// (its answer is lost) or before (the request is lost).
type faultProxies struct {
	targets []string
	lns     []net.Listener

	mu          sync.Mutex
	cut         bool
	refuseUntil time.Time
	trigger     *commitTrigger
	pairs       map[*proxyPair]bool
}

type commitTrigger struct {
	log     []byte        // the path of ROOT/log, as it appears in the request
	applied bool          // forward the request and drop its answer; else drop it
	outage  time.Duration // then refuse every connection this long
	fired   chan struct{}
}

type proxyPair struct {
	client, server net.Conn // server is nil for one held during a partition
	dead           atomic.Bool
}

func newFaultProxies(t *testing.T, targets []string) *faultProxies {
	t.Helper()
	p := &faultProxies{targets: targets, pairs: map[*proxyPair]bool{}}
	for i := range targets {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p.lns = append(p.lns, ln)
		go p.accept(i)
	}
	t.Cleanup(p.close)
	return p
}

// Addrs returns the proxies' addresses, one per member in member order.
func (p *faultProxies) Addrs() []string {
	var out []string
	for _, ln := range p.lns {
		out = append(out, ln.Addr().String())
	}
	return out
}

func (p *faultProxies) accept(i int) {
	for {
		c, err := p.lns[i].Accept()
		if err != nil {
			return
		}
		pair := &proxyPair{client: c}
		p.mu.Lock()
		cut, refuse := p.cut, time.Now().Before(p.refuseUntil)
		if !refuse {
			p.pairs[pair] = true
		}
		p.mu.Unlock()
		switch {
		case refuse:
			c.Close()
			continue
		case cut:
			pair.dead.Store(true)
			go pair.pipe(c, nil)
			continue
		}
		s, err := net.DialTimeout("tcp", p.targets[i], time.Second)
		if err != nil {
			c.Close()
			continue
		}
		pair.server = s
		go p.requests(pair)
		go pair.pipe(s, c)
	}
}

// requests forwards the client's requests frame by frame (a 4-byte
// length, then the request), so that a commit can be recognised: after
// the first frame (the session handshake) each starts with an xid and an
// opcode, 14 for a multi.
func (p *faultProxies) requests(pair *proxyPair) {
	defer pair.close()
	var hdr [4]byte
	for n := 0; ; n++ {
		if _, err := io.ReadFull(pair.client, hdr[:]); err != nil {
			return
		}
		size := int(binary.BigEndian.Uint32(hdr[:]))
		if size < 0 || size > 64<<20 {
			return
		}
		frame := make([]byte, 4+size)
		copy(frame, hdr[:])
		if _, err := io.ReadFull(pair.client, frame[4:]); err != nil {
			return
		}
		if pair.dead.Load() {
			continue
		}
		var tr *commitTrigger
		if n > 0 && size >= 8 && binary.BigEndian.Uint32(frame[8:12]) == 14 {
			p.mu.Lock()
			if p.trigger != nil && bytes.Contains(frame, p.trigger.log) {
				tr, p.trigger = p.trigger, nil
				p.refuseUntil = time.Now().Add(tr.outage)
			}
			p.mu.Unlock()
		}
		if tr == nil {
			if _, err := pair.server.Write(frame); err != nil {
				return
			}
			continue
		}
		pair.dead.Store(true)
		if tr.applied {
			// Let ZooKeeper get the request and answer it; the answer
			// is dropped, and then the connection breaks.
			pair.server.Write(frame)
			time.Sleep(300 * time.Millisecond)
		}
		close(tr.fired)
		return
	}
}

// pipe copies src to dst until either closes; once the pair is dead what
// arrives is dropped.
func (pp *proxyPair) pipe(src, dst net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			pp.close()
			return
		}
		if pp.dead.Load() || dst == nil {
			continue
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			pp.close()
			return
		}
	}
}

func (pp *proxyPair) close() {
	pp.client.Close()
	if pp.server != nil {
		pp.server.Close()
	}
}

// Partition stops all traffic through the proxies, without closing any
// connection; connections opened meanwhile are held silent.
func (p *faultProxies) Partition() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for pair := range p.pairs {
		pair.dead.Store(true)
	}
}

// Heal closes every connection the partition cut off and forwards new
// ones again.
func (p *faultProxies) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
	for pair := range p.pairs {
		if pair.dead.Load() {
			pair.close()
			delete(p.pairs, pair)
		}
	}
}

// CutAtCommit arms a one-shot break of the next commit of the inventory
// under root, through whichever proxy it passes; the returned channel is
// closed when it happened.
func (p *faultProxies) CutAtCommit(root string, applied bool, outage time.Duration) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.trigger = &commitTrigger{log: []byte(root + "/log"), applied: applied, outage: outage, fired: make(chan struct{})}
	return p.trigger.fired
}

func (p *faultProxies) close() {
	for _, ln := range p.lns {
		ln.Close()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for pair := range p.pairs {
		pair.close()
	}
}

// faultOp is one call through the Go API with its timing.
type faultOp struct {
	what       string
	start, end time.Time
	err        error
}

// faultClearErr returns why err is not a clear failure, or "".
func faultClearErr(err error) string {
	msg := err.Error()
	if strings.Contains(msg, "cannot reach ZooKeeper") || errors.Is(err, store.ErrConflict) {
		return ""
	}
	return "unclear error: " + msg
}

// faultOps records calls as faultOpLoop makes them.
type faultOps struct {
	mu  sync.Mutex
	ops []faultOp
}

func (o *faultOps) add(op faultOp) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ops = append(o.ops, op)
}

func (o *faultOps) all() []faultOp {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]faultOp(nil), o.ops...)
}

// waitWorked waits until a call started after since has worked, and half
// a second more, or until limit has passed.
func (o *faultOps) waitWorked(since time.Time, limit time.Duration) {
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		for _, op := range o.all() {
			if op.err == nil && op.start.After(since) {
				time.Sleep(500 * time.Millisecond)
				return
			}
		}
	}
}

// faultOpLoop runs writes and reads through st until stop is closed, each
// with a deadline of its own, recording them in rec; it alternates the
// whole inventory between a and b (a new generation each time) with
// one-var writes and full reads in between.
func faultOpLoop(st *store.Store, a, b *kook.Inventory, deadline time.Duration, stop <-chan struct{}, rec *faultOps) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		op := faultOp{start: time.Now()}
		switch i % 3 {
		case 0:
			inv := a
			if i%2 == 1 {
				inv = b
			}
			op.what = "Replace"
			_, op.err = st.Replace(ctx, inv, store.WriteOptions{})
		case 1:
			op.what = "SetHostVar"
			op.err = st.SetHostVar(ctx, a.HostNames()[0], "op", int64(i))
		case 2:
			op.what = "Load"
			_, _, op.err = st.Load(ctx)
		}
		cancel()
		op.end = time.Now()
		rec.add(op)
		if op.err != nil {
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// runOpLoop starts faultOpLoop and returns a function that stops it and
// returns its calls, failing the test if the loop does not end: a call
// that outlives every deadline hangs.
func runOpLoop(t *testing.T, st *store.Store, a, b *kook.Inventory, deadline time.Duration) (*faultOps, func() []faultOp) {
	rec := &faultOps{}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() { defer close(done); faultOpLoop(st, a, b, deadline, stop, rec) }()
	return rec, func() []faultOp {
		t.Helper()
		close(stop)
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
			t.Fatal("a call is still running 2 minutes after the fault ended: something hangs")
		}
		return rec.all()
	}
}

// faultCheckOps fails a call that outlived its deadline or failed unclearly,
// and returns when calls worked again after the fault ended (the end of
// the first successful call started after it) and a summary.
func faultCheckOps(t *testing.T, ops []faultOp, deadline time.Duration, faultEnd time.Time) (time.Duration, string) {
	t.Helper()
	const slack = 3 * time.Second
	var recovered time.Duration
	okN, failN := 0, 0
	msgs := map[string]int{}
	for i, op := range ops {
		if took := op.end.Sub(op.start); took > deadline+slack {
			t.Errorf("call %d (%s) took %v, past its %v deadline: %v", i, op.what, took, deadline, op.err)
		}
		if op.err == nil {
			okN++
			if op.start.After(faultEnd) && recovered == 0 {
				recovered = op.end.Sub(faultEnd)
			}
			continue
		}
		failN++
		if why := faultClearErr(op.err); why != "" {
			t.Errorf("call %d (%s): %s", i, op.what, why)
		}
		msgs[op.what+": "+faultPorts.ReplaceAllString(faultLine([]byte(op.err.Error())), ":PORT")]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d calls, %d worked, %d failed", len(ops), okN, failN)
	keys := make([]string, 0, len(msgs))
	for m := range msgs {
		keys = append(keys, m)
	}
	sort.Strings(keys)
	for _, m := range keys {
		fmt.Fprintf(&b, "\n  %d× %s", msgs[m], m)
	}
	return recovered, b.String()
}

// faultCheckConsistent fails unless the store holds exactly a or b (with the
// one var faultOpLoop sets on the first host ignored).
func faultCheckConsistent(t *testing.T, st *store.Store, a, b *kook.Inventory) {
	t.Helper()
	inv, _, err := st.Load(context.Background())
	if err != nil {
		t.Fatalf("Load after the fault: %v", err)
	}
	for _, h := range inv.Hosts {
		delete(h.Vars, "op")
	}
	da, db := testutil.GraphDiff(a, inv), testutil.GraphDiff(b, inv)
	if da != "" && db != "" {
		t.Fatalf("after the fault the store holds neither inventory; against the first (-want +got):\n%s", da)
	}
}

// ambiguousCommit: the connection breaks while a write's commit is in
// flight, the way a multi sent to a dying leader gets "connection closed"
// whether or not it was applied. When the commit reached ZooKeeper and
// only its answer was lost, the write reports success without sending it
// again; when the commit itself was lost, the write is made once on fresh
// data. Either way the log records it exactly once (every commit sets
// ROOT/log and adds one entry), so a write that is not
// idempotent (a counter incremented through Update) is applied once, and
// this holds for a one-bucket write, an Update, and the switch to a new
// generation, also when no server can be reached for a while after the
// break.
func (f *faults) ambiguousCommit(t *testing.T) {
	e := f.e.In(t)
	f.healthy(t)
	root := zktest.UniqueRoot(t)
	proxies := newFaultProxies(t, e.Addrs())
	st := openFaultStore(t, proxies.Addrs(), root, 5*time.Second, 10*time.Second)
	// Every host's vars differ between a and b, and 4,000 hosts' records
	// take more than one multi may carry (maxMultiBytes, 896 KiB), so
	// replacing one with the other takes the new-generation path.
	a, b := fleet.Generate(4000, 1), fleet.Generate(4000, 2)
	if _, err := st.Replace(context.Background(), a, store.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	host := a.HostNames()[0]
	commits := func() int32 {
		t.Helper()
		for attempt := 0; ; attempt++ {
			_, stat, err := st.Conn().Get(root + "/log")
			if err == nil {
				return stat.Version
			}
			if attempt == 40 {
				t.Fatalf("reading the log: %v", err)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	counter := func() int64 {
		t.Helper()
		inv, _, err := st.Load(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n, _ := inv.Hosts[host].Vars["counter"].(int64)
		return n
	}
	increment := func(ctx context.Context) error {
		_, err := st.Update(ctx, func(inv *kook.Inventory) error {
			n, _ := inv.Hosts[host].Vars["counter"].(int64)
			inv.Hosts[host].Vars["counter"] = n + 1
			return nil
		}, store.WriteOptions{})
		return err
	}
	next := b
	replace := func(ctx context.Context) error {
		res, err := st.Replace(ctx, next, store.WriteOptions{})
		if err == nil && !res.NewGeneration {
			return fmt.Errorf("the Replace did not write a new generation: the case does not test the switch")
		}
		return err
	}
	other := openFaultStore(t, e.Addrs(), root, 5*time.Second, 10*time.Second)
	otherHost := a.HostNames()[1]
	for i, c := range []struct {
		name       string
		applied    bool
		outage     time.Duration
		interloper bool // another client writes once while this one cannot reach ZooKeeper
		write      func(context.Context) error
	}{
		{"one var, answer lost", true, 0, false, func(ctx context.Context) error { return st.SetHostVar(ctx, host, "amb", "applied") }},
		{"one var, request lost", false, 0, false, func(ctx context.Context) error { return st.SetHostVar(ctx, host, "amb", "lost") }},
		{"counter, answer lost", true, 0, false, increment},
		{"counter, request lost", false, 0, false, increment},
		{"new generation, answer lost", true, 0, false, replace},
		{"new generation, request lost", false, 0, false, replace},
		{"counter, answer lost, then no server for 2.5 s", true, 2500 * time.Millisecond, false, increment},
		{"counter, request lost, another writer meanwhile", false, 2 * time.Second, true, increment},
		{"counter, answer lost, another writer meanwhile", true, 2 * time.Second, true, increment},
	} {
		v0, n0 := commits(), counter()
		fired := proxies.CutAtCommit(root, c.applied, c.outage)
		interloped := make(chan error, 1)
		if c.interloper {
			go func() {
				<-fired
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				interloped <- other.SetHostVar(ctx, otherHost, "interloper", int64(i))
			}()
		} else {
			interloped <- nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		t0 := time.Now()
		err := c.write(ctx)
		took := time.Since(t0)
		cancel()
		select {
		case <-fired:
		default:
			t.Fatalf("%s: no commit passed the proxies: the case tested nothing", c.name)
		}
		if ierr := <-interloped; ierr != nil {
			t.Fatalf("%s: the other writer: %v", c.name, ierr)
		}
		moved := commits() - v0
		n1 := counter()
		outcome := "succeeded"
		if err != nil {
			outcome = "failed (" + faultPorts.ReplaceAllString(err.Error(), ":PORT") + ")"
		}
		t.Logf("%s: the write %s in %v; %d commit(s) logged; counter %d -> %d", c.name, outcome, took.Round(time.Millisecond), moved, n0, n1)
		want := int32(1)
		if c.interloper {
			want = 2
		}
		switch {
		case err == nil:
		case c.applied && c.interloper && strings.Contains(err.Error(), "whether the write was applied is unknown"):
			// Applied, then overwritten before it could be read back:
			// saying so is the honest answer, a retry would apply it twice.
		default:
			t.Errorf("%s: the write failed after %v: %v", c.name, took, err)
			continue
		}
		if moved != want {
			t.Errorf("%s: %d commits logged, want %d: a write was sent again blindly or lost", c.name, moved, want)
		}
		if strings.HasPrefix(c.name, "counter") && n1 != n0+1 {
			t.Errorf("%s: counter went from %d to %d for one increment", c.name, n0, n1)
		}
		if strings.HasPrefix(c.name, "new generation") {
			inv, _, err := st.Load(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if diff := testutil.GraphDiff(next, inv); diff != "" {
				t.Errorf("%s: the store does not hold the new inventory (-want +got):\n%s", c.name, diff)
			}
			if next == b {
				next = a
			} else {
				next = b
			}
		}
	}
}

// sessionExpiry: the network between a Go API client and every member is
// cut (a proxy in front of each member drops all traffic) in the middle
// of its calls, for longer than its session timeout, so ZooKeeper expires
// the session. Calls during the partition fail clearly within their
// deadline; after it heals, calls work again on a new session.
func (f *faults) sessionExpiry(t *testing.T) {
	const deadline = 3 * time.Second
	const session = 2 * time.Second
	e := f.e.In(t)
	f.healthy(t)
	root := zktest.UniqueRoot(t)
	proxies := newFaultProxies(t, e.Addrs())
	a, b := fleet.Generate(3000, 1), fleet.Generate(3000, 2)
	st := openFaultStore(t, proxies.Addrs(), root, deadline, session)
	if _, err := st.Replace(context.Background(), a, store.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	before := st.Conn().SessionID()

	rec, stop := runOpLoop(t, st, a, b, deadline)
	time.Sleep(700 * time.Millisecond)
	cutAt := time.Now()
	proxies.Partition()
	time.Sleep(3 * session)
	proxies.Heal()
	healedAt := time.Now()
	rec.waitWorked(healedAt, 10*time.Second)
	ops := stop()
	recovered, summary := faultCheckOps(t, ops, deadline, healedAt)
	after := st.Conn().SessionID()
	t.Logf("partition for %v (session timeout %v): %s", healedAt.Sub(cutAt).Round(time.Millisecond), session, summary)
	t.Logf("session %#x before, %#x after; calls worked again %v after the partition healed", before, after, recovered.Round(time.Millisecond))
	if before == after {
		t.Errorf("the session did not expire: the test did not test expiry")
	}
	if recovered == 0 {
		t.Fatalf("no call worked within 10 s of the partition healing")
	}
	faultCheckConsistent(t, st, a, b)
}

// ensembleRestart: the whole ensemble is killed and started again in the
// middle of Go API calls. Calls while it is down fail clearly within
// their deadline; once it is back they work again with no reopening.
func (f *faults) ensembleRestart(t *testing.T) {
	const deadline = 3 * time.Second
	e := f.e.In(t)
	f.healthy(t)
	root := zktest.UniqueRoot(t)
	a, b := fleet.Generate(3000, 1), fleet.Generate(3000, 2)
	st := openFaultStore(t, e.Addrs(), root, deadline, 10*time.Second)
	if _, err := st.Replace(context.Background(), a, store.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	rec, stop := runOpLoop(t, st, a, b, deadline)
	time.Sleep(700 * time.Millisecond)
	downAt := time.Now()
	e.KillAll()
	time.Sleep(2 * time.Second)
	e.RestartAll()
	upAt := time.Now()
	rec.waitWorked(upAt, 10*time.Second)
	ops := stop()
	recovered, summary := faultCheckOps(t, ops, deadline, upAt)
	t.Logf("ensemble down for %v (killed, restarted): %s", upAt.Sub(downAt).Round(time.Millisecond), summary)
	t.Logf("calls worked again %v after every member served again", recovered.Round(time.Millisecond))
	if recovered == 0 {
		t.Fatalf("no call worked within 10 s of the ensemble coming back")
	}
	faultCheckConsistent(t, st, a, b)
}

// allDown: with no member running, and with only one of three (no
// quorum), kook-inventory --list and kook-import fail within their
// deadline naming every server; with stale_ok kook-inventory serves its
// last answer and says how old it is; once the ensemble is back --list
// works again.
func (f *faults) allDown(t *testing.T) {
	const timeout = 2 * time.Second
	const slack = 3 * time.Second
	e := f.e.In(t)
	f.healthy(t)
	root := zktest.UniqueRoot(t)
	env := f.env(t, e.Connect, root, "timeout: 2s\n")
	staleEnv := f.env(t, e.Connect, root, "timeout: 2s\nstale_ok: true\n")
	mustImport(t, env, demo)
	full := append(baseEnv(t), env...)
	stale := append(baseEnv(t), staleEnv...)
	fresh := runFaultCmd(time.Minute, stale, kookInvent, "--list")
	if fresh.code != 0 {
		t.Fatalf("--list: %s", fresh.stderr)
	}
	src := writeTemp(t, "more.ini", []byte("[extra]\nx01\n"))

	for _, c := range []struct {
		name string
		kill []int
	}{
		{"two of three members down (no quorum)", []int{0, 1}},
		{"every member down", []int{0, 1, 2}},
	} {
		f.healthy(t)
		for _, i := range c.kill {
			e.Kill(i)
		}
		for _, p := range []struct {
			prog string
			args []string
		}{
			{"kook-inventory", []string{kookInvent, "--list", "--no-cache"}},
			{"kook-import", []string{kookImport, src}},
		} {
			r := runFaultCmd(timeout+time.Minute, full, p.args[0], p.args[1:]...)
			if why := unclearFailure(p.prog, r, "cannot reach ZooKeeper at "+e.Connect); why != "" {
				t.Errorf("%s, %s: %s", c.name, p.prog, why)
			}
			if r.took() > timeout+slack {
				t.Errorf("%s, %s: failed after %v, past its %v deadline", c.name, p.prog, r.took(), timeout)
			}
			t.Logf("%s: %s failed in %v: %s", c.name, p.prog, r.took().Round(time.Millisecond), faultPorts.ReplaceAllString(faultLine(r.stderr), ":PORT"))
		}
		s := runFaultCmd(timeout+time.Minute, stale, kookInvent, "--list")
		if s.code != 0 || !bytes.Equal(s.stdout, fresh.stdout) {
			t.Errorf("%s: stale_ok did not serve the cached inventory: exit %d: %s", c.name, s.code, s.stderr)
		} else if !strings.Contains(string(s.stderr), "cached") {
			t.Errorf("%s: a stale answer without a note of its age: %q", c.name, s.stderr)
		}
		if s.took() > timeout+slack {
			t.Errorf("%s: the stale answer came after %v, past the %v deadline", c.name, s.took(), timeout)
		}
	}
	t0 := time.Now()
	e.RestartAll()
	list, failed := faultListUntilOK(t, env, 20*time.Second)
	t.Logf("ensemble back: --list worked %v after the restart began (%d attempts failed)", time.Since(t0).Round(time.Millisecond), failed)
	if !bytes.Equal(list, fresh.stdout) {
		t.Errorf("after the ensemble came back --list shows another inventory")
	}
}
