package ansible

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// yamlCorpus is every YAML text the tests know: the project's and the
// real-world inventories, the vars files, the fuzz corpus and seeds of
// the syntax kook's reader must get right.
func yamlCorpus(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, pat := range []string{"../../testdata/inventories/*", "../../testdata/inventories/*/*", "../../testdata/inventories/*/*/*",
		"../../../shared/inventories/*/*/*", "../../../shared/inventories/*/*", "../../../shared/inventories/*/*/*/*"} {
		m, _ := filepath.Glob(pat)
		for _, f := range m {
			ext := filepath.Ext(f)
			if ext != ".yml" && ext != ".yaml" && !strings.Contains(f, "group_vars") && !strings.Contains(f, "host_vars") {
				continue
			}
			if st, err := os.Stat(f); err != nil || st.IsDir() || st.Size() > 4<<20 {
				continue
			}
			if data, err := os.ReadFile(f); err == nil {
				out[f] = data
			}
		}
	}
	fuzz, _ := filepath.Glob("testdata/fuzz/FuzzParseYAML/*")
	for _, f := range fuzz {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := fuzzCorpusBytes(string(data)); ok {
			out[f] = v
		}
	}
	for i, s := range yamlSyntaxSeeds {
		out[fmt.Sprintf("seed-%03d", i)] = []byte(s)
	}
	return out
}

// fuzzCorpusBytes reads the single []byte value of a Go fuzz corpus file.
func fuzzCorpusBytes(file string) ([]byte, bool) {
	_, rest, ok := strings.Cut(file, "\n")
	if !ok {
		return nil, false
	}
	rest = strings.TrimSpace(rest)
	if !strings.HasPrefix(rest, "[]byte(") || !strings.HasSuffix(rest, ")") {
		return nil, false
	}
	var s string
	if _, err := fmt.Sscanf(rest[len("[]byte("):len(rest)-1], "%q", &s); err != nil {
		return nil, false
	}
	return []byte(s), true
}

// yamlSyntaxSeeds exercise the scanner's corners: every token, folding,
// chomping, escapes, simple keys, explicit keys, tags and directives.
var yamlSyntaxSeeds = []string{
	"", "#c\n", "---\n", "--- \n...\n", "a: 1\n---\nb: 2\n", "a\n", "a: b: c\n", "a:\n\tb: 1\n", "a:\tb\n",
	"g: {h: 1\n", "g:\n  hosts: {h1: 1\n", "[a, b\n", "a: [x:y]\n", "? a\n", "? a\n: b\n", "? [a]\n: b\n", ": a\n",
	"a: 1\n: 2\n", "- a\n- b\n-\n- - c\n  - d\n", "a:\n- b\n- c\nd: e\n", "a:\n  - b\n  -\n", "[a: b, c: d, ? e]\n",
	"{a, b: , : c, ? d}\n", "{a: [1, 2], b: {c: d}}\n", "a: &x b\nc: *x\n", "&a a: b\n*a : c\n", "a: !!str 1\nb: ! 2\nc: !foo x\n",
	"%TAG !e! tag:example.com,2000:\n---\na: !e!foo b\n", "%YAML 1.1\n---\na\n", "%YAML 2.0\n---\na\n", "a: !<tag:yaml.org,2002:str> 1\n",
	"a: |\n  x\n  y\n\n", "a: >\n  x\n  y\n\n  z\n", "a: |-\n  x\n\n", "a: |+\n  x\n\n", "a: |2\n   x\n  y\n", "a: >\n  x\n    y\n  z\n",
	"a: 'x ''y''\n  z'\n", "a: \"x\\ty\\u00e9\\x41\\\n  z\"\n", "a: \"x\n\n  y\"\n", "a: x\n  y\n\n  z\n", "a: x # c\n", "a: x#y\n",
	"a: -1\nb: - 1\n", "- - - x\n", "a:\n  b:\n    c: d\n  e: f\ng: h\n", "a: b\n c: d\n", "a:\n  b: c\n d: e\n",
	"'a': 1\n\"b\": 2\n", "a: 'b\n", "a: \"b\n", "a: \"\\q\"\n", "a: *\n", "a: &\n", "a: !\n", "a: [b, c]]\n", "a: {b: c}}\n",
	"- a\nb: c\n", "a: b\n- c\n", "a: 1\n...\nb: 2\n", "a: 1\n...\n", "--- a\n--- b\n", "--- |\n  x\n", "a: x\n---\n",
	"key with spaces: v\n", "a: b:c\n", "a: http://x.y/z\n", "url: ftp://a:b@c\n", "a: [b:c, d: e]\n", "{a: b\n}\n",
	"? |\n  x\n: y\n", "a:\n  ? b\n  : c\n", "- ? a\n  : b\n", "a: !!binary aGVsbG8=\n", "\ufeffa: 1\n", "a: 1\r\nb: 2\r\n",
	"a: 1\rb: 2\r", "a: x\u2028y\n", "a: \"\\N\\_\\L\\P\"\n", "a: >-\n\n  x\n\n", "a: |\n\n  \n  x\n", "a:\n  - b\n  c: d\n",
	"a: [\n  b,\n  c\n]\n", "a: {\n  b: c,\n}\n", "-\n  a: b\n", "- a: b\n  c: d\n- e\n", "a: ---\n", "a: ...\n", "--- >\n a\n b\n",
	"a: 'x\n---\ny'\n", "a:\n\t- b\n", "a: [b,\tc]\n", "a:  \t b\n", "a:\n  b\n\tc\n", "&a [*a]\n", "a: &b\nc: d\n",
	"a: !!map\n  b: c\n", "!!map {a: b}\n", "- !!seq\n  - a\n", "[? a : b]\n", "[a: ]\n", "[: b]\n", "{: b}\n",
	"a:\n  \"b\": c\n  'd': e\n", "a: \"b\" c\n", "a: 'b' # c\n", "a: |x\n  y\n", "a: |0\n  y\n", "a: >1-\n  y\n",
	"a: |+1\n  x\n\n", "a: |1-\n   x\n", "a: |+-\n x\n", "a: >2+\n   x\n\n", "a: |11\n x\n", "a: |+0\n x\n",
	strings.Repeat("k", 1030) + ": v\n", "a: " + strings.Repeat("[", 30) + strings.Repeat("]", 30) + "\n",
}

