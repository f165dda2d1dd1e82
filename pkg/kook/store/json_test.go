package store

import (
	"math"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kook-project/kook/pkg/kook"
)

func TestDecoderMatchesDecodeJSON(t *testing.T) {
	for _, in := range []string{
		`{}`, `[]`, `1`, `-0`, `1.0`, `1e5`, `1E-7`, `-2.5e+3`, `9223372036854775807`, `9223372036854775808`,
		`-9223372036854775809`, `"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00"`, `"é☃"`, `true`, `false`, `null`,
		`{"a":[1,2.0,{"b":null}],"c":"d"}`, ` { "x" : [ ] , "y" : { } } `, `"\ud800x"`,
	} {
		want, err := kook.DecodeJSON([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		d := newDecoder([]byte(in), nil)
		got, err := d.value()
		if err == nil {
			err = d.end()
		}
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: %s", in, diff)
		}
	}
	for _, in := range []string{`{`, `[1,]`, `{"a"}`, `"abc`, `tru`, `1 2`, `{"a":1,}`, "\"\x01\"", `-`, `"\x"`} {
		d := newDecoder([]byte(in), nil)
		_, err := d.value()
		if err == nil {
			err = d.end()
		}
		if err == nil {
			t.Errorf("%q: accepted", in)
		}
	}
}

func TestDecoderSpecialFloats(t *testing.T) {
	v := map[string]any{"nan": math.NaN(), "inf": math.Inf(1), "ninf": math.Inf(-1), "one": 1.0, "i": int64(1)}
	data, err := kook.AppendJSON(nil, v)
	if err != nil {
		t.Fatal(err)
	}
	got, err := newDecoder(data, nil).value()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(v, got, cmpInv); diff != "" {
		t.Fatal(diff)
	}
}

func TestAssignPositions(t *testing.T) {
	seq := int64(100000)
	order := func(hosts []string, pos []int64) {
		t.Helper()
		for i := 1; i < len(pos); i++ {
			if pos[i] <= pos[i-1] {
				t.Fatalf("positions not increasing: %v for %v", pos, hosts)
			}
		}
		for _, p := range pos {
			if p >= seq {
				t.Fatalf("position %d not below seq %d", p, seq)
			}
		}
	}
	hosts := []string{"a", "b", "c", "d"}
	p := assignPositions(hosts, "g", groupPositions(nil), &seq)
	order(hosts, p)
	old := map[string]int64{}
	for i, h := range hosts {
		old[h] = p[i]
	}
	// Unchanged order keeps every position.
	p2 := assignPositions(hosts, "g", groupPositions{"g": old}, &seq)
	if !cmp.Equal(p, p2) {
		t.Errorf("unchanged order moved: %v -> %v", p, p2)
	}
	// Insert in the middle, prepend, append, move: only those get new positions.
	h3 := []string{"z", "a", "x", "b", "d", "c", "y"}
	p3 := assignPositions(h3, "g", groupPositions{"g": old}, &seq)
	order(h3, p3)
	kept := 0
	for i, h := range h3 {
		if op, ok := old[h]; ok && op == p3[i] {
			kept++
		}
	}
	if kept != 3 {
		t.Errorf("kept %d old positions, want 3: %v", kept, p3)
	}
	// No room between neighbours: the group is renumbered.
	tight := map[string]int64{"a": 1, "b": 2}
	h4 := []string{"a", "x", "b"}
	p4 := assignPositions(h4, "g", groupPositions{"g": tight}, &seq)
	order(h4, p4)
}

func TestBucketLayout(t *testing.T) {
	if bucketName(0, 1) != "0" || bucketName(10, 64) != "0a" || bucketName(255, 256) != "ff" || bucketName(3, 4096) != "003" {
		t.Error("bucket names")
	}
	recs := []record{{"a", []byte(`{}`)}}
	if n, _ := chooseBuckets(recs, 0); n != 1 {
		t.Errorf("tiny: %d buckets", n)
	}
	big := make([]byte, maxRecord+1)
	if _, err := chooseBuckets([]record{{"huge", big}}, 0); err == nil {
		t.Error("a record past maxRecord was accepted")
	}
	var many []record
	for i := 0; i < 10000; i++ {
		many = append(many, record{string(rune('a'+i%26)) + string(rune(i)), make([]byte, 250)})
	}
	n, err := chooseBuckets(many, 0)
	if err != nil || n < 32 || n > 64 {
		t.Errorf("10000 x 250 B: %d buckets, %v", n, err)
	}
	if m, _ := chooseBuckets(many, n); m != n {
		t.Errorf("current count not kept: %d -> %d", n, m)
	}
	for _, m := range []meta{
		{Schema: 1, Current: "g0000000001", HostBuckets: 4, GroupBuckets: 1, Seq: 5, Writer: "x"},
		{Schema: 4, Current: "g0000000001", HostBuckets: 4, GroupBuckets: 2, Seq: 5, SeqZxid: 77, Writer: "x",
			HostGens: []int64{1, 9, 1, 12}, GroupGens: []int64{9, 9}},
	} {
		got, err := parseMeta("/m", m.encode())
		if err != nil || !reflect.DeepEqual(got, m) {
			t.Errorf("meta round trip: %+v %v", got, err)
		}
	}
	for _, bad := range []string{`"host_gens":[1,2,3]`, `"host_gens":[1,2,3,"x"]`, `"group_gens":{}`} {
		data := `{"current":"g0000000001","group_buckets":2,"host_buckets":4,"schema":4,"seq":0,` + bad + `}`
		if _, err := parseMeta("/m", []byte(data)); err == nil {
			t.Errorf("a manifest %s was accepted", bad)
		}
	}
}
