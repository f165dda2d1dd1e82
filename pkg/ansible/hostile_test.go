package ansible_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
)

// Hostile input: every case runs in a child process (this test binary
// again, running TestHostileChild) so that its peak memory can be measured
// on its own and a stack overflow or a hang fails one case instead of the
// whole package. The child makes its input, reads it and checks the result
// with ordinary assertions; the parent checks the child passed and that its
// peak resident memory, input included, stayed under hostileMemLimit.
const (
	hostileMemLimit = 500 << 20
	// hostileMaxStack fails a case whose recursion runs away long before
	// Go's 1 GB default would.
	hostileMaxStack = 256 << 20
	// hostileWatchdog ends a child whose heap passes it, so that a
	// regression fails the test instead of exhausting the machine.
	hostileWatchdog = 2 << 30
	hostileCaseEnv  = "KOOK_HOSTILE_CASE"
	hostilePeakTag  = "hostile-peak-bytes: "
	hostileYAMLTag  = "hostile-yaml-input-bytes: "
)

// hostileYAMLBound is the peak memory allowed to a case that reads a YAML
// document of n bytes: the reader's budget (20 times the input plus 64 MiB,
// see the README), the case's own two copies of the input, and the test
// process's baseline.
func hostileYAMLBound(n uint64) uint64 { return 20*n + 64<<20 + 2*n + 32<<20 }

type hostileCase struct {
	name string
	slow bool // takes seconds: skipped with -short
	// inventory: the memory is that of the hosts the input names (ranges,
	// huge host lists), bounded by the range limits and by what kook keeps
	// per host, not by the YAML reader's budget.
	inventory bool
	run       func(t *testing.T)
}

func TestHostileInput(t *testing.T) {
	if os.Getenv(hostileCaseEnv) != "" {
		t.Skip("running as a child")
	}
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			if c.slow && testing.Short() {
				t.Skip("builds a million hosts; skipped with -short")
			}
			peak, yamlBytes := runHostileChild(t, c.name)
			t.Logf("peak memory %d MB", peak>>20)
			if peak > hostileMemLimit {
				t.Errorf("peak memory %d MB, want under %d MB", peak>>20, hostileMemLimit>>20)
			}
			if yamlBytes > 0 && !c.inventory && peak > hostileYAMLBound(yamlBytes) {
				t.Errorf("peak memory %d MB reading %d KB of YAML, want under %d MB", peak>>20, yamlBytes>>10, hostileYAMLBound(yamlBytes)>>20)
			}
		})
	}
}

// runHostileChild runs one case in a child process and returns its peak
// memory. A child still running after ten minutes is a hang, not slowness.
func runHostileChild(t *testing.T, name string) (peak, yamlBytes uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHostileChild$", "-test.v")
	cmd.Env = append(os.Environ(), hostileCaseEnv+"="+name, "GOMAXPROCS=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("case did not finish in 10 minutes (hangs?)\n%s", tail(out.String()))
	}
	if err != nil {
		t.Fatalf("case failed: %v\n%s", err, tail(out.String()))
	}
	sc := bufio.NewScanner(&out)
	found := false
	for sc.Scan() {
		for tag, into := range map[string]*uint64{hostilePeakTag: &peak, hostileYAMLTag: &yamlBytes} {
			if v, ok := strings.CutPrefix(sc.Text(), tag); ok {
				n, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				*into, found = n, found || tag == hostilePeakTag
			}
		}
	}
	if !found {
		t.Fatalf("child printed no peak memory:\n%s", tail(out.String()))
	}
	return peak, yamlBytes
}

func tail(s string) string {
	if len(s) > 4000 {
		return "..." + s[len(s)-4000:]
	}
	return s
}

// TestHostileChild is one case of TestHostileInput, run in a child.
func TestHostileChild(t *testing.T) {
	name := os.Getenv(hostileCaseEnv)
	if name == "" {
		t.Skip("run by TestHostileInput")
	}
	var c *hostileCase
	for _, hc := range hostileCases() {
		if hc.name == name {
			c = &hc
		}
	}
	if c == nil {
		t.Fatalf("no case %q", name)
	}
	debug.SetMaxStack(hostileMaxStack)
	peak := watchMemory()
	c.run(t)
	fmt.Printf("%s%d\n", hostilePeakTag, peak())
	fmt.Printf("%s%d\n", hostileYAMLTag, yamlInputBytes)
}

