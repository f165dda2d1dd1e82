package store

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kook-project/kook/pkg/kook"
)

// Schema is the layout version this package writes. It reads every older
// one and upgrades a root in place on its next write (upgrade). A root
// whose meta carries a higher schema is refused.
//
//	1  meta, generations of host and group buckets; every write sets meta
//	2  schema 1 and the vars-file layer ("file_vars" in host and group
//	   records, left out when empty, so a schema 1 record reads as one
//	   without file vars)
//	3  schema 2 and the change log (ROOT/log), whose parent's mzxid is the
//	   version: writers of different buckets no longer conflict on meta
//	4  schema 3 and the manifest (manifest.go): meta names the generation
//	   of every bucket, so a change of many buckets is written
//	   copy-on-write and switched in with one multi
const Schema = 4

// Bucket sizing. ZooKeeper spends about the same per request whatever its
// size up to some tens of KiB, so fewer, larger buckets read faster; but
// every small write rewrites its whole bucket (and ZooKeeper logs it), so
// buckets should stay small enough that a host checking in does not write
// a quarter of a megabyte. Buckets average between targetBucket/2 and
// targetBucket; the count doubles (a new generation) when one grows past
// three times targetBucket, and halves when the inventory shrank to a
// quarter. targetBucket is a variable only so that BenchmarkBucketSize can
// sweep it; nothing else changes it.
var targetBucket = 64 << 10

const (
	// maxBucket keeps a znode under ZooKeeper's default jute.maxbuffer
	// (1 MiB, which also bounds the request that writes it).
	maxBucket = 1000 << 10
	// maxRecord is the most one host's or group's record may take.
	maxRecord  = 900 << 10
	maxBuckets = 1 << 14

	// Limits of one multi request, below the 1 MiB jute.maxbuffer past
	// which the server drops the connection (TestLargestMultiFits: 1,020
	// KiB still passed), with room for the header a leader adds when it
	// proposes the transaction to followers. At 896 KiB, a re-import that
	// changes 10 hosts fits in one multi even when their buckets are full.
	maxMultiBytes = 896 << 10
	maxMultiOps   = 1000

	// positionStride spaces membership positions so that a host inserted
	// in the middle of a group usually fits between its neighbours.
	positionStride = 1024
)

// meta is the content of ROOT/meta.
type meta struct {
	Schema       int64
	Current      string // generation node name, "g0000000007"
	HostBuckets  int
	GroupBuckets int
	// Seq was above every membership position in the inventory when meta
	// was last set; full writes hand out positions from it (moving it on
	// by positionStride), small writes above it (txn.nextPos).
	Seq int64
	// SeqZxid, when set, is the zxid small writes measure their positions
	// from (txn.nextPos); 0 means meta's own mzxid. A write that sets meta
	// without having seen every position keeps the old base.
	SeqZxid int64
	// HostGens and GroupGens are the manifest: the generation number of
	// each bucket; nil when every bucket is in Current.
	HostGens, GroupGens []int64
	// Writer identifies the write that last set meta (the log says which
	// write was last).
	Writer string
	// Rules names the inventory-reading rules (an Ansible version such as
	// "2.19") of the import that wrote the inventory; empty when no import
	// recorded any. Older binaries ignore it.
	Rules string
}

func (m meta) encode() []byte {
	b := []byte(`{"current":`)
	b = kook.AppendString(b, m.Current)
	b = append(b, `,"group_buckets":`...)
	b = strconv.AppendInt(b, int64(m.GroupBuckets), 10)
	if m.GroupGens != nil {
		b = append(b, `,"group_gens":`...)
		b = appendGens(b, m.GroupGens)
	}
	b = append(b, `,"host_buckets":`...)
	b = strconv.AppendInt(b, int64(m.HostBuckets), 10)
	if m.HostGens != nil {
		b = append(b, `,"host_gens":`...)
		b = appendGens(b, m.HostGens)
	}
	if m.Rules != "" {
		b = append(b, `,"rules":`...)
		b = kook.AppendString(b, m.Rules)
	}
	b = append(b, `,"schema":`...)
	b = strconv.AppendInt(b, m.Schema, 10)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, m.Seq, 10)
	if m.SeqZxid != 0 {
		b = append(b, `,"seq_zxid":`...)
		b = strconv.AppendInt(b, m.SeqZxid, 10)
	}
	b = append(b, `,"writer":`...)
	b = kook.AppendString(b, m.Writer)
	return append(b, '}')
}

