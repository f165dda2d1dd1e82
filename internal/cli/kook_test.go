package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kook-project/kook/internal/testutil"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
	"github.com/kook-project/kook/pkg/kook/store"
)

// kookRoot is a fresh root on the shared server holding the demo
// inventory, and a way to run kook in-process against it.
type kookRoot struct {
	t    *testing.T
	addr string
	root string
	st   *store.Store
}

type kookOut struct {
	code           int
	stdout, stderr string
}

func newKookRoot(t *testing.T) *kookRoot {
	t.Helper()
	srv := zktest.Shared(t)
	r := &kookRoot{t: t, addr: srv.Addr, root: zktest.UniqueRoot(t)}
	demo := filepath.Join(testutil.RepoRoot(), "testdata", "inventories", "demo.ini")
	var errb bytes.Buffer
	if code := Import(r.env([]string{"--prune", demo}, nil, &errb)); code != 0 {
		t.Fatalf("import of the demo inventory: exit %d\n%s", code, errb.String())
	}
	st, err := store.Open(context.Background(), store.Config{Servers: []string{r.addr}, Root: r.root, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r.st = st
	return r
}

func (r *kookRoot) env(args []string, stdout, stderr *bytes.Buffer) Env {
	if stdout == nil {
		stdout = &bytes.Buffer{}
	}
	if stderr == nil {
		stderr = &bytes.Buffer{}
	}
	vars := map[string]string{"KOOK_ZK": r.addr, "KOOK_ROOT": r.root}
	return Env{Args: args, Stdin: strings.NewReader(""), Stdout: stdout, Stderr: stderr,
		Getenv: func(k string) string { return vars[k] }}
}

// kook runs the kook command in-process.
func (r *kookRoot) kook(args ...string) kookOut {
	r.t.Helper()
	var out, errb bytes.Buffer
	code := Kook(r.env(args, &out, &errb))
	return kookOut{code, out.String(), errb.String()}
}

// ok runs a kook write that must succeed, print nothing on stdout and one
// line on stderr.
func (r *kookRoot) ok(args ...string) string {
	r.t.Helper()
	o := r.kook(args...)
	if o.code != 0 {
		r.t.Fatalf("kook %s: exit %d\n%s", strings.Join(args, " "), o.code, o.stderr)
	}
	if o.stdout != "" {
		r.t.Errorf("kook %s printed on stdout: %q", strings.Join(args, " "), o.stdout)
	}
	if strings.Count(o.stderr, "\n") != 1 {
		r.t.Errorf("kook %s: want one summary line on stderr, got %q", strings.Join(args, " "), o.stderr)
	}
	return o.stderr
}

func (r *kookRoot) load() *kook.Inventory {
	r.t.Helper()
	inv, _, err := r.st.Load(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return inv
}

func (r *kookRoot) version() store.Version {
	r.t.Helper()
	v, err := r.st.Version(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return v
}

// fails checks that a kook call exits with code and names what is wrong.
func (r *kookRoot) fails(code int, mention string, args ...string) {
	r.t.Helper()
	before := r.version()
	o := r.kook(args...)
	if o.code != code {
		r.t.Errorf("kook %s: exit %d, want %d\n%s", strings.Join(args, " "), o.code, code, o.stderr)
	}
	if !strings.Contains(o.stderr, mention) {
		r.t.Errorf("kook %s: error does not mention %q:\n%s", strings.Join(args, " "), mention, o.stderr)
	}
	if o.stdout != "" {
		r.t.Errorf("kook %s printed on stdout while failing: %q", strings.Join(args, " "), o.stdout)
	}
	if after := r.version(); after != before {
		r.t.Errorf("kook %s failed but wrote: version %v -> %v", strings.Join(args, " "), before, after)
	}
}

// TestKookAssignments: K=V is typed as Ansible types it after a host in an
// INI file, one argument one value; K= is the empty string. What 2.14 and
// 2.19 read alike is typed alike; what they read differently follows the
// rules asked for.
func TestKookAssignments(t *testing.T) {
	same := []string{"port=8080", "on=True", "off=False", "list=[1, 2]", "quoted='8080'",
		"empty=", "words=a b  c", "eq=a=b", "float=1.5", "ip=10.0.0.1", "yes=yes", "none=None", "later=1", "later=2"}
	want := kook.Vars{"port": int64(8080), "on": true, "off": false, "list": []any{int64(1), int64(2)}, "quoted": "8080",
		"empty": "", "words": "a b  c", "eq": "a=b", "float": 1.5, "ip": "10.0.0.1", "yes": "yes", "none": nil, "later": int64(2)}
	for _, rules := range []ansible.Rules{ansible.Rules214, ansible.Rules219} {
		got, err := parseAssignments(same, rules)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("typed vars under %s (-want +got):\n%s", rules, d)
		}
		for _, bad := range []string{"novalue", "=1", "big=99999999999999999999"} {
			if _, err := parseAssignments([]string{bad}, rules); err == nil {
				t.Errorf("%q accepted under %s", bad, rules)
			}
		}
	}
	got, err := parseAssignments([]string{"c=1j", "e=...", "s={3, 1, 2}", "b=b'raw'"}, ansible.Rules219)
	if err != nil {
		t.Fatal(err)
	}
	want = kook.Vars{"c": "1j", "e": "...", "s": []any{int64(1), int64(2), int64(3)}, "b": map[string]any{"__ansible_unsafe": "raw"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("typed vars under 2.19 (-want +got):\n%s", d)
	}
	if got, err := parseAssignments([]string{"b=b'raw'"}, ansible.Rules214); err != nil || got["b"] != "raw" {
		t.Errorf("b=b'raw' under 2.14: %#v, %v; want the plain string raw", got, err)
	}
	for _, bad := range []string{"c=1j", "e=...", "s={3, 1, 2}"} {
		if _, err := parseAssignments([]string{bad}, ansible.Rules214); err == nil {
			t.Errorf("%q accepted under 2.14, which cannot print it", bad)
		}
	}
}

// TestKookHostVerbs runs every host verb against a real ZooKeeper and
// checks the stored graph, the exit codes, the streams and idempotence.
func TestKookHostVerbs(t *testing.T) {
	r := newKookRoot(t)

	r.ok("host", "add", "new01", "--group", "web", "-g", "db", "port=8080", "name='8080'", "empty=")
	inv := r.load()
	if !inv.Groups["web"].HasHost("new01") || !inv.Groups["db"].HasHost("new01") || inv.Groups["ungrouped"].HasHost("new01") {
		t.Errorf("new01 not in exactly web and db: %v", inv.HostGroups()["new01"])
	}
	if d := cmp.Diff(kook.Vars{"port": int64(8080), "name": "8080", "empty": ""}, inv.Hosts["new01"].Vars); d != "" {
		t.Errorf("vars of new01 (-want +got):\n%s", d)
	}

	// The same add again writes nothing.
	v := r.version()
	if msg := r.ok("host", "add", "new01", "--group", "web", "port=8080"); !strings.Contains(msg, "nothing written") {
		t.Errorf("repeated add says %q", msg)
	}
	if r.version() != v {
		t.Error("repeated host add wrote")
	}

	r.fails(1, `"nope"`, "host", "add", "x", "--group", "nope")
	r.fails(1, "--create-groups", "host", "add", "x", "--group", "nope")
	r.ok("host", "add", "x", "--group", "nope", "--create-groups")
	if g := r.load().Groups["nope"]; g == nil || !g.HasHost("x") || !r.load().Groups["all"].HasChild("nope") {
		t.Error("--create-groups did not make group nope under all holding x")
	}
	r.fails(2, "empty host name", "host", "add", "")
	r.fails(2, "K=V", "host", "add", "y", "novalue")
	r.fails(2, "", "host", "add")

	r.ok("host", "set", "new01", "port=9090", "flag=True")
	r.ok("host", "unset", "new01", "empty", "never-set")
	if d := cmp.Diff(kook.Vars{"port": int64(9090), "name": "8080", "flag": true}, r.load().Hosts["new01"].Vars); d != "" {
		t.Errorf("vars after set and unset (-want +got):\n%s", d)
	}
	r.fails(1, `"ghost"`, "host", "set", "ghost", "a=1")

	o := r.kook("host", "show", "new01", "--json")
	var doc struct {
		Name   string
		Groups []string
		Vars   map[string]any
	}
	if err := json.Unmarshal([]byte(o.stdout), &doc); err != nil || o.code != 0 {
		t.Fatalf("host show --json: exit %d, %v:\n%s%s", o.code, err, o.stdout, o.stderr)
	}
	if d := cmp.Diff([]string{"db", "web"}, doc.Groups); d != "" || doc.Name != "new01" || doc.Vars["port"] != 9090.0 {
		t.Errorf("host show --json: %+v", doc)
	}
	if o := r.kook("host", "show", "ghost"); o.code != 1 || !strings.Contains(o.stderr, `"ghost"`) {
		t.Errorf("show of an unknown host: exit %d: %s", o.code, o.stderr)
	}

	r.fails(1, `"ghost"`, "host", "rm", "new01", "ghost")
	if r.load().Hosts["new01"] == nil {
		t.Error("a failed rm removed a host")
	}
	r.ok("host", "rm", "--force", "new01", "ghost", "x")
	inv = r.load()
	if inv.Hosts["new01"] != nil || inv.Hosts["x"] != nil || inv.Groups["web"].HasHost("new01") {
		t.Error("host rm left new01 or x")
	}
	if msg := r.ok("host", "rm", "--force", "new01"); !strings.Contains(msg, "nothing written") {
		t.Errorf("rm of a removed host says %q", msg)
	}
}

// TestKookShowEffective: --effective is EffectiveVars, --explain names
// the winner and what it overrode.
func TestKookShowEffective(t *testing.T) {
	r := newKookRoot(t)
	r.ok("group", "add", "canary", "--parent", "web", "http_port=9000")
	r.ok("group", "add-host", "canary", "web01.example.com")

	o := r.kook("host", "show", "web01.example.com", "--effective")
	want := r.load().EffectiveVars("web01.example.com")
	var got kook.Vars
	if err := json.Unmarshal([]byte(o.stdout), &got); err != nil || o.code != 0 {
		t.Fatalf("--effective: exit %d, %v\n%s%s", o.code, err, o.stdout, o.stderr)
	}
	if got["http_port"] != 9000.0 || len(got) != len(want) {
		t.Errorf("--effective = %v, want %v", got, want)
	}

	o = r.kook("host", "show", "web01.example.com", "--explain")
	for _, line := range []string{
		`http_port = 9000  from group canary (source); overrode group web (source) = 8080`,
		`env = "production"  from group production (source)`,
	} {
		if !strings.Contains(o.stdout, line+"\n") {
			t.Errorf("--explain lacks %q:\n%s", line, o.stdout)
		}
	}
	if o := r.kook("host", "show", "web01.example.com", "--effective", "--explain"); o.code != 2 {
		t.Errorf("--effective with --explain: exit %d", o.code)
	}
}

// TestKookGroupVerbs runs every group verb: creation under parents,
// vars, membership, nesting, cycles, and removal with Ansible's
// re-placement of orphans.
func TestKookGroupVerbs(t *testing.T) {
	r := newKookRoot(t)
	r.ok("group", "add", "canary", "--parent", "frontend", "tier=2")
	inv := r.load()
	if !inv.Groups["frontend"].HasChild("canary") || inv.Groups["all"].HasChild("canary") {
		t.Errorf("canary not under frontend alone: %v", inv.Parents()["canary"])
	}
	r.fails(1, `"nosuch"`, "group", "add", "x", "--parent", "nosuch")
	r.fails(2, "all", "group", "add", "all")
	r.fails(2, "_meta", "group", "add", "_meta")

	r.ok("group", "set", "canary", "tier=3", "owner=ops")
	r.ok("group", "unset", "canary", "owner")
	if d := cmp.Diff(kook.Vars{"tier": int64(3)}, r.load().Groups["canary"].Vars); d != "" {
		t.Errorf("canary vars (-want +got):\n%s", d)
	}
	r.fails(1, `"nosuch"`, "group", "set", "nosuch", "a=1")

	r.ok("group", "add-host", "canary", "web01.example.com", "bastion.example.com")
	inv = r.load()
	if !inv.Groups["canary"].HasHost("bastion.example.com") || inv.Groups["ungrouped"].HasHost("bastion.example.com") {
		t.Error("bastion did not move from ungrouped to canary")
	}
	r.fails(1, `"ghost"`, "group", "add-host", "canary", "ghost")
	r.fails(2, "ungrouped", "group", "add-host", "ungrouped", "web01.example.com")
	r.ok("group", "rm-host", "canary", "bastion.example.com")
	if !r.load().Groups["ungrouped"].HasHost("bastion.example.com") {
		t.Error("a host left in no group is not back in ungrouped")
	}

	r.fails(1, "recursive dependency loop", "group", "add-child", "canary", "production")
	r.ok("group", "add", "solo")
	r.ok("group", "add-child", "db", "solo")
	if inv := r.load(); !inv.Groups["db"].HasChild("solo") || inv.Groups["all"].HasChild("solo") {
		t.Error("add-child did not move solo from all to db")
	}
	r.ok("group", "rm-child", "db", "solo")
	if !r.load().Groups["all"].HasChild("solo") {
		t.Error("a group left without a parent is not back under all")
	}

	// Removing web: its hosts in no other group go to ungrouped, its
	// child canary stays under frontend only... and web's own children
	// are re-placed under all.
	r.ok("group", "add-child", "web", "solo")
	r.ok("group", "rm", "web")
	inv = r.load()
	if inv.Groups["web"] != nil || inv.Groups["frontend"].HasChild("web") {
		t.Error("web still there")
	}
	for _, h := range []string{"web02.example.com", "web03.example.com"} {
		if !inv.Groups["ungrouped"].HasHost(h) {
			t.Errorf("%s not placed in ungrouped", h)
		}
	}
	if inv.Groups["ungrouped"].HasHost("web01.example.com") {
		t.Error("web01, still in canary, went to ungrouped")
	}
	if !inv.Groups["all"].HasChild("solo") {
		t.Error("web's orphaned child solo not placed under all")
	}
	if _, err := inv.Validate(); err != nil {
		t.Error(err)
	}
	r.fails(2, "all", "group", "rm", "all")
	r.fails(2, "ungrouped", "group", "rm", "ungrouped")
	r.fails(1, `"web"`, "group", "rm", "web")

	o := r.kook("group", "list")
	if o.code != 0 || !strings.Contains(o.stdout, "\ncanary\n") {
		t.Errorf("group list: exit %d\n%s", o.code, o.stdout)
	}
	o = r.kook("group", "show", "canary", "--json")
	var doc struct {
		Parents, Hosts []string
	}
	if err := json.Unmarshal([]byte(o.stdout), &doc); err != nil || o.code != 0 {
		t.Fatalf("group show --json: %v\n%s%s", err, o.stdout, o.stderr)
	}
	if d := cmp.Diff([]string{"frontend"}, doc.Parents); d != "" || len(doc.Hosts) != 1 {
		t.Errorf("group show --json: %+v", doc)
	}
}

// TestKookList: --group takes descendants, --where filters on effective
// vars (JSON form for non-strings), --format prints a template per host.
func TestKookList(t *testing.T) {
	r := newKookRoot(t)
	list := func(args ...string) []string {
		t.Helper()
		o := r.kook(append([]string{"host", "list"}, args...)...)
		if o.code != 0 {
			t.Fatalf("host list %v: exit %d\n%s", args, o.code, o.stderr)
		}
		return strings.Fields(o.stdout)
	}
	check := func(want []string, args ...string) {
		t.Helper()
		if d := cmp.Diff(want, list(args...)); d != "" {
			t.Errorf("host list %v (-want +got):\n%s", args, d)
		}
	}
	check([]string{"web01.example.com", "web02.example.com", "web03.example.com", "app01.example.com", "app02.example.com"}, "--group", "frontend")
	check([]string{"app02.example.com"}, "--group", "frontend", "--where", "weight=^2")
	check([]string{"app02.example.com"}, "--where", "weight=^20$")
	check([]string{"web01.example.com", "web02.example.com", "web03.example.com", "app01.example.com"}, "-g", "frontend", "--where", "weight!=^20$")
	check([]string{"db01.example.com"}, "--where", "primary=^true$")
	check([]string{"bastion.example.com"}, "--where", "!env")
	check([]string{"app01.example.com", "app02.example.com"}, "--where", "weight", "--where", "env=prod")
	check([]string{"app01.example.com:10:app", "app02.example.com:20:app"}, "-g", "app",
		"--format", `{{.Name}}:{{.Vars.weight}}:{{join .Groups ","}}`)
	if o := r.kook("host", "list", "--format", "{{.Nope"); o.code != 2 {
		t.Errorf("bad template: exit %d", o.code)
	}
	if o := r.kook("host", "list", "--where", "a=("); o.code != 2 {
		t.Errorf("bad regex: exit %d", o.code)
	}
	if o := r.kook("host", "list", "--group", "nosuch"); o.code != 1 || !strings.Contains(o.stderr, `"nosuch"`) {
		t.Errorf("unknown group: exit %d %s", o.code, o.stderr)
	}
}

// TestKookNoArgs: kook alone prints help and exits 0; --version works.
func TestKookNoArgs(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Kook(Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}); code != 0 || !strings.Contains(out.String(), "host add") {
		t.Errorf("kook: exit %d\n%s%s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := Kook(Env{Args: []string{"--version"}, Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}); code != 0 || !strings.HasPrefix(out.String(), "kook ") {
		t.Errorf("kook --version: exit %d %q", code, out.String())
	}
}
