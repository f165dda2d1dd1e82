package ansible

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParseYAML: ParseYAML never panics, fails only with *Error, and what
// it accepts survives WriteYAML and a second read unchanged (unless the
// writer refuses a name, which it must do with an error).
func FuzzParseYAML(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/inventories/yaml-*.yml")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"", "a:", "all:\n  hosts:\n    h[1:3]:\n", "g: {hosts: {\"h:22\": {a: 1}}}", "a: &a {b: *a}",
		"g:\n  vars:\n    <<: {x: 1}\n    x: 2\n", "g:\n  hosts: h1\n  children: c\n", "{\"g\": {\"hosts\": {\"h\": null}}}",
		"g:\n  vars:\n    u: !unsafe {a: [1]}\n    v: !vault x\n", "? [a]\n: b\n", "g: !!map {hosts: !!map {h: ~}}",
		"g:\n  vars: {ansible_group_priority: '0x10'}\n", "x: 2001-12-14 21:59:43.10 -5\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := ParseYAML("f.yml", data, ReadOptions{Rules: Rules214})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is %T, not *Error: %v", err, err)
			}
			if inv != nil {
				t.Fatal("inventory returned with an error")
			}
			return
		}
		if len(inv.Hosts) > 20000 {
			return // a huge host range: correct, but too slow to round-trip here
		}
		inv.Reconcile()
		var buf bytes.Buffer
		if err := WriteYAML(&buf, inv); err != nil {
			if !strings.Contains(err.Error(), "cannot be written") {
				t.Fatalf("writer failed: %v", err)
			}
			return
		}
		back, err := ParseYAML("w.yml", buf.Bytes(), ReadOptions{Rules: Rules214})
		if err != nil {
			t.Fatalf("written file unreadable: %v\n%s", err, buf.String())
		}
		back.Reconcile()
		if diff := cmp.Diff(graphOf(inv), graphOf(back), graphCmp...); diff != "" {
			t.Fatalf("round trip differs (-read +reread):\n%s\n%s", diff, buf.String())
		}
	})
}

// yamlBenchInventory is a 10,000-host inventory: 100 groups of 100 hosts,
// each host with three vars, groups nested under ten parents.
func yamlBenchInventory() []byte {
	var b strings.Builder
	b.WriteString("all:\n  vars:\n    ntp: ntp.example.com\n  children:\n")
	for p := 0; p < 10; p++ {
		fmt.Fprintf(&b, "    dc%d:\n      vars:\n        dc: %d\n      children:\n", p, p)
		for g := 0; g < 10; g++ {
			gi := p*10 + g
			fmt.Fprintf(&b, "        group%d:\n          vars:\n            tier: t%d\n          hosts:\n", gi, gi%3)
			for h := 0; h < 100; h++ {
				n := gi*100 + h
				fmt.Fprintf(&b, "            host%05d.example.com:\n              ansible_host: 10.%d.%d.%d\n              rack: %d\n              enabled: yes\n",
					n, n/65536, n/256%256, n%256, h%10)
			}
		}
	}
	return []byte(b.String())
}

func BenchmarkParseYAML10k(b *testing.B) {
	data := yamlBenchInventory()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		inv, err := ParseYAML("bench.yml", data, ReadOptions{Rules: Rules214})
		if err != nil {
			b.Fatal(err)
		}
		if len(inv.Hosts) != 10000 {
			b.Fatalf("%d hosts", len(inv.Hosts))
		}
	}
}

func BenchmarkWriteYAML10k(b *testing.B) {
	inv, err := ParseYAML("bench.yml", yamlBenchInventory(), ReadOptions{Rules: Rules214})
	if err != nil {
		b.Fatal(err)
	}
	inv.Reconcile()
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := WriteYAML(&buf, inv); err != nil {
			b.Fatal(err)
		}
	}
}