// watchMemory samples the memory the Go runtime holds every millisecond,
// ends the process past hostileWatchdog, and returns a function giving the
// peak: the kernel's peak resident size where there is one (Linux), else
// the highest sample.
func watchMemory() func() uint64 {
	samples := []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	var high uint64
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(samples)
			held := samples[0].Value.Uint64() - samples[1].Value.Uint64()
			high = max(high, held)
			if held > hostileWatchdog {
				fmt.Printf("memory passed %d MB: stopping\n", hostileWatchdog>>20)
				os.Exit(3)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		if hwm, ok := peakRSS(); ok {
			return hwm
		}
		return high
	}
}

// peakRSS reads VmHWM, the process's peak resident size, on Linux.
func peakRSS() (uint64, bool) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

// wantError checks err is an *ansible.Error for file at line (0 for no
// line, -1 for any line) whose message holds msg, and that nothing was
// returned with it.
func wantError(t *testing.T, inv *kook.Inventory, err error, file string, line int, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s:%d: ...%s...", file, line, msg)
	}
	var e *ansible.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T is not an *ansible.Error: %.300s", err, err)
	}
	if e.File != file || (line >= 0 && e.Line != line) || (line < 0 && e.Line < 1) {
		t.Errorf("error at %s:%d, want %s:%d: %.300s", e.File, e.Line, file, line, err)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("error %.300q does not say %q", err, msg)
	}
	if len(err.Error()) > 4096 {
		t.Errorf("error message of %d bytes: it should not quote the input at length", len(err.Error()))
	}
	if inv != nil {
		t.Error("an inventory came back with the error")
	}
}

// mustRead returns a function that takes a reader's results and fails
// the test unless they are an inventory: mustRead(t)(ansible.ParseINI(ansible.ReadOptions{Rules: ansible.Rules214, Warn: ...})).
func mustRead(t *testing.T) func(*kook.Inventory, error) *kook.Inventory {
	return func(inv *kook.Inventory, err error) *kook.Inventory {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %.500v", err)
		}
		if inv == nil {
			t.Fatal("nil inventory without error")
		}
		return inv
	}
}

func iniParse(text string) (*kook.Inventory, error) {
	return ansible.ParseINI("h.ini", []byte(text), ansible.ReadOptions{Rules: ansible.Rules214})
}

// yamlInputBytes is the largest YAML document the case read, against
// which its memory is bounded (see hostileYAMLBound).
var yamlInputBytes int

func yamlParse(text string) (*kook.Inventory, error) {
	yamlInputBytes = max(yamlInputBytes, len(text))
	return ansible.ParseYAML("h.yml", []byte(text), ansible.ReadOptions{Rules: ansible.Rules214})
}

// nested returns open n times, then inner, then close n times.
func nested(open, inner, close string, n int) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

// yamlAliasLevels defines anchors l0..l(levels-1) under vars, each a list
// of ten aliases of the one before: 10^levels values from a few hundred
// bytes.
func yamlAliasLevels(levels int) string {
	var b strings.Builder
	b.WriteString("g:\n  vars:\n    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "    l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 10), ", "))
	}
	return b.String()
}