var genName = regexp.MustCompile(`^g[0-9]{10}$`)

// parseMeta reads ROOT/meta; path is for messages.
func parseMeta(path string, data []byte) (meta, error) {
	var m meta
	v, err := kook.DecodeJSON(data)
	obj, ok := v.(map[string]any)
	if err != nil || !ok {
		return m, fmt.Errorf("%s does not hold kook's metadata (not a JSON object); refusing to use this root", path)
	}
	schema, ok := obj["schema"].(int64)
	if !ok {
		return m, fmt.Errorf("%s does not hold kook's metadata (no schema number); refusing to use this root", path)
	}
	if schema > Schema {
		return m, fmt.Errorf("%s was written by a newer kook (schema %d; this one reads schema %d)", path, schema, Schema)
	}
	if schema < 1 {
		return m, fmt.Errorf("%s has an unknown schema %d; refusing to use this root", path, schema)
	}
	m.Schema = schema
	m.Current, _ = obj["current"].(string)
	hb, _ := obj["host_buckets"].(int64)
	gb, _ := obj["group_buckets"].(int64)
	m.Seq, _ = obj["seq"].(int64)
	m.Writer, _ = obj["writer"].(string)
	m.Rules, _ = obj["rules"].(string)
	m.SeqZxid, _ = obj["seq_zxid"].(int64)
	m.HostBuckets, m.GroupBuckets = int(hb), int(gb)
	if !genName.MatchString(m.Current) || !validCount(m.HostBuckets) || !validCount(m.GroupBuckets) {
		return m, fmt.Errorf("%s is corrupt: %s", path, data)
	}
	var okH, okG bool
	m.HostGens, okH = parseGens(obj["host_gens"], m.HostBuckets)
	m.GroupGens, okG = parseGens(obj["group_gens"], m.GroupBuckets)
	if !okH || !okG {
		return m, fmt.Errorf("%s is corrupt: %s", path, data)
	}
	return m, nil
}

func validCount(n int) bool { return n >= 1 && n <= maxBuckets && n&(n-1) == 0 }

// genData is the content of a generation node.
func genData(hostBuckets, groupBuckets int) []byte {
	return fmt.Appendf(nil, `{"group_buckets":%d,"host_buckets":%d}`, groupBuckets, hostBuckets)
}

// bucketOf is the bucket a name hashes to: FNV-1a 64, modulo the bucket
// count (a power of two).
func bucketOf(name string, n int) int {
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	return int(h & uint64(n-1))
}

// bucketName is the znode name of bucket i of n: hex, fixed width.
func bucketName(i, n int) string {
	width := len(strconv.FormatInt(int64(n-1), 16))
	s := strconv.FormatInt(int64(i), 16)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

func hostBucketPath(gen string, i, n int) string  { return gen + "/h/" + bucketName(i, n) }
func groupBucketPath(gen string, i, n int) string { return gen + "/g/" + bucketName(i, n) }

// record is one encoded host or group: its name and the JSON of its value.
type record struct {
	name string
	json []byte
}

// chooseBuckets picks the bucket count for records: the current count
// when it still fits, else the smallest power of two that averages at most
// targetBucket and leaves no bucket with several records past growBucket.
func chooseBuckets(recs []record, current int) (int, error) {
	total := 2
	var over *record // of the records too large, the one with the longest name
	for i, r := range recs {
		size := recordSize(r)
		if size > maxRecord && (over == nil || len(r.name) > len(over.name)) {
			over = &recs[i]
		}
		total += size
	}
	if over != nil {
		// A huge name also swells the records that mention it ("all"
		// lists a huge group as a child): blame the one it belongs to.
		return 0, fmt.Errorf("%s takes %d KiB, more than the %d KiB ZooKeeper can hold in one node", quoteName(over.name), recordSize(*over)>>10, maxRecord>>10)
	}
	ideal := 1
	for ideal < maxBuckets && total > ideal*targetBucket {
		ideal *= 2
	}
	if current >= 1 && current <= 4*ideal && current*4 >= ideal && fits(recs, current) {
		return current, nil
	}
	n := ideal
	for n < maxBuckets && !fits(recs, n) {
		n *= 2
	}
	return n, nil
}

// quoteName quotes a name for an error message, cut short when it is long:
// the names that make a record too large can run to megabytes, which no
// one wants on their terminal.
func quoteName(name string) string {
	const keep = 64
	if len(name) <= keep {
		return strconv.Quote(name)
	}
	cut := keep
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes)", strconv.Quote(name[:cut]), len(name))
}

