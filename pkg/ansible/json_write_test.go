package ansible_test

import (
	"bytes"
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kook-project/kook/internal/testutil"
	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
)

func sampleInventory(t testing.TB) *kook.Inventory {
	inv := kook.New()
	inv.AddMember("web", "w1")
	inv.AddMember("web", "w0")
	inv.AddMember("Zed", "w1")
	inv.AddGroup("empty")
	if err := inv.AddChild("prod", "web"); err != nil {
		t.Fatal(err)
	}
	inv.AddHost("loose")
	inv.Groups["all"].Vars["ntp"] = "pool"
	inv.Groups["web"].Vars["port"] = int64(80)
	inv.Groups["web"].Vars["ratio"] = 1.0
	inv.Groups["prod"].Vars["ansible_group_priority"] = int64(5)
	inv.Hosts["w1"].Vars["ansible_host"] = "10.0.0.1"
	inv.Hosts["w1"].Vars["tags"] = []any{"a", int64(2), nil, true, map[string]any{"é": math.Inf(1)}}
	inv.Reconcile()
	return inv
}

func TestWriteJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := ansible.WriteJSON(&buf, sampleInventory(t)); err != nil {
		t.Fatal(err)
	}
	want := `{
  "Zed": {"hosts": ["w1"]},
  "_meta": {"hostvars": {
    "w1": {"ansible_host":"10.0.0.1","tags":["a",2,null,true,{"é":Infinity}]}
  }},
  "all": {"children": ["ungrouped", "Zed", "empty", "prod"], "vars": {"ntp":"pool"}},
  "empty": {"hosts": []},
  "prod": {"children": ["web"], "vars": {"ansible_group_priority":5}},
  "ungrouped": {"hosts": ["loose"]},
  "web": {"hosts": ["w1", "w0"], "vars": {"port":80,"ratio":1.0}}
}
`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("WriteJSON (-want +got):\n%s", diff)
	}
	back, err := ansible.ParseJSON("back.json", buf.Bytes(), ansible.ReadOptions{Rules: ansible.Rules214})
	if err != nil {
		t.Fatal(err)
	}
	back.Reconcile()
	if diff := testutil.GraphDiff(sampleInventory(t), back); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
}

func TestWriteJSONDeterministic(t *testing.T) {
	var first bytes.Buffer
	if err := ansible.WriteJSON(&first, sampleInventory(t)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		var again bytes.Buffer
		if err := ansible.WriteJSON(&again, sampleInventory(t)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), again.Bytes()) {
			t.Fatalf("output changed between runs:\n%s\n%s", first.Bytes(), again.Bytes())
		}
	}
}

func TestWriteJSONEmpty(t *testing.T) {
	inv := kook.New()
	inv.Reconcile()
	var buf bytes.Buffer
	if err := ansible.WriteJSON(&buf, inv); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"_meta\": {\"hostvars\": {}},\n  \"all\": {\"children\": [\"ungrouped\"]},\n  \"ungrouped\": {\"hosts\": []}\n}\n"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

func TestWriteHostJSON(t *testing.T) {
	inv := sampleInventory(t)
	for _, tt := range []struct{ host, want string }{
		{"w1", `{"ansible_host":"10.0.0.1","tags":["a",2,null,true,{"é":Infinity}]}` + "\n"},
		{"w0", "{}\n"},
		{"unknown", "{}\n"},
	} {
		var buf bytes.Buffer
		if err := ansible.WriteHostJSON(&buf, inv, tt.host); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tt.want {
			t.Errorf("WriteHostJSON(%q) = %q, want %q", tt.host, buf.String(), tt.want)
		}
	}
}

// TestWriteJSONAnsibleProbes serves WriteJSON's output for inventories
// that are easy to get wrong (empty groups, a group with several parents,
// odd names and values) to Ansible and compares with Ansible's answer for
// the original document.
func TestWriteJSONAnsibleProbes(t *testing.T) {
	probes := []string{
		`{"all": {"children": ["b", "a"]}, "a": {"children": ["c"]}, "b": {"children": ["c"], "hosts": ["h2", "h1"]}, "c": {"hosts": ["h1"]}, "d": {}}`,
		`{"_g": ["x"], "Z": ["x"], "web": {"vars": {"f": 1.5e-07, "i": 12345678901234, "s": "\u0001\u00e9\"", "n": null}}, "_meta": {"hostvars": {"x": {"k": {"b": [1.0, -0.0]}}}}}`,
		`{"ungrouped": ["u1"], "g": ["u1", "u2"], "p": {"children": ["g"], "vars": {"ansible_group_priority": "7"}}}`,
	}
	for i, doc := range probes {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			inv, err := ansible.ParseJSON("probe.json", []byte(doc), ansible.ReadOptions{Rules: ansible.Rules214})
			if err != nil {
				t.Fatal(err)
			}
			inv.Reconcile()
			var written bytes.Buffer
			if err := ansible.WriteJSON(&written, inv); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"--list", "--export"}, {"--list"}} {
				want, stderr, err := ansibleScript(t, []byte(doc), args...)
				if err != nil {
					t.Fatalf("ansible on the probe: %v\n%s", err, stderr)
				}
				got, stderr, err := ansibleScript(t, written.Bytes(), args...)
				if err != nil {
					t.Fatalf("ansible on WriteJSON's output: %v\n%s", err, stderr)
				}
				diff, err := testutil.JSONDiff([]byte(want), []byte(got))
				if err != nil {
					t.Fatal(err)
				}
				if diff != "" {
					t.Errorf("%v differs (-probe +written):\n%s\nwritten:\n%s", args, diff, written.Bytes())
				}
			}
		})
	}
}

func hugeInventory(b *testing.B) *kook.Inventory {
	inv := kook.New()
	for i := 0; i < 100_000; i++ {
		h := fmt.Sprintf("host%06d.dc%d.example.com", i, i%7)
		inv.AddMember(fmt.Sprintf("rack%03d", i%500), h)
		inv.AddMember(fmt.Sprintf("role%d", i%10), h)
		inv.Hosts[h].Vars["ansible_host"] = fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255)
		inv.Hosts[h].Vars["slot"] = int64(i % 42)
	}
	for r := 0; r < 500; r++ {
		if err := inv.AddChild(fmt.Sprintf("dc%d", r%7), fmt.Sprintf("rack%03d", r)); err != nil {
			b.Fatal(err)
		}
		inv.Groups[fmt.Sprintf("rack%03d", r)].Vars["rack"] = int64(r)
	}
	inv.Reconcile()
	return inv
}

// BenchmarkWriteJSON100k writes 100,000 hosts (two vars each) in 510
// groups.
func BenchmarkWriteJSON100k(b *testing.B) {
	inv := hugeInventory(b)
	var buf bytes.Buffer
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf.Reset()
		if err := ansible.WriteJSON(&buf, inv); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
