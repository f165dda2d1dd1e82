package ansible

import (
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/kook-project/kook/pkg/kook"
)

// WriteJSON writes a reconciled inventory as the script protocol's --list
// document: every group with its direct hosts and children in order and its
// own vars, and each host's own vars in _meta.hostvars (hosts without vars
// are left out, which Ansible reads as {}). Ansible reading the document
// through its script plugin ends up with the same inventory, so it prints
// for it what it prints for the source the inventory came from.
//
// The protocol has one layer of vars: an inventory with vars-file vars is
// written as kook.Inventory.OneLayer folds it, so that Ansible gives every
// host the vars it gives it from the inventory's files.
//
// Keys are sorted and the layout is fixed (one line per group and per
// host), so equal inventories give equal bytes. A group that has nothing is
// written as {"hosts": []}, because {} would mean a host named like it. A
// group named "_meta" cannot be written (the key is the protocol's own) and
// is left out; it still appears in its parents' children.
//
// The output is built by hand from the inventory's Encoded form, the one
// renderer both this function and WriteEncodedJSON use, so a reader that
// holds canonical vars JSON (the store) prints exactly what WriteJSON
// would print for the decoded inventory.
//
// A var outside kook's value set is an error naming the host or group and
// the var; nothing is written then.
func WriteJSON(w io.Writer, inv *kook.Inventory) error {
	enc, err := inv.Encode()
	if err != nil {
		return err
	}
	return WriteEncodedJSON(w, enc)
}

// WriteEncodedJSON is WriteJSON for an inventory in Encoded form: it
// copies each vars span as it is, which must be canonical JSON
// (kook.AppendJSON's output), and decodes nothing. enc.Hosts and
// enc.Groups must be sorted by name, as kook.Encode and the store's
// LoadEncoded give them. Vars-file layers are folded by
// kook.Encoded.OneLayer, which costs nothing when there are none.
func WriteEncodedJSON(w io.Writer, enc *kook.Encoded) error {
	enc, _, err := enc.OneLayer()
	if err != nil {
		return err
	}
	out := &jsonChunkWriter{w: w, buf: make([]byte, 0, jsonChunk+4096)}
	out.buf = append(out.buf, "{\n"...)
	first := true
	sep := func() {
		if !first {
			out.buf = append(out.buf, ",\n"...)
		}
		first = false
	}
	// "_meta" sorts between upper-case and lower-case names, as in Python.
	metaDone := false
	meta := func() {
		sep()
		out.buf = append(out.buf, `  "_meta": {"hostvars": {`...)
		n := 0
		for _, h := range enc.Hosts {
			if !jsonHasVars(h.Vars) {
				continue
			}
			if n > 0 {
				out.buf = append(out.buf, ',')
			}
			n++
			out.buf = append(out.buf, "\n    "...)
			out.buf = jsonAppendString(out.buf, h.Name)
			out.buf = append(out.buf, ": "...)
			out.buf = append(out.buf, h.Vars...)
			out.flushIfFull()
		}
		if n > 0 {
			out.buf = append(out.buf, "\n  "...)
		}
		out.buf = append(out.buf, "}}"...)
		metaDone = true
	}
	for i := range enc.Groups {
		g := &enc.Groups[i]
		if g.Name == "_meta" {
			continue
		}
		if !metaDone && g.Name > "_meta" {
			meta()
		}
		sep()
		out.buf = append(out.buf, "  "...)
		out.buf = jsonAppendString(out.buf, g.Name)
		out.buf = append(out.buf, ": "...)
		out.buf = jsonAppendGroup(out.buf, g)
		out.flushIfFull()
	}
	if !metaDone {
		meta()
	}
	out.buf = append(out.buf, "\n}\n"...)
	return out.flush()
}

// jsonHasVars reports whether canonical vars JSON holds any var.
func jsonHasVars(vars []byte) bool { return len(vars) > 2 }