// growBucket is the size past which a bucket of several records makes the
// next write split the buckets (a new generation with twice as many).
func growBucket() int { return min(3*targetBucket, maxBucket) }

func recordSize(r record) int { return len(r.name) + len(r.json) + 8 }

// fits reports whether no bucket holding more than one record grows past
// growBucket when recs are spread over n buckets.
func fits(recs []record, n int) bool {
	sizes := make([]int, n)
	counts := make([]int, n)
	for _, r := range recs {
		b := bucketOf(r.name, n)
		sizes[b] += recordSize(r)
		counts[b]++
	}
	for i := range sizes {
		if sizes[i] > growBucket() && counts[i] > 1 {
			return false
		}
	}
	return true
}

// buildBuckets spreads records over n buckets, each a JSON object with
// its keys sorted, and checks every bucket fits in a znode. kind names the
// records in messages ("host", "group").
func buildBuckets(recs []record, n int, kind string) ([][]byte, error) {
	per := make([][]record, n)
	for _, r := range recs {
		b := bucketOf(r.name, n)
		per[b] = append(per[b], r)
	}
	out := make([][]byte, n)
	parallel(n, 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			rs := per[i]
			slices.SortFunc(rs, func(a, b record) int { return strings.Compare(a.name, b.name) })
			out[i] = appendBucket(nil, rs)
		}
	})
	for i, b := range out {
		if len(b) > maxBucket {
			return nil, fmt.Errorf("%s bucket %s would take %d KiB, more than ZooKeeper can hold in one node", kind, bucketName(i, n), len(b)>>10)
		}
	}
	return out, nil
}

func appendBucket(b []byte, rs []record) []byte {
	size := 2
	for _, r := range rs {
		size += recordSize(r)
	}
	if cap(b)-len(b) < size {
		b = append(make([]byte, 0, len(b)+size), b...)
	}
	b = append(b, '{')
	for i, r := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		b = kook.AppendString(b, r.name)
		b = append(b, ':')
		b = append(b, r.json...)
	}
	return append(b, '}')
}

// membership is a host's place in one group.
type membership struct {
	group string
	pos   int64
}

// hostRecord encodes a host:
// {"file_vars":{...},"groups":{"db":0,"web":3},"vars":{...}}, without
// "file_vars" when the host has none. A var outside kook's value set is
// an error naming the host and the var.
func hostRecord(name string, vars, fileVars kook.Vars, groups []membership) ([]byte, error) {
	return appendHostRecord(nil, name, vars, fileVars, groups)
}

