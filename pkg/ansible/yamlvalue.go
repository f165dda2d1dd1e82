package ansible

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/kook-project/kook/internal/pysem"
	"github.com/kook-project/kook/pkg/kook"
)

// Ansible loads YAML with PyYAML (libyaml's parser, Python's YAML 1.1
// resolver and SafeConstructor plus Ansible's own tags). kook's scanner and
// composer (yaml_scan.go, yaml_compose.go) read the syntax as libyaml does;
// typing is redone here, and construction
// follows PyYAML step by step because several of its quirks are visible in
// what Ansible prints (the order of duplicate-key warnings, !unsafe
// emptying the collections nested in it, merge keys counting as
// duplicates). The pipeline is:
//
//	bytes -> tokens -> ynode graph (aliases resolved, like PyYAML's
//	composer) -> yobj graph (like PyYAML's constructor) -> kook values.
//
// A file that is valid JSON is read as JSON first, as Ansible's DataLoader
// does.

// Limits against hostile input. Aliases are shared while constructing, as
// in Python, so a "billion laughs" document only costs memory when it is
// expanded into kook values; expansion past the document's own size is
// bounded by yamlMaxExpansion nodes.
const (
	yamlMaxExpansion = 1_000_000
	yamlMaxDepth     = 1000
)

// YAML 1.1 tags, as PyYAML spells them.
const (
	yamlTagPrefix    = "tag:yaml.org,2002:"
	yamlTagNull      = yamlTagPrefix + "null"
	yamlTagBool      = yamlTagPrefix + "bool"
	yamlTagInt       = yamlTagPrefix + "int"
	yamlTagFloat     = yamlTagPrefix + "float"
	yamlTagTimestamp = yamlTagPrefix + "timestamp"
	yamlTagStr       = yamlTagPrefix + "str"
	yamlTagMap       = yamlTagPrefix + "map"
	yamlTagSeq       = yamlTagPrefix + "seq"
	yamlTagMerge     = yamlTagPrefix + "merge"
	yamlTagValue     = yamlTagPrefix + "value"
	yamlTagYAML      = yamlTagPrefix + "yaml"
)

// ---------------------------------------------------------------------------
// The composed graph (yaml_compose.go builds it).

type ynodeKind uint8

const (
	yScalar ynodeKind = iota
	yMapping
	ySequence
)

// ynode is a composed YAML node: PyYAML's Node. Aliases point to the same
// *ynode as their anchor, so the graph may share nodes and even be cyclic.
// Its fields are ordered to keep it small: a document makes one per node.
type ynode struct {
	kind       ynodeKind
	plain      bool   // plain scalar: its tag is resolved from its text
	building   bool   // being constructed: met again, it is recursive
	tag        string // explicit tag, "" when none, "!" for the non-specific one
	value      string // scalar text
	line, col  int    // PyYAML's start mark, 1-based
	obj        *yobj  // what it was constructed into, shared by its aliases
	*ynodeColl        // a mapping's or sequence's content; nil for a scalar
}

// ynodeColl is what a mapping or sequence node holds.
type ynodeColl struct {
	pairs []ypair
	items []*ynode
}

type ypair struct{ key, value *ynode }

