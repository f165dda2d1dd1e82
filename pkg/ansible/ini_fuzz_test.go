package ansible

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/testutil"
)

func FuzzParseINI(f *testing.F) {
	for _, file := range iniTestdataFilesF(f) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"[g]\nh v={1,2}", "[g]\nh \"v={[1]}\"", "[a:children]\nb\n[b:children]\na", "[p:children]\nc\n[c:vars]\nx=1\n[q:children]\nc\n[c]\nh",
		"h:22 ansible_port=5\nh:33", "[g]\n[fe80::1%eth0]:22 a='x' b=\"[1, 'y']\"", "[g:vars]\nx={'a': (1, 2.5, None)}",
		"[g]\nh[01:03:2] k=v", "[all]\nx\n[all:vars]\ny=1\n[all:children]\ng\n[g]", "[x:children]\nall\n[x]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := ParseINI("f.ini", data, ReadOptions{Rules: Rules214})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.File != "f.ini" || e.Line < 1 {
				t.Fatalf("error %#v is not an *Error with file and line", err)
			}
			if inv != nil {
				t.Fatal("inventory returned with an error")
			}
			return
		}
		if len(inv.Hosts) > 10000 {
			return // a big range: parsed fine, too slow to write on every run
		}
		inv.Reconcile()
		var buf bytes.Buffer
		if err := WriteINI(&buf, inv); err != nil {
			if strings.Contains(err.Error(), "INI cannot carry this inventory") {
				// The writer's own checks should have caught it first.
				t.Fatalf("writer produced text that reads back differently: %v", err)
			}
			return
		}
		back, err := ParseINI("w.ini", buf.Bytes(), ReadOptions{Rules: Rules214})
		if err != nil {
			t.Fatalf("written text does not parse: %v\n%s", err, buf.String())
		}
		back.Reconcile()
		if d := testutil.GraphDiff(inv, back); d != "" {
			t.Fatalf("read-write-read differs:\n%s", d)
		}
	})
}

func iniTestdataFilesF(f *testing.F) []string {
	dir := iniTestdataDir(f)
	entries, err := os.ReadDir(dir)
	if err != nil {
		f.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "ini-") && strings.HasSuffix(e.Name(), ".ini") {
			out = append(out, dir+"/"+e.Name())
		}
	}
	return out
}

// BenchmarkParseINI10k parses a generated inventory of 10,000 hosts in 50
// groups under 5 parents, each host with three vars.
func BenchmarkParseINI10k(b *testing.B) {
	data := genINI(10000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseINI("bench.ini", data, ReadOptions{Rules: Rules214}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteINI10k(b *testing.B) {
	inv, err := ParseINI("bench.ini", genINI(10000), ReadOptions{Rules: Rules214})
	if err != nil {
		b.Fatal(err)
	}
	inv.Reconcile()
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := WriteINI(&buf, inv); err != nil {
			b.Fatal(err)
		}
	}
}

func genINI(hosts int) []byte {
	var b bytes.Buffer
	const groups = 50
	for g := 0; g < groups; g++ {
		fmt.Fprintf(&b, "[app%02d]\n", g)
		for h := g; h < hosts; h += groups {
			fmt.Fprintf(&b, "host%05d.example.com ansible_host=10.%d.%d.%d ansible_port=%d role='web server'\n", h, h>>16&255, h>>8&255, h&255, 2200+h%100)
		}
		fmt.Fprintf(&b, "[app%02d:vars]\nenv=prod\nreplicas=%d\ntags=['a', 'b']\n", g, g)
	}
	for p := 0; p < 5; p++ {
		fmt.Fprintf(&b, "[tier%d:children]\n", p)
		for g := p; g < groups; g += 5 {
			fmt.Fprintf(&b, "app%02d\n", g)
		}
	}
	return b.Bytes()
}
