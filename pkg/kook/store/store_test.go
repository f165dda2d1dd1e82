package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kook-project/kook/pkg/kook"
)

func sampleInventories() map[string]*kook.Inventory {
	out := map[string]*kook.Inventory{}
	out["empty"] = func() *kook.Inventory { inv := kook.New(); inv.Reconcile(); return inv }()

	inv := kook.New()
	inv.AddHost("lonely").Vars["x"] = int64(1)
	inv.AddMember("web", "web02")
	inv.AddMember("web", "web01")
	inv.AddMember("web", "ünïcode-höst ✓")
	inv.AddMember("db", "db1")
	inv.AddMember("db", "web01")
	inv.AddGroup("empty")
	inv.AddChild("prod", "web")
	inv.AddChild("prod", "db")
	inv.AddChild("zzz", "db")
	inv.AddGroup("grüppe \"quoted\"\n")
	h := inv.Hosts["web01"]
	h.Vars["int"] = int64(1)
	h.Vars["float"] = 1.0
	h.Vars["big"] = int64(1 << 62)
	h.Vars["neg"] = -0.5
	h.Vars["exp"] = 1e-7
	h.Vars["s"] = "tab\there \"q\" \\ é ☃ \U0001F600"
	h.Vars["nil"] = nil
	h.Vars["list"] = []any{int64(1), 2.5, "x", nil, true, []any{}, map[string]any{}}
	h.Vars["map"] = map[string]any{"a": map[string]any{"b": []any{false}}}
	inv.Groups["web"].Vars["http_port"] = int64(80)
	inv.Groups["all"].Vars["ansible_user"] = "root"
	inv.Reconcile()
	out["mixed"] = inv

	out["fleet300"] = fleet(300)
	return out
}

func TestRoundTrip(t *testing.T) {
	for name, inv := range sampleInventories() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			want := inv.Clone()
			res, err := s.Replace(context.Background(), inv, WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Version.Zxid == 0 {
				t.Errorf("first write: %+v", res)
			}
			got, v := mustLoad(t, s)
			if d := diffInv(want, got); d != "" {
				t.Fatalf("round trip (-want +got):\n%s", d)
			}
			if v != res.Version {
				t.Errorf("Load version %v, Replace said %v", v, res.Version)
			}
			if d := diffInv(want, inv); d != "" {
				t.Errorf("Replace modified its argument:\n%s", d)
			}
			// Writing the same again changes nothing.
			res2, err := s.Replace(context.Background(), got, WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res2.BucketsWritten != 0 || res2.Version != v {
				t.Errorf("idempotent Replace wrote: %+v", res2)
			}
			cur, err := s.Version(context.Background())
			if err != nil || cur != v {
				t.Errorf("Version = %v, %v; want %v", cur, err, v)
			}
		})
	}
}

// TestNoInventory: a root nothing was written to is an error for every
// read (a mistyped root must not serve an empty inventory), while a root
// emptied on purpose reads as the empty inventory it holds.
func TestNoInventory(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	_, _, err := s.Load(ctx)
	_, _, encErr := s.LoadEncoded(ctx)
	for _, err := range []error{err, encErr} {
		if !errors.Is(err, ErrNoInventory) || !strings.Contains(err.Error(), s.Root()) || !strings.Contains(err.Error(), s.servers) {
			t.Errorf("read of an unwritten root = %v; want ErrNoInventory naming root %s and servers %s", err, s.Root(), s.servers)
		}
	}
	st, err := s.Stat(ctx)
	if err != nil || st.Exists || st.Version != "empty" || st.Root != s.Root() {
		t.Errorf("Stat of an unwritten root = %+v, %v", st, err)
	}

	empty := kook.New()
	empty.Reconcile()
	res, err := s.Replace(ctx, empty, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inv, v := mustLoad(t, s)
	if d := diffInv(empty, inv); d != "" {
		t.Fatal(d)
	}
	if v != res.Version || v == (Version{}) {
		t.Fatalf("version of a root emptied on purpose: %v, want %v", v, res.Version)
	}
	if _, _, err := s.LoadEncoded(ctx); err != nil {
		t.Errorf("LoadEncoded of a root emptied on purpose: %v", err)
	}
	st, err = s.Stat(ctx)
	want := Stat{Servers: s.cfg.Servers, Root: s.Root(), Exists: true, Schema: Schema,
		Generation: v.Generation, Hosts: 0, Groups: 2, Version: v.String()}
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, st); d != "" {
		t.Errorf("Stat (-want +got):\n%s", d)
	}
}

func TestStatCountsAndVersionToken(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	inv := fleet(50)
	res, err := s.Replace(ctx, inv, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Stat(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Hosts != len(inv.Hosts) || st.Groups != len(inv.Groups) || st.Version != res.Version.String() {
		t.Errorf("Stat = %+v; want %d hosts, %d groups, version %v", st, len(inv.Hosts), len(inv.Groups), res.Version)
	}
	v, err := ParseVersion(st.Version)
	if err != nil || v != res.Version {
		t.Errorf("ParseVersion(%q) = %v, %v; want %v", st.Version, v, err, res.Version)
	}
	for _, bad := range []string{"", "g1@0x1", "g0000000001@12", "g0000000001@0x", "g0000000001@0xzz", "latest"} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) accepted it", bad)
		}
	}
	if v, err := ParseVersion("empty"); err != nil || v != (Version{}) {
		t.Errorf("ParseVersion(empty) = %v, %v", v, err)
	}
}
