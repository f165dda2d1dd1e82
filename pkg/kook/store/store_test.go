package store

import (
	"context"
	"testing"

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
			st, err := s.Stat(context.Background())
			if err != nil || st != v {
				t.Errorf("Stat = %v, %v; want %v", st, err, v)
			}
		})
	}
}

func TestLoadEmpty(t *testing.T) {
	s := open(t)
	inv, v := mustLoad(t, s)
	want := kook.New()
	want.Reconcile()
	if d := diffInv(want, inv); d != "" {
		t.Fatal(d)
	}
	if v != (Version{}) {
		t.Fatalf("version of empty root: %v", v)
	}
}