// appendHostRecord is hostRecord appending to b.
func appendHostRecord(b []byte, name string, vars, fileVars kook.Vars, groups []membership) ([]byte, error) {
	// Usually sorted already (encodeInventory appends in group order),
	// which slices.SortFunc notices in one pass.
	slices.SortFunc(groups, func(a, b membership) int { return strings.Compare(a.group, b.group) })
	b = append(b, '{')
	var err error
	if len(fileVars) > 0 {
		b = append(b, `"file_vars":`...)
		if b, err = kook.AppendVars(b, fileVars); err != nil {
			return nil, fmt.Errorf("host %s: host_vars: %w", quoteName(name), err)
		}
		b = append(b, ',')
	}
	b = append(b, `"groups":{`...)
	for i, m := range groups {
		if i > 0 {
			b = append(b, ',')
		}
		b = kook.AppendString(b, m.group)
		b = append(b, ':')
		b = strconv.AppendInt(b, m.pos, 10)
	}
	b = append(b, `},"vars":`...)
	if b, err = kook.AppendVars(b, vars); err != nil {
		return nil, fmt.Errorf("host %s: %w", quoteName(name), err)
	}
	return append(b, '}'), nil
}

// groupRecord encodes a group:
// {"children":["a","b"],"file_vars":{...},"vars":{...}}, without
// "file_vars" when the group has none. A var outside kook's value set is
// an error naming the group and the var.
func groupRecord(name string, vars, fileVars kook.Vars, children []string) ([]byte, error) {
	b := []byte(`{"children":`)
	b = appendStrings(b, children)
	var err error
	if len(fileVars) > 0 {
		b = append(b, `,"file_vars":`...)
		if b, err = kook.AppendVars(b, fileVars); err != nil {
			return nil, fmt.Errorf("group %s: group_vars: %w", quoteName(name), err)
		}
	}
	b = append(b, `,"vars":`...)
	if b, err = kook.AppendVars(b, vars); err != nil {
		return nil, fmt.Errorf("group %s: %w", quoteName(name), err)
	}
	return append(b, '}'), nil
}

// appendStrings appends list as a JSON array of strings.
func appendStrings(b []byte, list []string) []byte {
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = kook.AppendString(b, s)
	}
	return append(b, ']')
}

// hostEntry is a decoded host record.
type hostEntry struct {
	name     string
	vars     kook.Vars
	fileVars kook.Vars // nil when the record has none
	groups   []membership
}

// groupEntry is a decoded group record.
type groupEntry struct {
	name     string
	vars     kook.Vars
	fileVars kook.Vars // nil when the record has none
	children []string
}

// decodeHostRecord reads one host's record at d's position.
func (d *decoder) hostRecord(name string) (hostEntry, error) {
	e := hostEntry{name: name}
	err := d.object(func(k string) error {
		switch k {
		case "vars":
			v, err := d.vars()
			e.vars = v
			return err
		case "file_vars":
			v, err := d.vars()
			e.fileVars = v
			return err
		case "groups":
			return d.object(func(g string) error {
				p, err := d.int()
				e.groups = append(e.groups, membership{g, p})
				return err
			})
		default:
			return d.skip()
		}
	})
	if e.vars == nil {
		e.vars = kook.Vars{}
	}
	return e, err
}

func (d *decoder) groupRecord(name string) (groupEntry, error) {
	e := groupEntry{name: name}
	err := d.object(func(k string) error {
		switch k {
		case "vars":
			v, err := d.vars()
			e.vars = v
			return err
		case "file_vars":
			v, err := d.vars()
			e.fileVars = v
			return err
		case "children":
			v, err := d.value()
			if err != nil {
				return err
			}
			list, ok := v.([]any)
			if !ok {
				return d.errorf("children of %q is not a list", name)
			}
			for _, c := range list {
				s, ok := c.(string)
				if !ok {
					return d.errorf("children of %q holds a non-string", name)
				}
				e.children = append(e.children, s)
			}
			return nil
		default:
			return d.skip()
		}
	})
	if e.vars == nil {
		e.vars = kook.Vars{}
	}
	return e, err
}

// splitBucket cuts a bucket into its records without decoding them, for
// small writes that change one record and keep the others byte for byte.
func splitBucket(data []byte) ([]record, error) {
	d := newDecoder(data, nil)
	var out []record
	err := d.names(func(name string) error {
		d.skipSpace()
		start := d.pos
		if err := d.skip(); err != nil {
			return err
		}
		out = append(out, record{name, data[start:d.pos]})
		return nil
	})
	if err == nil {
		err = d.end()
	}
	return out, err
}
