package ansible

import (
	"bytes"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kook-project/kook/internal/testutil"
	"github.com/kook-project/kook/pkg/kook"
)

func iniTestdataFiles(t *testing.T) []string {
	files, _ := filepath.Glob(filepath.Join(iniTestdataDir(t), "ini-*.ini"))
	if len(files) == 0 {
		t.Fatal("no testdata/inventories/ini-*.ini")
	}
	return files
}

// TestWriteINIRoundTrip: read, write, read again gives the same graph.
func TestWriteINIRoundTrip(t *testing.T) {
	for _, f := range iniTestdataFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := iniParseReconciled(t, f, string(data))
			var buf bytes.Buffer
			if err := WriteINI(&buf, want); err != nil {
				t.Fatalf("WriteINI: %v", err)
			}
			got := iniParseReconciled(t, "written", buf.String())
			if d := testutil.GraphDiff(want, got); d != "" {
				t.Errorf("round trip differs (-want +got):\n%s\nwritten:\n%s", d, buf.String())
			}
			var again bytes.Buffer
			if err := WriteINI(&again, got); err != nil {
				t.Fatal(err)
			}
			if again.String() != buf.String() {
				t.Errorf("second write differs:\n%s\nvs\n%s", again.String(), buf.String())
			}
		})
	}
}

func TestWriteINIOutput(t *testing.T) {
	inv := kook.New()
	inv.AddMember("web", "w2")
	inv.AddMember("web", "w1")
	inv.AddMember("db", "w1")
	inv.AddMember(kook.Ungrouped, "lone host")
	if err := inv.AddChild("prod", "web"); err != nil {
		t.Fatal(err)
	}
	if err := inv.AddChild("prod", "db"); err != nil {
		t.Fatal(err)
	}
	inv.Hosts["w1"].Vars["port"] = int64(22)
	inv.Hosts["w1"].Vars["flag"] = "True"
	inv.Hosts["w1"].Vars["note"] = "two words"
	inv.Hosts["w1"].Vars["list"] = []any{int64(1), "x", 1.0, nil}
	inv.Hosts["lone host"].Vars["q"] = "it's"
	inv.Groups["prod"].Vars["ansible_group_priority"] = int64(3)
	inv.Groups["prod"].Vars["m"] = map[string]any{"b": false, "a": "#x"}
	inv.Groups[kook.All].Vars["s"] = " padded "
	inv.Groups[kook.All].Vars["plain"] = "a=b # not a comment"
	inv.Reconcile()
	var buf bytes.Buffer
	if err := WriteINI(&buf, inv); err != nil {
		t.Fatal(err)
	}
	want := `# Ansible inventory written by kook.

[ungrouped]
'lone host' "q=it's"

[prod]

[web]
w2
w1 "flag='True'" "list=[1, 'x', 1.0, None]" 'note=two words' port=22

[db]
w1

[all:children]
prod

[prod:children]
web
db

[all:vars]
plain=a=b # not a comment
s=' padded '

[prod:vars]
ansible_group_priority=3
m={'a': '#x', 'b': False}
`
	if d := cmp.Diff(want, buf.String()); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if d := testutil.GraphDiff(inv, iniParseReconciled(t, "w", buf.String())); d != "" {
		t.Errorf("read back differs:\n%s", d)
	}
}

func TestWriteINIRefuses(t *testing.T) {
	cases := []struct {
		build func(inv *kook.Inventory)
		want  string
	}{
		{func(inv *kook.Inventory) { inv.AddMember("g", "web[1:2]") }, `host "web[1:2]"`},
		{func(inv *kook.Inventory) { inv.AddMember("g", "h:22") }, `host "h:22"`},
		{func(inv *kook.Inventory) { inv.AddMember("g", "h:") }, `host "h:"`},
		{func(inv *kook.Inventory) { inv.AddMember("g", "---") }, `host "---"`},
		{func(inv *kook.Inventory) { inv.AddMember("g", "a\nb") }, `host "a\nb"`},
		{func(inv *kook.Inventory) { inv.AddMember("g", "") }, `host ""`},
		{func(inv *kook.Inventory) { inv.AddMember("g", "g") }, `host "g": INI cannot hold a host and a group of the same name`},
		{func(inv *kook.Inventory) { inv.AddMember("a b", "h") }, `group "a b"`},
		{func(inv *kook.Inventory) { inv.AddMember("a:b", "h") }, `group "a:b"`},
		{func(inv *kook.Inventory) { inv.AddMember("a]", "h") }, `group "a]"`},
		{func(inv *kook.Inventory) { inv.AddMember("#g", "h") }, `group "#g"`},
		{func(inv *kook.Inventory) { inv.AddMember("g", "h"); inv.Hosts["h"].Vars["a=b"] = "x" }, `host "h": var "a=b"`},
		{func(inv *kook.Inventory) { inv.AddMember("g", "h"); inv.Hosts["h"].Vars["x"] = math.NaN() }, `host "h": var "x": NaN`},
		{func(inv *kook.Inventory) { inv.AddMember("g", "h"); inv.Groups["g"].Vars[" k"] = "x" }, `group "g": var " k"`},
		{func(inv *kook.Inventory) { inv.AddMember("g", "h"); inv.Groups["g"].Vars["#k"] = "x" }, `group "g": var "#k"`},
		{func(inv *kook.Inventory) {
			inv.AddMember("g", "h")
			inv.Groups["g"].Vars["ansible_group_priority"] = "high"
		}, `group "g": var "ansible_group_priority"`},
		{func(inv *kook.Inventory) { inv.AddMember("g", "h"); inv.Hosts["h"].Vars["x"] = "\xff" }, `host "h": var "x"`},
	}
	for _, c := range cases {
		inv := kook.New()
		c.build(inv)
		var buf bytes.Buffer
		err := WriteINI(&buf, inv)
		if err == nil {
			t.Errorf("want error containing %q, got none; wrote:\n%s", c.want, buf.String())
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %q does not contain %q", err, c.want)
		}
		if buf.Len() != 0 {
			t.Errorf("%q: wrote output along with the error", c.want)
		}
	}
}

// TestWriteINIAnsible feeds the written files to the real ansible-inventory.
func TestWriteINIAnsible(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	bin := testutil.AnsibleInventory(t)
	for _, f := range iniTestdataFiles(t) {
		f := f
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			inv := iniParseReconciled(t, f, string(data))
			var buf bytes.Buffer
			if err := WriteINI(&buf, inv); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "inv.ini")
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "-i", path, "--list", "--export")
			cmd.Env = append(os.Environ(), "ANSIBLE_INVENTORY_UNPARSED_FAILED=true", "ANSIBLE_INVENTORY_ENABLED=ini")
			out, err := cmd.Output()
			if err != nil {
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					t.Fatalf("ansible-inventory: %v\n%s", err, ee.Stderr)
				}
				t.Fatal(err)
			}
			want, err := kook.DecodeJSON(out)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, iniExportView(inv)); d != "" {
				t.Errorf("Ansible reads the written file differently (-ansible +kook):\n%s\n%s", d, buf.String())
			}
		})
	}
}