// WriteHostJSON writes the script protocol's --host answer for one host:
// its own vars as WriteJSON writes them in _meta.hostvars, or {} for a
// host the inventory does not hold.
func WriteHostJSON(w io.Writer, inv *kook.Inventory, host string) error {
	var buf []byte
	if inv.Hosts[host] != nil {
		var err error
		if buf, err = jsonAppendVars(buf, inv.OneLayerHostVars(host)); err != nil {
			return fmt.Errorf("host %q: %w", host, err)
		}
	} else {
		buf = append(buf, "{}"...)
	}
	_, err := w.Write(append(buf, '\n'))
	return err
}

const jsonChunk = 64 << 10

// jsonChunkWriter hands its buffer to w whenever it passes jsonChunk, so a
// large inventory is never held twice in memory.
type jsonChunkWriter struct {
	w   io.Writer
	buf []byte
	err error
}

func (c *jsonChunkWriter) flushIfFull() {
	if len(c.buf) >= jsonChunk {
		c.flush()
	}
}

func (c *jsonChunkWriter) flush() error {
	if c.err == nil && len(c.buf) > 0 {
		_, c.err = c.w.Write(c.buf)
	}
	c.buf = c.buf[:0]
	return c.err
}

func jsonAppendGroup(buf []byte, g *kook.EncodedGroup) []byte {
	buf = append(buf, '{')
	n := 0
	key := func(k string) {
		if n > 0 {
			buf = append(buf, ", "...)
		}
		n++
		buf = append(buf, k...)
	}
	if len(g.Children) > 0 {
		key(`"children": `)
		buf = jsonAppendStrings(buf, g.Children)
	}
	if len(g.Hosts) > 0 || (len(g.Children) == 0 && !jsonHasVars(g.Vars)) {
		key(`"hosts": `)
		buf = jsonAppendStrings(buf, g.Hosts)
	}
	if jsonHasVars(g.Vars) {
		key(`"vars": `)
		buf = append(buf, g.Vars...)
	}
	return append(buf, '}')
}

func jsonAppendStrings(buf []byte, list []string) []byte {
	buf = append(buf, '[')
	for i, s := range list {
		if i > 0 {
			buf = append(buf, ", "...)
		}
		buf = jsonAppendString(buf, s)
	}
	return append(buf, ']')
}

// jsonAppendVars is kook.AppendVars, without the per-call key slice and
// map lookups for the few keys hosts usually have.
func jsonAppendVars(buf []byte, vars kook.Vars) ([]byte, error) {
	type kv struct {
		k string
		v any
	}
	var small [16]kv
	if len(vars) > len(small) {
		return kook.AppendVars(buf, vars)
	}
	start := len(buf)
	pairs := small[:0]
	for k, v := range vars {
		pairs = append(pairs, kv{k, v})
	}
	for i := 1; i < len(pairs); i++ {
		for j := i; j > 0 && pairs[j].k < pairs[j-1].k; j-- {
			pairs[j], pairs[j-1] = pairs[j-1], pairs[j]
		}
	}
	buf = append(buf, '{')
	for i, p := range pairs {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = jsonAppendString(buf, p.k)
		buf = append(buf, ':')
		switch v := p.v.(type) {
		case string:
			buf = jsonAppendString(buf, v)
		case int64:
			buf = strconv.AppendInt(buf, v, 10)
		default:
			var err error
			if buf, err = kook.AppendJSON(buf, v); err != nil {
				// AppendVars words the error, naming the var.
				return kook.AppendVars(buf[:start], vars)
			}
		}
	}
	return append(buf, '}'), nil
}

// jsonAppendString is kook.AppendString with a fast path for the plain
// ASCII strings names almost always are.
func jsonAppendString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !jsonPlainByte[s[i]] {
			return kook.AppendString(buf, s)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// jsonSortedVarKeys returns m's keys in sorted order.
func jsonSortedVarKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// jsonPlainByte tells the bytes a JSON string holds as they are: printable
// ASCII except the quote and the backslash.
var jsonPlainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()