func hostileCases() []hostileCase {
	long := func() string { return strings.Repeat("h", 1<<20) }
	return []hostileCase{
		// --- Huge host ranges: refused before anything is built.
		{name: "ini-range-100-million", run: func(t *testing.T) {
			inv, err := iniParse("[g]\nok\nh[0:99999999]\n")
			wantError(t, inv, err, "h.ini", 3, "host range expands to more than 1000000 hosts")
		}},
		{name: "ini-ranges-multiplying", run: func(t *testing.T) {
			inv, err := iniParse("[g]\nh[0:999]-[0:999]-[0:9]\n") // 10 million
			wantError(t, inv, err, "h.ini", 2, "host range expands to more than 1000000 hosts")
		}},
		{name: "ini-letter-ranges", run: func(t *testing.T) {
			inv, err := iniParse("\n[g]\nh[a:Z][a:Z][a:Z][a:Z]\n") // 52^4
			wantError(t, inv, err, "h.ini", 3, "host range expands to more than 1000000 hosts")
		}},
		{name: "ini-ranges-adding-up", slow: true, run: func(t *testing.T) {
			// Each line is within the limit; the file is not.
			inv, err := iniParse("[a]\nx[0:599999]\n[b]\ny[0:599999]\n")
			wantError(t, inv, err, "h.ini", 4, "host ranges in this file expand to more than 1000000 hosts in all")
		}},
		{name: "yaml-range-100-million", inventory: true, run: func(t *testing.T) {
			inv, err := yamlParse("all:\n  hosts:\n    h[0:99999999]:\n")
			wantError(t, inv, err, "h.yml", 3, "host range expands to more than 1000000 hosts")
		}},
		{name: "yaml-range-through-aliases", inventory: true, slow: true, run: func(t *testing.T) {
			inv, err := yamlParse("a:\n  hosts: &h\n    x[0:599999]:\nb:\n  hosts: *h\n")
			wantError(t, inv, err, "h.yml", 3, "host ranges in this file expand to more than 1000000 hosts in all")
		}},
		{name: "yaml-range-with-shared-vars", inventory: true, run: func(t *testing.T) {
			// 100,000 hosts, each given the same 200-item list.
			inv, err := yamlParse("g:\n  vars:\n    big: &big [" + strings.TrimSuffix(strings.Repeat("x, ", 200), ", ") +
				"]\n  hosts:\n    h[0:99999]:\n      v: *big\n")
			wantError(t, inv, err, "h.yml", -1, "alias bomb, or vars on a huge host range")
		}},
		{name: "json-as-yaml-range", inventory: true, run: func(t *testing.T) {
			// A .json file in the YAML inventory shape is read as YAML.
			inv, err := ansible.ParseSource("r.json", []byte(`{"g": {"hosts": {"h[0:99999999]": null}}}`), "", ansible.ReadOptions{Rules: ansible.Rules214})
			wantError(t, inv, err, "r.json", 1, "host range expands to more than 1000000 hosts")
		}},

		// --- YAML alias bombs.
		{name: "yaml-billion-laughs", run: func(t *testing.T) {
			inv, err := yamlParse(yamlAliasLevels(10))
			wantError(t, inv, err, "h.yml", -1, "alias bomb")
		}},
		{name: "yaml-billion-laughs-host-vars", run: func(t *testing.T) {
			inv, err := yamlParse(yamlAliasLevels(10) + "  hosts:\n    h:\n      v: *l9\n")
			wantError(t, inv, err, "h.yml", -1, "alias bomb")
		}},
		{name: "yaml-merge-key-bomb", run: func(t *testing.T) {
			var b strings.Builder
			b.WriteString("g:\n  vars:\n    m0: &m0 {k0: 1}\n")
			for i := 1; i < 40; i++ {
				fmt.Fprintf(&b, "    m%d: &m%d {<<: [*m%d, *m%d], k%d: %d}\n", i, i, i-1, i-1, i, i)
			}
			inv, err := yamlParse(b.String())
			wantError(t, inv, err, "h.yml", -1, "alias bomb")
		}},
		{name: "yaml-children-bomb", run: func(t *testing.T) {
			// Ten levels of groups, each level's children ten copies of the
			// level below: 10^10 group definitions to walk.
			var b strings.Builder
			b.WriteString("all:\n  children:\n    l0: &l0\n      hosts:\n        h:\n")
			for i := 1; i < 10; i++ {
				fmt.Fprintf(&b, "    l%d: &l%d\n      children: {", i, i)
				for j := 0; j < 10; j++ {
					if j > 0 {
						b.WriteString(", ")
					}
					fmt.Fprintf(&b, "c%d_%d: *l%d", i, j, i-1)
				}
				b.WriteString("}\n")
			}
			inv, err := yamlParse(b.String())
			wantError(t, inv, err, "h.yml", -1, "alias bomb")
		}},
		{name: "yaml-group-holding-itself", run: func(t *testing.T) {
			inv, err := yamlParse("all:\n  children:\n    g: &g\n      children:\n        h: *g\n")
			wantError(t, inv, err, "h.yml", 5, "maximum recursion depth exceeded")
		}},
		{name: "yaml-recursive-vars", run: func(t *testing.T) {
			inv, err := yamlParse("g:\n  vars:\n    v: &v [1, *v]\n")
			wantError(t, inv, err, "h.yml", -1, "recursive alias")
		}},

		// --- Deep nesting: refused, or kept as text where Ansible keeps it.
		{name: "yaml-100k-flow-sequences", run: func(t *testing.T) {
			inv, err := yamlParse("g:\n  vars:\n    v: " + nested("[", "", "]", 100000) + "\n")
			wantError(t, inv, err, "h.yml", 3, "YAML nesting deeper than 1000 levels")
		}},
		{name: "yaml-100k-flow-mappings", run: func(t *testing.T) {
			inv, err := yamlParse("g:\n  vars:\n    v: " + nested("{a: ", "1", "}", 100000) + "\n")
			wantError(t, inv, err, "h.yml", 3, "YAML nesting deeper than 1000 levels")
		}},
		{name: "yaml-100k-block-sequences", run: func(t *testing.T) {
			inv, err := yamlParse("g:\n  vars:\n    v:\n      " + strings.Repeat("- ", 100000) + "x\n")
			wantError(t, inv, err, "h.yml", 4, "YAML nesting deeper than 1000 levels")
		}},
		{name: "yaml-3000-indented-mappings", run: func(t *testing.T) {
			var b strings.Builder
			b.WriteString("g:\n  vars:\n")
			for i := 0; i < 3000; i++ {
				b.WriteString(strings.Repeat(" ", 4+i) + "k:\n")
			}
			inv, err := yamlParse(b.String())
			wantError(t, inv, err, "h.yml", -1, "YAML nesting deeper than 1000 levels")
		}},
		{name: "yaml-100k-nested-groups", run: func(t *testing.T) {
			inv, err := yamlParse("g0: " + nested("{children: {g: ", "{}", "}}", 100000) + "\n")
			wantError(t, inv, err, "h.yml", 1, "YAML nesting deeper than 1000 levels")
		}},
		{name: "yaml-long-key-over-many-entries", run: func(t *testing.T) {
			// goccy stored every node's path: a 1 MB key above 2,000
			// entries cost 4 GB of paths. kook's reader costs the entries.
			var b strings.Builder
			b.WriteString("g:\n  vars:\n    ? " + long() + "\n    :\n")
			for i := 0; i < 2000; i++ {
				fmt.Fprintf(&b, "      k%d: %d\n", i, i)
			}
			inv := mustRead(t)(yamlParse(b.String()))
			if v, ok := inv.Groups["g"].Vars[long()].(map[string]any); !ok || len(v) != 2000 {
				t.Errorf("value %.100v, want a mapping of 2000 keys", inv.Groups["g"].Vars[long()])
			}
		}},
		{name: "yaml-100001-keys-in-one-mapping", inventory: true, run: func(t *testing.T) {
			// goccy's parser took minutes (quadratic); kook's reader is linear.
			var b strings.Builder
			b.WriteString("g:\n  hosts:\n")
			for i := 0; i <= 100000; i++ {
				fmt.Fprintf(&b, "    h%d:\n", i)
			}
			inv := mustRead(t)(yamlParse(b.String()))
			if len(inv.Hosts) != 100001 {
				t.Errorf("%d hosts, want 100001", len(inv.Hosts))
			}
		}},
		{name: "json-100k-arrays", run: func(t *testing.T) {
			inv, err := ansible.ParseJSON("h.json", []byte(`{"g": {"vars": {"v": `+nested("[", "", "]", 100000)+`}}}`), ansible.ReadOptions{Rules: ansible.Rules214})
			wantError(t, inv, err, "h.json", 1, "maximum recursion depth exceeded")
		}},
		{name: "json-100k-objects-on-many-lines", run: func(t *testing.T) {
			inv, err := ansible.ParseJSON("h.json", []byte("{\"g\": {\"vars\": {\"v\": \n"+nested("{\"a\":\n", "1", "}", 100000)+"}}}"), ansible.ReadOptions{Rules: ansible.Rules214})
			wantError(t, inv, err, "h.json", 999, "maximum recursion depth exceeded")
		}},
		{name: "archive-100k-arrays", run: func(t *testing.T) {
			doc := `{"__meta__": {"groups": "/g", "hosts": "/h"}, "/h": {"x": {"vars": {"v": ` + nested("[", "", "]", 100000) + `}}}}`
			inv, err := ansible.ParseArchive("h.json", []byte(doc), ansible.ReadOptions{Rules: ansible.Rules214})
			wantError(t, inv, err, "h.json", 1, "maximum recursion depth exceeded")
		}},
		{name: "ini-100k-nested-literal", run: func(t *testing.T) {
			// Python's parser gives up past 200 brackets; the INI plugin
			// then keeps the value as the text it is.
			deep := nested("[", "", "]", 100000)
			inv := mustRead(t)(iniParse("[g]\nh v=" + deep + "\n[g:vars]\nw=" + deep + "\n"))
			if got := inv.Hosts["h"].Vars["v"]; got != deep {
				t.Errorf("host var is %.80v, want the text", got)
			}
			if got := inv.Groups["g"].Vars["w"]; got != deep {
				t.Errorf("group var is %.80v, want the text", got)
			}
		}},
		{name: "ini-200-nested-literal", run: func(t *testing.T) {
			inv := mustRead(t)(iniParse("[g]\nh v=" + nested("[", "1", "]", 150) + "\n"))
			v := inv.Hosts["h"].Vars["v"]
			for i := 0; i < 150; i++ {
				l, ok := v.([]any)
				if !ok || len(l) != 1 {
					t.Fatalf("level %d is %T, want a one-item list", i, v)
				}
				v = l[0]
			}
			if v != int64(1) {
				t.Errorf("innermost value %v, want 1", v)
			}
		}},

		// --- Multi-megabyte lines.
		{name: "ini-10MB-value", run: func(t *testing.T) {
			value := strings.Repeat("x", 10<<20)
			inv := mustRead(t)(iniParse("[g]\nh v=" + value + "\n"))
			if got := inv.Hosts["h"].Vars["v"]; got != value {
				t.Errorf("value of %d bytes, want %d", len(fmt.Sprint(got)), len(value))
			}
		}},
		{name: "ini-10MB-line-of-vars", run: func(t *testing.T) {
			inv := mustRead(t)(iniParse("[g]\nh " + strings.Repeat("a=1 b='2' ", 1<<20) + "\n"))
			want := kook.Vars{"a": int64(1), "b": int64(2)} // the INI plugin evaluates '2' too
			if got := inv.Hosts["h"].Vars; !kook.EqualVars(got, want) {
				t.Errorf("vars %v, want %v", got, want)
			}
		}},
		{name: "json-10MB-string", run: func(t *testing.T) {
			value := strings.Repeat("x", 10<<20)
			inv := mustRead(t)(ansible.ParseJSON("h.json", []byte(`{"g": {"hosts": ["h"], "vars": {"v": "`+value+`"}}}`), ansible.ReadOptions{Rules: ansible.Rules214}))
			if got := inv.Groups["g"].Vars["v"]; got != value {
				t.Errorf("value of %d bytes, want %d", len(fmt.Sprint(got)), len(value))
			}
		}},
		{name: "yaml-10MB-scalar", run: func(t *testing.T) {
			value := strings.Repeat("x", 10<<20)
			inv := mustRead(t)(yamlParse("g:\n  vars:\n    v: " + value + "\n  hosts:\n    h:\n"))
			if got := inv.Groups["g"].Vars["v"]; got != value {
				t.Errorf("value of %d bytes, want %d", len(fmt.Sprint(got)), len(value))
			}
		}},
		{name: "yaml-10MB-quoted-scalar", run: func(t *testing.T) {
			value := strings.Repeat("x y ", 10<<18)
			inv := mustRead(t)(yamlParse("g:\n  vars:\n    v: '" + value + "'\n"))
			if got := inv.Groups["g"].Vars["v"]; got != value {
				t.Errorf("value of %d bytes, want %d", len(fmt.Sprint(got)), len(value))
			}
		}},
		{name: "yaml-10MB-flow-sequence", run: func(t *testing.T) {
			// Five million one-letter items: nodes far costlier than their
			// text, refused by the budget scaled to the input.
			inv, err := yamlParse("g:\n  vars:\n    v: [" + strings.Repeat("a,", 5<<20) + "]\n")
			wantError(t, inv, err, "h.yml", 3, "YAML document too costly to read")
		}},
		{name: "yaml-1MB-flow-sequence-within-budget", run: func(t *testing.T) {
			// The same shape, smaller: within 20 times its size plus 64 MiB.
			inv := mustRead(t)(yamlParse("g:\n  vars:\n    v: [" + strings.Repeat("a,", 1<<19) + "]\n"))
			if v, ok := inv.Groups["g"].Vars["v"].([]any); !ok || len(v) != 1<<19 {
				t.Errorf("got %d items, want %d", len(v), 1<<19)
			}
		}},
		{name: "yaml-honest-20k-hosts-within-limits", inventory: true, run: func(t *testing.T) {
			// The limits above leave an ordinary large inventory alone.
			var b strings.Builder
			b.WriteString("all:\n  children:\n")
			for g := 0; g < 100; g++ {
				fmt.Fprintf(&b, "    group%02d:\n      vars: {tier: t%d}\n      hosts:\n", g, g%3)
				for h := g; h < 20000; h += 100 {
					fmt.Fprintf(&b, "        host%05d.example.com:\n          ansible_host: 10.0.%d.%d\n          rack: %d\n          tags: [a, b]\n", h, h/256, h%256, h%10)
				}
			}
			inv := mustRead(t)(yamlParse(b.String()))
			if len(inv.Hosts) != 20000 || len(inv.Groups) != 102 {
				t.Errorf("%d hosts, %d groups", len(inv.Hosts), len(inv.Groups))
			}
			if v := inv.Hosts["host12345.example.com"].Vars; !kook.EqualVars(v, kook.Vars{"ansible_host": "10.0.48.57", "rack": int64(5), "tags": []any{"a", "b"}}) {
				t.Errorf("vars %v", v)
			}
		}},
		{name: "yaml-40MB-document", run: func(t *testing.T) {
			// No fixed size limit: a 40 MB scalar is read within the budget.
			inv := mustRead(t)(yamlParse("g:\n  vars:\n    v: " + strings.Repeat("x", 40<<20) + "\n"))
			if v, _ := inv.Groups["g"].Vars["v"].(string); len(v) != 40<<20 {
				t.Errorf("value of %d bytes, want %d", len(v), 40<<20)
			}
		}},

		// --- Bytes that are not text.
		{name: "not-utf8", run: func(t *testing.T) {
			inv, err := iniParse("[g]\nh v=caf\xe9\n")
			wantError(t, inv, err, "h.ini", 2, "not valid UTF-8")
			inv, err = iniParse("[caf\xe9]\nh\n")
			wantError(t, inv, err, "h.ini", 1, "not valid UTF-8")
			inv, err = yamlParse("g:\n  hosts:\n    caf\xe9:\n")
			wantError(t, inv, err, "h.yml", 3, "invalid UTF-8")
			inv, err = ansible.ParseJSON("h.json", []byte("{\"g\": [\"caf\xe9\"]}"), ansible.ReadOptions{Rules: ansible.Rules214})
			wantError(t, inv, err, "h.json", 1, "cannot be interpreted as UTF-8")
			// Detected as YAML, then read as INI: both fail on that line.
			inv, err = ansible.ParseSource("hosts", []byte("[g]\nok\ncaf\xe9\n"), "", ansible.ReadOptions{Rules: ansible.Rules214})
			wantError(t, inv, err, "hosts", 3, "UTF-8")
		}},
		{name: "nul-bytes", run: func(t *testing.T) {
			// libyaml refuses control characters anywhere, quoted or not.
			inv, err := yamlParse("g:\n  hosts:\n    h:\n      v: 'a\x00b'\n")
			wantError(t, inv, err, "h.yml", 4, "unacceptable character #x0000: control characters are not allowed")
			// A JSON string may not hold one raw, only escaped.
			inv, err = ansible.ParseJSON("h.json", []byte("{\"g\": [\"a\x00b\"]}"), ansible.ReadOptions{Rules: ansible.Rules214})
			wantError(t, inv, err, "h.json", 1, "Invalid control character")
			inv = mustRead(t)(ansible.ParseJSON("h.json", []byte(`{"g": ["a\u0000b"]}`), ansible.ReadOptions{Rules: ansible.Rules214}))
			if inv.Hosts["a\x00b"] == nil {
				t.Errorf("hosts %v, want a\\x00b", inv.HostNames())
			}
			// Python's INI reading keeps them, and so does kook's.
			inv = mustRead(t)(iniParse("[g]\na\x00b v=c\x00d\n"))
			if h := inv.Hosts["a\x00b"]; h == nil || h.Vars["v"] != "c\x00d" {
				t.Errorf("hosts %q, want a\\x00b with v=c\\x00d", inv.HostNames())
			}
		}},
		{name: "5MB-random-bytes", run: func(t *testing.T) {
			data := make([]byte, 5<<20)
			r := rand.New(rand.NewPCG(1, 2))
			for i := range data {
				data[i] = byte(r.Uint32())
			}
			checkAnyReading(t, data)
		}},
		{name: "5MB-random-yaml-text", run: func(t *testing.T) {
			// Text made of YAML's indicators, words and line breaks.
			const alphabet = "abcdefgh01234   \n\n\n:::---[]{},,#&*!|>'\"?%@`\t.="
			r := rand.New(rand.NewPCG(3, 4))
			data := make([]byte, 5<<20)
			for i := range data {
				data[i] = alphabet[r.IntN(len(alphabet))]
			}
			checkAnyReading(t, data)
		}},
		{name: "2MB-random-indented-yaml", run: func(t *testing.T) {
			// Lines that look like YAML, so that the parser is reached.
			r := rand.New(rand.NewPCG(5, 6))
			var b strings.Builder
			pieces := []string{"k%d: v", "- x%d", "k%d:", "k%d: [a, {b: c}]", "? k%d", ": v%d", "k%d: &a%d x", "k%d: *a%d", "k%d: 'q'", "k%d: |"}
			for b.Len() < 2<<20 {
				b.WriteString(strings.Repeat(" ", 2*r.IntN(12)))
				p := pieces[r.IntN(len(pieces))]
				fmt.Fprintf(&b, strings.ReplaceAll(p, "%d", "%[1]d")+"\n", r.IntN(1000))
			}
			checkAnyReading(t, []byte(b.String()))
		}},

		// --- Directories that loop or hold what cannot be read.
		{name: "dir-symlink-loop", run: func(t *testing.T) {
			dir := writeTree(t, map[string]string{"hosts": "[g]\nh\n"})
			symlink(t, ".", filepath.Join(dir, "loop"))
			inv, err := ansible.Read([]string{dir}, "", ansible.ReadOptions{Rules: ansible.Rules214})
			wantError(t, inv, err, filepath.Join(dir, "loop"), 0, "symlink loop")
		}},
		{name: "dir-group-vars-loops", run: func(t *testing.T) {
			// Two links back: 2^40 paths before the kernel's ELOOP.
			dir := writeTree(t, map[string]string{"hosts": "[g]\nh\n", "group_vars/g/x.yml": "v: 1\n"})
			symlink(t, ".", filepath.Join(dir, "group_vars", "g", "a"))
			symlink(t, ".", filepath.Join(dir, "group_vars", "g", "b"))
			inv, err := ansible.Read([]string{dir}, "", ansible.ReadOptions{Rules: ansible.Rules214})
			wantError(t, inv, err, filepath.Join(dir, "group_vars", "g", "a"), 0, "symlink loop")
		}},
		{name: "dir-group-vars-is-itself", run: func(t *testing.T) {
			// group_vars -> group_vars cannot be resolved: as for Ansible,
			// there are no group vars.
			dir := writeTree(t, map[string]string{"hosts": "[g]\nh\n"})
			symlink(t, "group_vars", filepath.Join(dir, "group_vars"))
			inv := mustRead(t)(ansible.Read([]string{dir}, "", ansible.ReadOptions{Rules: ansible.Rules214}))
			if got := inv.Groups["g"]; got == nil || len(got.Vars) != 0 || len(got.Hosts) != 1 {
				t.Errorf("group g is %+v, want h and no vars", got)
			}
		}},
		{name: "dir-fifos-and-devices", run: func(t *testing.T) {
			if _, err := os.Stat("/dev/zero"); err != nil {
				t.Skip("no /dev/zero")
			}
			dir := writeTree(t, map[string]string{
				"hosts":              "[g]\nh\n[k]\nk1\n",
				"group_vars/k/x.yml": "kv: 1\n",
				"host_vars/h.yml":    "hv: 2\n",
			})
			fifo := mkfifo(t, filepath.Join(dir, "pipe"))
			mkfifo(t, filepath.Join(dir, "group_vars", "g"))
			mkfifo(t, filepath.Join(dir, "group_vars", "k", "y.yml"))
			symlink(t, "/dev/zero", filepath.Join(dir, "zero"))
			symlink(t, "/dev/zero", filepath.Join(dir, "host_vars", "k1"))
			var warnings []string
			inv := mustRead(t)(ansible.Read([]string{dir}, "", ansible.ReadOptions{Rules: ansible.Rules214, Warn: func(m string) { warnings = append(warnings, m) }}))
			if got := inv.Groups["k"].FileVars; !kook.EqualVars(got, kook.Vars{"kv": int64(1)}) {
				t.Errorf("group k file vars %v", got)
			}
			if got := inv.Hosts["h"].FileVars; !kook.EqualVars(got, kook.Vars{"hv": int64(2)}) {
				t.Errorf("host h file vars %v", got)
			}
			for _, p := range []string{fifo, filepath.Join(dir, "zero"), filepath.Join(dir, "group_vars", "g"),
				filepath.Join(dir, "group_vars", "k", "y.yml"), filepath.Join(dir, "host_vars", "k1")} {
				want := "Skipping " + p + ": not a regular file"
				found := false
				for _, w := range warnings {
					found = found || w == want
				}
				if !found {
					t.Errorf("no warning %q in %q", want, warnings)
				}
			}
		}},

		// --- Very long names.
		{name: "ini-1MB-names", run: func(t *testing.T) {
			host, group := long(), strings.Repeat("g", 1<<20)
			inv := mustRead(t)(iniParse("[" + group + "]\n" + host + " a=1\n"))
			if g := inv.Groups[group]; g == nil || len(g.Hosts) != 1 || g.Hosts[0] != host {
				t.Fatal("1 MB group or host name lost")
			}
			if v := inv.Hosts[host].Vars["a"]; v != int64(1) {
				t.Errorf("host var %v", v)
			}
		}},
		{name: "json-1MB-names", run: func(t *testing.T) {
			host, group := long(), strings.Repeat("g", 1<<20)
			inv := mustRead(t)(ansible.ParseJSON("h.json", []byte(`{"`+group+`": {"hosts": ["`+host+`"]}}`), ansible.ReadOptions{Rules: ansible.Rules214}))
			if g := inv.Groups[group]; g == nil || len(g.Hosts) != 1 || g.Hosts[0] != host {
				t.Fatal("1 MB group or host name lost")
			}
		}},
		{name: "yaml-1MB-names", run: func(t *testing.T) {
			// libyaml takes a plain "key:" of at most 1024 characters, so
			// Ansible fails on a longer host key; the same name as a
			// string, or as an explicit "? key", is a host.
			host := long()
			inv, err := yamlParse("g:\n  hosts:\n    " + host + ":\n")
			wantError(t, inv, err, "h.yml", 3, "mapping values are not allowed in this context")
			inv = mustRead(t)(yamlParse("g:\n  hosts: " + host + "\n"))
			if inv.Hosts[host] == nil {
				t.Error("1 MB host name lost")
			}
			group := strings.Repeat("g", 1<<20)
			inv = mustRead(t)(yamlParse("? " + group + "\n:\n  hosts:\n    ? " + host + "\n    :\n      a: 1\n"))
			if g := inv.Groups[group]; g == nil || len(g.Hosts) != 1 || inv.Hosts[host].Vars["a"] != int64(1) {
				t.Error("1 MB group or host name lost")
			}
		}},
		{name: "dir-1MB-names-with-vars-dirs", run: func(t *testing.T) {
			// Names far past NAME_MAX are looked up in group_vars/ and
			// host_vars/ without an error.
			host := long()
			dir := writeTree(t, map[string]string{
				"hosts":           "[g]\n" + host + "\nshort\n",
				"group_vars/g":    "gv: 1\n",
				"host_vars/short": "hv: 2\n",
			})
			inv := mustRead(t)(ansible.Read([]string{dir}, "", ansible.ReadOptions{Rules: ansible.Rules214}))
			if h := inv.Hosts[host]; h == nil || len(h.Vars) != 0 || len(h.FileVars) != 0 {
				t.Error("1 MB host lost or given vars")
			}
			if v := inv.Hosts["short"].FileVars["hv"]; v != int64(2) {
				t.Errorf("short's file vars %v", inv.Hosts["short"].FileVars)
			}
		}},
	}
}