// TestYAMLComposeLibyaml reads every text of the corpus with kook's
// composer and with PyYAML's CSafeLoader (libyaml, what Ansible uses) and
// compares the node graphs: resolved tags, values, positions, sharing;
// where libyaml fails, kook must fail on the same line.
func TestYAMLComposeLibyaml(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	corpus := yamlCorpus(t)
	names := make([]string, 0, len(corpus))
	for n := range corpus {
		names = append(names, n)
	}
	sort.Strings(names)
	texts := make([]string, len(names))
	for i, n := range names {
		texts[i] = string(corpus[n])
	}
	want := libyamlDumps(t, texts)
	for i, n := range names {
		got := ynodeDumpOf(corpus[n])
		if got != want[i] && !strings.Contains(got, "deeper than") {
			t.Errorf("%s: %q\nkook:    %s\nlibyaml: %s", n, shorten(texts[i]), shorten(got), shorten(want[i]))
		}
	}
	t.Logf("%d texts compared", len(names))
}

func shorten(s string) string {
	if len(s) > 600 {
		return s[:600] + "..."
	}
	return s
}

// ynodeDumpOf is the composed graph of data written as libyamlDumps
// writes Python's, or "error at line N".
func ynodeDumpOf(data []byte) string {
	n, err := yamlParse("f.yml", data)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			if strings.Contains(e.Err.Error(), "deeper than") {
				return "error: kook's nesting limit: " + e.Err.Error()
			}
			if se, ok := e.Err.(*ySyntaxError); ok {
				return fmt.Sprintf("error at line %d", se.mark.line+1) // libyaml's problem mark
			}
			return fmt.Sprintf("error at line %d", e.Line)
		}
		return "error " + err.Error()
	}
	if n == nil {
		return "none"
	}
	var b strings.Builder
	ids := map[*ynode]int{}
	var dump func(n *ynode)
	dump = func(n *ynode) {
		if id, ok := ids[n]; ok {
			fmt.Fprintf(&b, "*%d", id)
			return
		}
		ids[n] = len(ids)
		tag := n.nodeTag()
		switch n.kind {
		case yScalar:
			fmt.Fprintf(&b, "S(%s,%d:%d,%s)", tag, n.line, n.col, pyJSONString(n.value))
		case ySequence:
			fmt.Fprintf(&b, "Q(%s,%d:%d)[", tag, n.line, n.col)
			for _, it := range n.items {
				dump(it)
				b.WriteByte(',')
			}
			b.WriteByte(']')
		case yMapping:
			fmt.Fprintf(&b, "M(%s,%d:%d){", tag, n.line, n.col)
			for _, p := range n.pairs {
				dump(p.key)
				b.WriteByte(':')
				dump(p.value)
				b.WriteByte(',')
			}
			b.WriteByte('}')
		}
	}
	dump(n)
	return b.String()
}

const libyamlDumpScript = `
import json, sys, yaml
sys.setrecursionlimit(5000)
out = []
for text in json.load(sys.stdin):
    try:
        n = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.MarkedYAMLError as e:
        out.append("error at line %d" % (e.problem_mark.line + 1))
        continue
    except yaml.reader.ReaderError as e:
        out.append("error at line %d" % (text[:e.position].count("\n") + 1))
        continue
    except Exception as e:
        out.append("error " + str(e))
        continue
    if n is None:
        out.append("none")
        continue
    ids = {}
    parts = []
    def q(s):
        return json.dumps(s)
    def dump(n):
        if id(n) in ids:
            parts.append("*%d" % ids[id(n)])
            return
        ids[id(n)] = len(ids)
        pos = "%d:%d" % (n.start_mark.line + 1, n.start_mark.column + 1)
        if isinstance(n, yaml.ScalarNode):
            parts.append("S(%s,%s,%s)" % (n.tag, pos, q(n.value)))
        elif isinstance(n, yaml.SequenceNode):
            parts.append("Q(%s,%s)[" % (n.tag, pos))
            for it in n.value:
                dump(it)
                parts.append(",")
            parts.append("]")
        else:
            parts.append("M(%s,%s){" % (n.tag, pos))
            for k, v in n.value:
                dump(k)
                parts.append(":")
                dump(v)
                parts.append(",")
            parts.append("}")
    try:
        dump(n)
    except RecursionError:
        out.append("error too deep")
        continue
    out.append("".join(parts))
json.dump(out, sys.stdout)
`

// libyamlDumps composes each text with PyYAML's CSafeLoader.
func libyamlDumps(t *testing.T, texts []string) []string {
	t.Helper()
	in, err := json.Marshal(texts)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("python3", "-c", libyamlDumpScript)
	cmd.Stdin = strings.NewReader(string(in))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3 with PyYAML: %v", err)
	}
	var dumps []string
	if err := json.Unmarshal(out, &dumps); err != nil {
		t.Fatal(err)
	}
	return dumps
}

// pyJSONString is Python's json.dumps of a str (ensure_ascii).
func pyJSONString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || (r > 0x7e && r < 0x10000):
			if r == 0x7f {
				b.WriteRune(r)
				continue
			}
			fmt.Fprintf(&b, `\u%04x`, r)
		case r >= 0x10000:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