// The expressions are compiled on first use: compiling them all at start
// would cost every run of kook-inventory, which parses no YAML, most of a
// millisecond.
// lazyRE returns a function that compiles expr on its first call.
func lazyRE(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// ---------------------------------------------------------------------------
// YAML 1.1 implicit resolution, PyYAML's regular expressions verbatim
// (re.X dropped the spaces; `[ \t]` keeps its space).

var (
	yamlBoolRE  = lazyRE(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	yamlFloatRE = lazyRE(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	yamlIntRE   = lazyRE(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	yamlNullRE  = lazyRE(`^(?:~|null|Null|NULL|)$`)
	yamlTimeRE  = lazyRE(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$`)
	// The constructor's own, looser expression.
	yamlTimeParts = lazyRE(`^([0-9][0-9][0-9][0-9])-([0-9][0-9]?)-([0-9][0-9]?)(?:(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9][0-9]):([0-9][0-9])(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?)?$`)
)

// yamlResolve returns the tag PyYAML's resolver gives a plain scalar.
func yamlResolve(v string) string {
	// PyYAML picks resolvers by the first character; most text is
	// settled here without a regular expression.
	if v == "" {
		return yamlTagNull
	}
	switch c := v[0]; {
	case c == 'y' || c == 'Y' || c == 'n' || c == 'N' || c == 't' || c == 'T' || c == 'f' || c == 'F' || c == 'o' || c == 'O':
		// Words: only the bool and null spellings are not strings.
		switch v {
		case "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF":
			return yamlTagBool
		case "null", "Null", "NULL":
			return yamlTagNull
		}
		return yamlTagStr
	case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
		if tag, ok := yamlResolveNumber(v); ok {
			return tag
		}
	case c == '<' || c == '~' || c == '=' || c == '!' || c == '&' || c == '*':
	default:
		return yamlTagStr
	}
	return yamlResolveRE(v)
}

// yamlResolveRE is PyYAML's resolver proper: its expressions in its order.
func yamlResolveRE(v string) string {
	switch {
	case yamlBoolRE().MatchString(v):
		return yamlTagBool
	case yamlFloatRE().MatchString(v):
		return yamlTagFloat
	case yamlIntRE().MatchString(v):
		return yamlTagInt
	case v == "<<":
		return yamlTagMerge
	case yamlNullRE().MatchString(v):
		return yamlTagNull
	case yamlTimeRE().MatchString(v):
		return yamlTagTimestamp
	case v == "=":
		return yamlTagValue
	case v == "!" || v == "&" || v == "*":
		return yamlTagYAML
	}
	return yamlTagStr
}

// yamlResolveNumber settles the common shapes of text starting with a
// digit without the regular expressions: a decimal int, a decimal with one
// dot, and dotted text such as an IP address. It reports false for
// anything else (signs, underscores, exponents, colons, dashes...).
func yamlResolveNumber(v string) (string, bool) {
	dots := 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
		case c == '.':
			dots++
		default:
			return "", false
		}
	}
	switch {
	case dots == 0 && (v[0] != '0' || len(v) == 1):
		return yamlTagInt, true
	case dots == 1 && v[0] != '.':
		return yamlTagFloat, true
	case dots >= 2:
		return yamlTagStr, true // 10.0.0.1
	}
	return "", false
}

// yamlNeedsQuotes reports whether a string written as a plain scalar would
// read back as something else than that string.
func yamlNeedsQuotes(s string) bool { return yamlResolve(s) != yamlTagStr }

// nodeTag is the tag a node is constructed with.
func (n *ynode) nodeTag() string {
	switch n.kind {
	case yMapping:
		if n.tag == "" || n.tag == "!" {
			return yamlTagMap
		}
	case ySequence:
		if n.tag == "" || n.tag == "!" {
			return yamlTagSeq
		}
	default:
		if n.tag == "" || n.tag == "!" {
			if n.plain {
				return yamlResolve(n.value)
			}
			return yamlTagStr
		}
	}
	return n.tag
}

func (n *ynode) kindName() string {
	switch n.kind {
	case yMapping:
		return "mapping"
	case ySequence:
		return "sequence"
	}
	return "scalar"
}

// ---------------------------------------------------------------------------
// Construction: ynode -> yobj, as PyYAML's constructor builds Python objects.

type yobjKind uint8

const (
	yoNone yobjKind = iota
	yoBool
	yoInt
	yoFloat
	yoStr
	yoDate  // date or datetime; s holds the ISO form Ansible prints
	yoVault // s holds the ciphertext
	yoMap
	yoSeq
)

// yobj is a constructed Python object. It is kept small, since a
// document makes one for each of its nodes: an int past int64 keeps its
// digits in s, a datetime's str() is derived from s, and only collections
// carry the yobjColl.
type yobj struct {
	kind   yobjKind
	b      bool
	unsafe bool   // AnsibleUnsafeText
	cls    yclass // Python class, for messages
	line   int
	i      int64
	f      float64
	s      string // str, vault ciphertext, date's ISO form, digits of a big int
	*yobjColl
}

// yobjColl is what a dict or list holds.
type yobjColl struct {
	keys, vals []*yobj
	index      map[yKeyID]int
	items      []*yobj
}

// isBig reports an int past int64, whose digits are in s.
func (o *yobj) isBig() bool { return o.kind == yoInt && o.s != "" }

// dateStr is str() of a date or datetime, which differs from its ISO form.
func (o *yobj) dateStr() string { return strings.Replace(o.s, "T", " ", 1) }

func newYSeq(line int, cls yclass, items []*yobj) *yobj {
	return &yobj{kind: yoSeq, cls: cls, line: line, yobjColl: &yobjColl{items: items}}
}

// yclass is the Python class of a constructed object, for messages.
type yclass uint8

const (
	yclsNone yclass = iota
	yclsBool
	yclsInt
	yclsFloat
	yclsStr
	yclsDate
	yclsDatetime
	yclsDict
	yclsList
	yclsTuple
	yclsMapping
	yclsSeq
	yclsUnicode
	yclsUnsafe
	yclsVault
)

var yclassNames = [...]string{
	yclsNone: "NoneType", yclsBool: "bool", yclsInt: "int", yclsFloat: "float", yclsStr: "str",
	yclsDate: "datetime.date", yclsDatetime: "datetime.datetime", yclsDict: "dict", yclsList: "list",
	yclsTuple:   "tuple",
	yclsMapping: "ansible.parsing.yaml.objects.AnsibleMapping",
	yclsSeq:     "ansible.parsing.yaml.objects.AnsibleSequence",
	yclsUnicode: "ansible.parsing.yaml.objects.AnsibleUnicode",
	yclsUnsafe:  "ansible.utils.unsafe_proxy.AnsibleUnsafeText",
	yclsVault:   "ansible.parsing.yaml.objects.AnsibleVaultEncryptedUnicode",
}

func (c yclass) String() string { return yclassNames[c] }

func newYStr(s string, line int) *yobj {
	return &yobj{kind: yoStr, s: s, cls: yclsUnicode, line: line}
}

func newYMap(line int, cls yclass) *yobj {
	return &yobj{kind: yoMap, cls: cls, line: line, yobjColl: &yobjColl{}}
}

// yKeyID is the identity of a dict key under Python's equality: 1, 1.0
// and True are one key; a NaN is never equal to anything (each gets its
// own n).
type yKeyID struct {
	k byte
	n int64
	s string
}

func yStrKey(s string) yKeyID { return yKeyID{k: 's', s: s} }

// pyKey is o's identity as a dict key, false for what cannot be one.
func (o *yobj) pyKey(nan *int) (yKeyID, bool) {
	switch o.kind {
	case yoNone:
		return yKeyID{k: 'n'}, true
	case yoBool:
		if o.b {
			return yKeyID{k: 'i', n: 1}, true
		}
		return yKeyID{k: 'i'}, true
	case yoInt:
		if o.isBig() {
			return yKeyID{k: 'b', s: o.s}, true
		}
		return yKeyID{k: 'i', n: o.i}, true
	case yoFloat:
		f := o.f
		if math.IsNaN(f) {
			*nan++
			return yKeyID{k: 'N', n: int64(*nan)}, true
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
			return yKeyID{k: 'i', n: int64(f)}, true
		}
		return yKeyID{k: 'f', n: int64(math.Float64bits(f))}, true
	case yoStr:
		return yStrKey(o.s), true
	case yoDate:
		return yKeyID{k: 'd', s: o.s}, true
	case yoVault:
		return yKeyID{k: 'v', s: o.s}, true
	}
	return yKeyID{}, false
}

// get looks a string key up in a mapping.
func (o *yobj) get(key string) (*yobj, bool) {
	if o == nil || o.kind != yoMap {
		return nil, false
	}
	i, ok := o.lookup(yStrKey(key))
	if !ok {
		return nil, false
	}
	return o.vals[i], true
}

// yamlIndexFrom is the size from which a mapping keeps an index of its
// keys; below, a scan of its keys is cheaper than a map per mapping.
const yamlIndexFrom = 8

func (o *yobj) lookup(id yKeyID) (int, bool) {
	if o.index != nil {
		i, ok := o.index[id]
		return i, ok
	}
	for i, k := range o.keys {
		if kid, ok := k.pyKey(new(int)); ok && kid == id && kid.k != 'N' {
			return i, true
		}
	}
	return 0, false
}

// put sets key to value the way dict assignment does: a key already there
// keeps its place (and its first spelling) and takes the new value.
func (o *yobj) put(id yKeyID, key, value *yobj) (dup bool) {
	if i, ok := o.lookup(id); ok {
		o.vals[i] = value
		return true
	}
	o.keys = append(o.keys, key)
	o.vals = append(o.vals, value)
	switch {
	case o.index != nil:
		o.index[id] = len(o.keys) - 1
	case len(o.keys) >= yamlIndexFrom:
		o.index = make(map[yKeyID]int, len(o.keys)*2)
		for i, k := range o.keys[:len(o.keys)-1] {
			if kid, ok := k.pyKey(new(int)); ok && kid.k != 'N' {
				o.index[kid] = i
			}
		}
		o.index[id] = len(o.keys) - 1
	}
	return false
}

type yamlConstructor struct {
	file  string
	warn  Warner
	queue []func() error
	work  int // merge pairs and !unsafe copies, bounded like expansion
	nan   int
}

func (c *yamlConstructor) spend(n, line int) error {
	c.work += n
	if c.work > yamlMaxExpansion {
		return limitErrorf(c.file, line, "YAML document expands to more than %d nodes through aliases (alias bomb?)", yamlMaxExpansion)
	}
	return nil
}

// constructDocument mirrors BaseConstructor.construct_document: the root
// is built, then collections are filled level by level.
func (c *yamlConstructor) constructDocument(root *ynode) (*yobj, error) {
	obj, err := c.construct(root)
	if err != nil {
		return nil, err
	}
	for len(c.queue) > 0 {
		q := c.queue
		c.queue = nil
		for _, fill := range q {
			if err := fill(); err != nil {
				return nil, err
			}
		}
	}
	return obj, nil
}

func (c *yamlConstructor) construct(n *ynode) (*yobj, error) {
	if o := n.obj; o != nil {
		return o, nil
	}
	if n.building {
		return nil, errorf(c.file, n.line, "found unconstructable recursive node")
	}
	n.building = true
	defer func() { n.building = false }()
	tag := n.nodeTag()
	var obj *yobj
	var err error
	switch tag {
	case yamlTagMap, yamlTagPrefix + "python/dict":
		if n.kind != yMapping {
			return nil, errorf(c.file, n.line, "expected a mapping node, but found %s", n.kindName())
		}
		// construct_yaml_map yields its (still empty) dict first and fills
		// it on a later round.
		obj = newYMap(n.line, yclsMapping)
		n.obj = obj
		c.queue = append(c.queue, func() error { return c.fillMapping(n, obj) })
		return obj, nil
	case yamlTagSeq:
		if n.kind != ySequence {
			return nil, errorf(c.file, n.line, "expected a sequence node, but found %s", n.kindName())
		}
		obj = newYSeq(n.line, yclsSeq, nil)
		n.obj = obj
		c.queue = append(c.queue, func() error {
			items, err := c.constructSequence(n)
			obj.items = items
			return err
		})
		return obj, nil
	case "!unsafe":
		obj, err = c.constructUnsafe(n)
	case "!vault", "!vault-encrypted":
		if n.kind != yScalar {
			return nil, errorf(c.file, n.line, "expected a scalar node, but found %s", n.kindName())
		}
		obj = &yobj{kind: yoVault, s: n.value, cls: yclsVault, line: n.line}
	case yamlTagPrefix + "omap", yamlTagPrefix + "pairs":
		obj, err = c.constructPairs(n, tag)
	default:
		if n.kind != yScalar {
			if strings.HasPrefix(tag, yamlTagPrefix) && yamlScalarTag(tag) {
				return nil, errorf(c.file, n.line, "expected a scalar node, but found %s", n.kindName())
			}
			return nil, errorf(c.file, n.line, "could not determine a constructor for the tag '%s'", tag)
		}
		obj, err = yamlConstructScalar(tag, n.value, n.line)
		if err != nil {
			return nil, &Error{File: c.file, Line: n.line, Err: err}
		}
	}
	if err != nil {
		return nil, err
	}
	n.obj = obj
	return obj, nil
}

func yamlScalarTag(tag string) bool {
	switch tag {
	case yamlTagNull, yamlTagBool, yamlTagInt, yamlTagFloat, yamlTagTimestamp, yamlTagStr, yamlTagPrefix + "python/unicode":
		return true
	}
	return false
}

// flattenMapping is SafeConstructor.flatten_mapping: merge keys are
// replaced by the merged pairs, put in front so that explicit keys win.
// Like PyYAML it rewrites the node, which aliases share.
func (c *yamlConstructor) flattenMapping(n *ynode, depth int) error {
	if depth > yamlMaxDepth {
		return errorf(c.file, n.line, "YAML merge keys nested deeper than %d levels", yamlMaxDepth)
	}
	plain := true
	for _, p := range n.pairs {
		if k := p.key; k.tag != "" || (k.kind == yScalar && (k.value == "<<" || k.value == "=")) {
			plain = false
			break
		}
	}
	if plain {
		return nil // no merge and no value key: nothing to rewrite
	}
	var merge []ypair
	kept := n.pairs[:0:0]
	for _, p := range n.pairs {
		switch p.key.nodeTag() {
		case yamlTagMerge:
			v := p.value
			switch v.kind {
			case yMapping:
				if err := c.flattenMapping(v, depth+1); err != nil {
					return err
				}
				merge = append(merge, v.pairs...)
			case ySequence:
				var sub [][]ypair
				for _, s := range v.items {
					if s.kind != yMapping {
						return errorf(c.file, s.line, "while constructing a mapping: expected a mapping for merging, but found %s", s.kindName())
					}
					if err := c.flattenMapping(s, depth+1); err != nil {
						return err
					}
					sub = append(sub, s.pairs)
				}
				for i := len(sub) - 1; i >= 0; i-- {
					merge = append(merge, sub[i]...)
				}
			default:
				return errorf(c.file, v.line, "while constructing a mapping: expected a mapping or list of mappings for merging, but found %s", v.kindName())
			}
			if err := c.spend(len(merge), n.line); err != nil {
				return err
			}
		case yamlTagValue:
			k := *p.key
			k.tag, k.obj = yamlTagStr, nil
			kept = append(kept, ypair{&k, p.value})
		default:
			kept = append(kept, p)
		}
	}
	if len(merge) > 0 {
		n.pairs = append(merge, kept...)
	} else {
		n.pairs = kept
	}
	return nil
}

// constructMapping is AnsibleConstructor.construct_mapping: duplicate keys
// warn and the last value wins.
func (c *yamlConstructor) constructMapping(n *ynode, into *yobj) error {
	if n.kind != yMapping {
		return errorf(c.file, n.line, "expected a mapping node, but found %s", n.kindName())
	}
	if err := c.flattenMapping(n, 0); err != nil {
		return err
	}
	if into.keys == nil {
		into.keys = make([]*yobj, 0, len(n.pairs))
		into.vals = make([]*yobj, 0, len(n.pairs))
	}
	for _, p := range n.pairs {
		key, err := c.construct(p.key)
		if err != nil {
			return err
		}
		id, ok := key.pyKey(&c.nan)
		if !ok {
			return errorf(c.file, p.key.line, "while constructing a mapping: found unacceptable key (unhashable type: '%s')", yShortCls(key))
		}
		value, err := c.construct(p.value)
		if err != nil {
			return err
		}
		if _, dup := into.lookup(id); dup {
			c.warn.warn("While constructing a mapping from %s, line %d, column %d, found a duplicate dict key (%s). Using last defined value only.",
				c.file, n.line, n.col, yStr(key))
		}
		into.put(id, key, value)
	}
	return nil
}

func (c *yamlConstructor) fillMapping(n *ynode, obj *yobj) error {
	return c.constructMapping(n, obj)
}

func (c *yamlConstructor) constructSequence(n *ynode) ([]*yobj, error) {
	if n.kind != ySequence {
		return nil, errorf(c.file, n.line, "expected a sequence node, but found %s", n.kindName())
	}
	items := make([]*yobj, 0, len(n.items))
	for _, it := range n.items {
		o, err := c.construct(it)
		if err != nil {
			return nil, err
		}
		items = append(items, o)
	}
	return items, nil
}

// constructPairs builds !!omap and !!pairs: a list of (key, value) tuples,
// which Ansible prints as two-element lists.
func (c *yamlConstructor) constructPairs(n *ynode, tag string) (*yobj, error) {
	if n.kind != ySequence {
		return nil, errorf(c.file, n.line, "while constructing an ordered map: expected a sequence, but found %s", n.kindName())
	}
	out := newYSeq(n.line, yclsList, nil)
	for _, it := range n.items {
		if it.kind != yMapping || len(it.pairs) != 1 {
			return nil, errorf(c.file, it.line, "while constructing an ordered map: expected a single mapping item")
		}
		k, err := c.construct(it.pairs[0].key)
		if err != nil {
			return nil, err
		}
		v, err := c.construct(it.pairs[0].value)
		if err != nil {
			return nil, err
		}
		out.items = append(out.items, newYSeq(it.line, yclsTuple, []*yobj{k, v}))
	}
	return out, nil
}

// constructUnsafe is construct_yaml_unsafe: the node is built by its kind
// (a scalar as its raw text) and wrap_var copies the result. The copy is
// taken before nested collections are filled, so they come out empty, as
// Ansible prints them.
func (c *yamlConstructor) constructUnsafe(n *ynode) (*yobj, error) {
	switch n.kind {
	case yScalar:
		return &yobj{kind: yoStr, s: n.value, unsafe: true, cls: yclsUnsafe, line: n.line}, nil
	case yMapping:
		m := newYMap(n.line, yclsMapping)
		if err := c.constructMapping(n, m); err != nil {
			return nil, err
		}
		return c.wrapVar(m, 0)
	default:
		items, err := c.constructSequence(n)
		if err != nil {
			return nil, err
		}
		return c.wrapVar(newYSeq(n.line, yclsList, items), 0)
	}
}

// wrapVar is ansible.utils.unsafe_proxy.wrap_var.
func (c *yamlConstructor) wrapVar(o *yobj, depth int) (*yobj, error) {
	if depth > yamlMaxDepth {
		return nil, errorf(c.file, o.line, "maximum recursion depth exceeded while marking values unsafe")
	}
	if err := c.spend(1, o.line); err != nil {
		return nil, err
	}
	switch o.kind {
	case yoStr:
		if o.unsafe {
			return o, nil
		}
		w := *o
		w.unsafe, w.cls = true, yclsUnsafe
		return &w, nil
	case yoMap:
		w := newYMap(o.line, yclsDict)
		for i, k := range o.keys {
			wk, err := c.wrapVar(k, depth+1)
			if err != nil {
				return nil, err
			}
			wv, err := c.wrapVar(o.vals[i], depth+1)
			if err != nil {
				return nil, err
			}
			id, _ := wk.pyKey(&c.nan)
			w.put(id, wk, wv)
		}
		return w, nil
	case yoSeq:
		w := newYSeq(o.line, o.cls, nil)
		for _, it := range o.items {
			wi, err := c.wrapVar(it, depth+1)
			if err != nil {
				return nil, err
			}
			w.items = append(w.items, wi)
		}
		return w, nil
	}
	return o, nil
}

// yamlConstructScalar constructs a scalar of a given tag from its text, failing
// where PyYAML's constructor fails.
func yamlConstructScalar(tag, v string, line int) (*yobj, error) {
	switch tag {
	case yamlTagNull:
		return &yobj{kind: yoNone, cls: yclsNone, line: line}, nil
	case yamlTagBool:
		switch strings.ToLower(v) {
		case "yes", "true", "on":
			return &yobj{kind: yoBool, b: true, cls: yclsBool, line: line}, nil
		case "no", "false", "off":
			return &yobj{kind: yoBool, cls: yclsBool, line: line}, nil
		}
		return nil, fmt.Errorf("%q is not a YAML boolean", v)
	case yamlTagInt:
		return yamlInt(v, line)
	case yamlTagFloat:
		f, err := yamlFloat(v)
		if err != nil {
			return nil, err
		}
		return &yobj{kind: yoFloat, f: f, cls: yclsFloat, line: line}, nil
	case yamlTagTimestamp:
		return yamlTimestamp(v, line)
	case yamlTagStr, yamlTagPrefix + "python/unicode":
		return newYStr(v, line), nil
	}
	return nil, fmt.Errorf("could not determine a constructor for the tag '%s'", tag)
}

// yamlInt is SafeConstructor.construct_yaml_int.
func yamlInt(text string, line int) (*yobj, error) {
	v := strings.ReplaceAll(text, "_", "")
	bad := func() (*yobj, error) {
		return nil, fmt.Errorf("invalid literal for int(): %s", yRepr(newYStr(text, 0)))
	}
	if v == "" {
		return bad()
	}
	neg := false
	if v[0] == '-' {
		neg = true
	}
	if v[0] == '+' || v[0] == '-' {
		v = v[1:]
	}
	n := new(big.Int)
	var ok bool
	switch {
	case v == "0":
		ok = true
	case strings.HasPrefix(v, "0b"):
		_, ok = n.SetString(v[2:], 2)
	case strings.HasPrefix(v, "0x"):
		_, ok = n.SetString(v[2:], 16)
	case strings.HasPrefix(v, "0"):
		_, ok = n.SetString(v, 8)
	case strings.Contains(v, ":"):
		ok = true
		base := big.NewInt(1)
		parts := strings.Split(v, ":")
		for i := len(parts) - 1; i >= 0; i-- {
			d, dok := new(big.Int).SetString(strings.TrimSpace(parts[i]), 10)
			if !dok {
				ok = false
				break
			}
			n.Add(n, d.Mul(d, base))
			base = new(big.Int).Mul(base, big.NewInt(60))
		}
	default:
		// int(value): past 4,300 digits Python refuses the literal.
		p, err := pysem.ParseInt(v)
		if err != nil {
			return nil, err
		}
		n, ok = p, true
	}
	if !ok || n.Sign() < 0 {
		return bad()
	}
	if neg {
		n.Neg(n)
	}
	return yIntObj(n, line), nil
}

func yIntObj(n *big.Int, line int) *yobj {
	if n.IsInt64() {
		return &yobj{kind: yoInt, i: n.Int64(), cls: yclsInt, line: line}
	}
	f, _ := new(big.Float).SetInt(n).Float64()
	return &yobj{kind: yoInt, s: n.String(), f: f, cls: yclsInt, line: line}
}

var yFloatTextRE = lazyRE(`^[-+]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[-+]?[0-9]+)?|inf|infinity|nan)$`)

// yFloatText is Python's float(str) for what YAML hands it.
func yFloatText(s string) (float64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if !yFloatTextRE().MatchString(t) {
		return 0, fmt.Errorf("could not convert string to float: %s", yRepr(newYStr(s, 0)))
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("could not convert string to float: %s", yRepr(newYStr(s, 0)))
	}
	return f, nil
}

// yamlFloat is SafeConstructor.construct_yaml_float.
func yamlFloat(text string) (float64, error) {
	v := strings.ToLower(strings.ReplaceAll(text, "_", ""))
	if v == "" {
		return 0, fmt.Errorf("could not convert string to float: ''")
	}
	sign := 1.0
	if v[0] == '-' {
		sign = -1
	}
	if v[0] == '+' || v[0] == '-' {
		v = v[1:]
	}
	switch {
	case v == ".inf":
		return sign * math.Inf(1), nil
	case v == ".nan":
		return math.NaN(), nil
	case strings.Contains(v, ":"):
		parts := strings.Split(v, ":")
		base, value := 1.0, 0.0
		for i := len(parts) - 1; i >= 0; i-- {
			d, err := yFloatText(parts[i])
			if err != nil {
				return 0, err
			}
			value += d * base
			base *= 60
		}
		return sign * value, nil
	}
	f, err := yFloatText(v)
	if err != nil {
		return 0, err
	}
	return sign * f, nil
}

// yamlTimestamp is SafeConstructor.construct_yaml_timestamp followed by
// isoformat(), which is how Ansible prints dates.
func yamlTimestamp(v string, line int) (*yobj, error) {
	m := yamlTimeParts().FindStringSubmatch(v)
	if m == nil {
		return nil, fmt.Errorf("%q is not a timestamp", v)
	}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	year, month, day := atoi(m[1]), atoi(m[2]), atoi(m[3])
	if year < 1 {
		return nil, fmt.Errorf("year %d is out of range", year)
	}
	if month < 1 || month > 12 {
		return nil, fmt.Errorf("month must be in 1..12")
	}
	if day < 1 || day > yamlDaysIn(year, month) {
		return nil, fmt.Errorf("day is out of range for month")
	}
	date := fmt.Sprintf("%04d-%02d-%02d", year, month, day)
	if m[4] == "" {
		return &yobj{kind: yoDate, s: date, cls: yclsDate, line: line}, nil
	}
	hour, minute, second := atoi(m[4]), atoi(m[5]), atoi(m[6])
	switch {
	case hour > 23:
		return nil, fmt.Errorf("hour must be in 0..23")
	case minute > 59:
		return nil, fmt.Errorf("minute must be in 0..59")
	case second > 59:
		return nil, fmt.Errorf("second must be in 0..59")
	}
	t := fmt.Sprintf("%02d:%02d:%02d", hour, minute, second)
	if frac := m[7]; frac != "" {
		if len(frac) > 6 {
			frac = frac[:6]
		}
		frac += strings.Repeat("0", 6-len(frac))
		if frac != "000000" {
			t += "." + frac
		}
	}
	switch {
	case m[9] != "":
		off := atoi(m[10])*60 + atoi(m[11])
		if off >= 24*60 {
			return nil, fmt.Errorf("offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24)")
		}
		sign := "+"
		if m[9] == "-" && off != 0 {
			sign = "-"
		}
		t += fmt.Sprintf("%s%02d:%02d", sign, off/60, off%60)
	case m[8] == "Z":
		t += "+00:00"
	}
	return &yobj{kind: yoDate, s: date + "T" + t, cls: yclsDatetime, line: line}, nil
}

func yamlDaysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// ---------------------------------------------------------------------------
// JSON documents: Ansible's DataLoader tries json.loads before YAML.

type yamlLineIndex []int // offsets of '\n'

func newYamlLineIndex(data []byte) yamlLineIndex {
	var li yamlLineIndex
	for i, c := range data {
		if c == '\n' {
			li = append(li, i)
		}
	}
	return li
}

func (li yamlLineIndex) line(off int) int { return 1 + sort.SearchInts(li, off) }

func yamlFromJSON(v any, line int, li yamlLineIndex, depth int) *yobj {
	switch x := v.(type) {
	case nil:
		return &yobj{kind: yoNone, cls: yclsNone, line: line}
	case bool:
		return &yobj{kind: yoBool, b: x, cls: yclsBool, line: line}
	case int64:
		return &yobj{kind: yoInt, i: x, cls: yclsInt, line: line}
	case float64:
		return &yobj{kind: yoFloat, f: x, cls: yclsFloat, line: line}
	case string:
		return &yobj{kind: yoStr, s: x, cls: yclsStr, line: line}
	case *jsonArray:
		o := newYSeq(line, yclsList, nil)
		for i, e := range x.vals {
			o.items = append(o.items, yamlFromJSON(e, li.line(x.offs[i]), li, depth+1))
		}
		return o
	case *jsonObject:
		o := newYMap(line, yclsDict)
		for i, k := range x.keys {
			l := li.line(x.offs[i])
			o.put(yStrKey(k), &yobj{kind: yoStr, s: k, cls: yclsStr, line: l}, yamlFromJSON(x.vals[i], l, li, depth+1))
		}
		return o
	}
	return &yobj{kind: yoStr, s: fmt.Sprint(v), cls: yclsStr, line: line}
}

// ---------------------------------------------------------------------------
// Loading and conversion to kook values.

// yamlLoader holds what one file's load needs: where it is, where warnings
// go and how much alias expansion is left.
type yamlLoader struct {
	file   string
	warn   Warner
	budget int
}

// load reads a document the way DataLoader.load does: JSON first, then
// YAML. It returns nil for an empty document.
func (l *yamlLoader) load(data []byte) (*yobj, error) {
	l.budget = yamlMaxExpansion + len(data)
	if v, jerr := decodeJSONDocument(data); jerr == nil {
		li := newYamlLineIndex(data)
		return yamlFromJSON(v, li.line(yamlFirstNonSpace(data)), li, 0), nil
	}
	root, err := yamlParse(l.file, data)
	if err != nil || root == nil {
		return nil, err
	}
	c := &yamlConstructor{file: l.file, warn: l.warn}
	return c.constructDocument(root)
}

func yamlFirstNonSpace(data []byte) int {
	for i, c := range data {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return i
		}
	}
	return len(data)
}

// value converts a constructed object into kook's value set, spending the
// expansion budget on every node so that shared aliases cannot blow up.
func (l *yamlLoader) value(o *yobj) (any, error) {
	return l.valueAt(o, 0)
}

func (l *yamlLoader) valueAt(o *yobj, depth int) (any, error) {
	if depth > yamlMaxDepth {
		return nil, errorf(l.file, o.line, "YAML value nested deeper than %d levels (recursive alias?)", yamlMaxDepth)
	}
	l.budget--
	if l.budget < 0 {
		return nil, limitErrorf(l.file, o.line, "YAML document expands to more than %d values beyond its own size (alias bomb, or vars on a huge host range?)", yamlMaxExpansion)
	}
	switch o.kind {
	case yoNone:
		return nil, nil
	case yoBool:
		return o.b, nil
	case yoInt:
		if o.isBig() {
			// Python ints are unbounded and Ansible prints this one as it
			// is; a float in its place would print another inventory.
			return nil, &Error{File: l.file, Line: o.line, Err: pysem.RangeError(o.s)}
		}
		return o.i, nil
	case yoFloat:
		return o.f, nil
	case yoStr:
		if o.unsafe {
			return map[string]any{"__ansible_unsafe": o.s}, nil
		}
		return o.s, nil
	case yoDate:
		return o.s, nil
	case yoVault:
		return map[string]any{"__ansible_vault": o.s}, nil
	case yoSeq:
		out := make([]any, len(o.items))
		for i, it := range o.items {
			v, err := l.valueAt(it, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case yoMap:
		out := make(map[string]any, len(o.keys))
		for i, k := range o.keys {
			v, err := l.valueAt(o.vals[i], depth+1)
			if err != nil {
				return nil, err
			}
			out[yKeyString(k)] = v
		}
		return out, nil
	}
	return nil, errorf(l.file, o.line, "unsupported YAML value")
}

// yKeyString is the string json.dumps makes of a dict key.
func yKeyString(k *yobj) string {
	switch k.kind {
	case yoStr, yoDate, yoVault:
		return k.s
	case yoNone:
		return "null"
	case yoBool:
		if k.b {
			return "true"
		}
		return "false"
	case yoInt:
		if k.isBig() {
			return k.s
		}
		return strconv.FormatInt(k.i, 10)
	case yoFloat:
		return string(kook.AppendFloat(nil, k.f))
	}
	return yStr(k)
}

// ---------------------------------------------------------------------------
// Python's view of values, for messages and the rules yaml.py relies on.

func yTruthy(o *yobj) bool {
	if o == nil {
		return false
	}
	switch o.kind {
	case yoNone:
		return false
	case yoBool:
		return o.b
	case yoInt:
		return o.isBig() || o.i != 0
	case yoFloat:
		return o.f != 0
	case yoStr, yoVault:
		return o.s != ""
	case yoMap:
		return len(o.keys) > 0
	case yoSeq:
		return len(o.items) > 0
	}
	return true
}

func yShortCls(o *yobj) string {
	c := o.cls.String()
	if i := strings.LastIndexByte(c, '.'); i >= 0 {
		c = c[i+1:]
	}
	return c
}

// yTypeString says what kind of value o is, in words for the person who
// wrote it: where Ansible prints str(type(o)), such as <class
// 'ansible.parsing.yaml.objects.AnsibleSequence'>, kook says "a list".
func yTypeString(o *yobj) string { return pyTypeWords(o.cls.String()) }

// pyTypeWords names a Python class the way a person calls its values.
func pyTypeWords(cls string) string {
	switch cls {
	case yclsSeq.String(), "list", "tuple":
		return "a list"
	case yclsMapping.String(), "dict":
		return "a mapping"
	case yclsUnicode.String(), yclsUnsafe.String(), "str":
		return "a string"
	case yclsVault.String(), "AnsibleVaultEncryptedUnicode":
		return "a vault-encrypted string"
	case "int":
		return "an integer"
	case "float":
		return "a float"
	case "bool":
		return "a boolean"
	case "NoneType":
		return "null (no value)"
	case "datetime.date":
		return "a date"
	case "datetime.datetime":
		return "a timestamp"
	}
	return "a value of type " + cls[strings.LastIndexByte(cls, '.')+1:]
}

// yoStr is Python's str(o).
func yStr(o *yobj) string {
	switch o.kind {
	case yoStr, yoVault:
		return o.s
	case yoDate:
		return o.dateStr()
	}
	return yRepr(o)
}

// yRepr is Python's repr(o).
func yRepr(o *yobj) string {
	var b strings.Builder
	yWriteRepr(&b, o, 0)
	return b.String()
}

func yWriteRepr(b *strings.Builder, o *yobj, depth int) {
	if depth > 50 {
		b.WriteString("...")
		return
	}
	switch o.kind {
	case yoNone:
		b.WriteString("None")
	case yoBool:
		if o.b {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case yoInt:
		if o.isBig() {
			b.WriteString(o.s)
		} else {
			b.WriteString(strconv.FormatInt(o.i, 10))
		}
	case yoFloat:
		b.Write(pysem.AppendFloat(nil, o.f))
	case yoStr, yoVault:
		yWriteString(b, o.s)
	case yoDate:
		b.WriteString(o.cls.String() + "(" + o.s + ")")
	case yoSeq:
		open, closing := "[", "]"
		if o.cls == yclsTuple {
			open, closing = "(", ")"
		}
		b.WriteString(open)
		for i, it := range o.items {
			if i > 0 {
				b.WriteString(", ")
			}
			yWriteRepr(b, it, depth+1)
		}
		b.WriteString(closing)
	case yoMap:
		b.WriteString("{")
		for i, k := range o.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			yWriteRepr(b, k, depth+1)
			b.WriteString(": ")
			yWriteRepr(b, o.vals[i], depth+1)
		}
		b.WriteString("}")
	}
}

// yWriteString writes a Python string literal as repr() does.
func yWriteString(b *strings.Builder, s string) {
	b.Write(pysem.AppendReprString(nil, s))
}

// yInt is Python's int(o), which is how Ansible reads
// ansible_group_priority, narrowed to the int64 kook keeps (pysem.Int64).
func yInt(o *yobj) (int64, error) {
	var v any
	switch o.kind {
	case yoBool:
		v = o.b
	case yoInt:
		v = o.i
		if o.isBig() {
			v, _ = new(big.Int).SetString(o.s, 10)
		}
	case yoFloat:
		v = o.f
	case yoStr:
		v = o.s
	default:
		return 0, pysem.IntTypeError(yShortCls(o))
	}
	return pysem.Int64(v)
}

// ---------------------------------------------------------------------------

// DecodeYAMLVars reads a group_vars or host_vars file as Ansible's
// host_group_vars plugin does: JSON or YAML 1.1 typed as PyYAML types it,
// an empty (or falsy) document meaning no vars, anything else that is not
// a mapping an error. Keys that YAML typed as non-strings are printed the
// way Ansible's JSON output prints them. Duplicate-key warnings are
// dropped; DecodeYAMLVarsWarn reports them.
func DecodeYAMLVars(file string, data []byte) (kook.Vars, error) {
	return DecodeYAMLVarsWarn(file, data, nil)
}

// DecodeYAMLVarsWarn is DecodeYAMLVars with warnings (duplicate keys)
// passed to warn.
func DecodeYAMLVarsWarn(file string, data []byte, warn Warner) (kook.Vars, error) {
	l := &yamlLoader{file: file, warn: warn}
	doc, err := l.load(data)
	if err != nil {
		return nil, err
	}
	vars := kook.Vars{}
	if !yTruthy(doc) {
		return vars, nil
	}
	if doc.kind != yoMap {
		return nil, errorf(file, doc.line, "failed to combine variables, expected dicts but got a 'dict' and a '%s'", yShortCls(doc))
	}
	for i, k := range doc.keys {
		v, err := l.value(doc.vals[i])
		if err != nil {
			return nil, err
		}
		vars[yKeyString(k)] = v
	}
	return vars, nil
}