// checkAnyReading reads data with every reader and as an undetected source:
// whatever each makes of it, an error is an *ansible.Error naming the file
// with nothing returned beside it.
func checkAnyReading(t *testing.T, data []byte) {
	t.Helper()
	readers := map[string]func(string, []byte) (*kook.Inventory, error){
		"ini": func(n string, d []byte) (*kook.Inventory, error) {
			return ansible.ParseINI(n, d, ansible.ReadOptions{Rules: ansible.Rules214})
		},
		"yaml": func(n string, d []byte) (*kook.Inventory, error) {
			return ansible.ParseYAML(n, d, ansible.ReadOptions{Rules: ansible.Rules214})
		},
		"json": func(n string, d []byte) (*kook.Inventory, error) {
			return ansible.ParseJSON(n, d, ansible.ReadOptions{Rules: ansible.Rules214})
		},
		"archive": func(n string, d []byte) (*kook.Inventory, error) {
			return ansible.ParseArchive(n, d, ansible.ReadOptions{Rules: ansible.Rules214})
		},
		"source": func(n string, d []byte) (*kook.Inventory, error) {
			return ansible.ParseSource(n, d, "", ansible.ReadOptions{Rules: ansible.Rules214})
		},
	}
	for name, read := range readers {
		inv, err := read("random-"+name, data)
		runtime.GC()
		if err == nil {
			mustRead(t)(inv, err)
			continue
		}
		var e *ansible.Error
		if !errors.As(err, &e) || e.File != "random-"+name {
			t.Errorf("%s: error %T is not an *ansible.Error for the file: %.300v", name, err, err)
		}
		if inv != nil {
			t.Errorf("%s: an inventory came back with the error", name)
		}
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("cannot make symlinks here: %v", err)
	}
}

// mkfifo makes a named pipe with the mkfifo command (no syscall, so that
// this file builds everywhere) and returns its path.
func mkfifo(t *testing.T, path string) string {
	t.Helper()
	if out, err := exec.Command("mkfifo", path).CombinedOutput(); err != nil {
		t.Skipf("cannot make a FIFO: %v %s", err, out)
	}
	return path
}
