package ansible_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kook-project/kook/internal/testutil"
	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
)

func TestParseArchiveSmall(t *testing.T) {
	path := filepath.Join(testutil.RepoRoot(), "testdata", "inventories", "archive-small.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var warnings []string
	inv, err := ansible.ParseArchive(path, data, ansible.ReadOptions{Rules: ansible.Rules214, Warn: func(m string) { warnings = append(warnings, m) }})
	if err != nil {
		t.Fatal(err)
	}
	inv.Reconcile()
	want := graph(map[string]G{
		"all":       {Children: []string{"ungrouped", "geo", "ups"}},
		"ungrouped": {Hosts: []string{"spare"}},
		"geo":       {Hosts: []string{"edge"}, Children: []string{"rack"}, Vars: kook.Vars{"geo": "home"}},
		"rack":      {Hosts: []string{"n1", "n2"}, Vars: kook.Vars{"rack": int64(1)}},
		"ups":       {Hosts: []string{"edge"}, Vars: kook.Vars{"battery": "larval"}},
	}, map[string]kook.Vars{
		"n1":    {"host_name": "n1"},
		"edge":  {"host_address": "10.0.0.1", "role": "own"},
		"spare": {"host_name": "spare"},
	})
	if diff := testutil.GraphDiff(want, inv); diff != "" {
		t.Errorf("ParseArchive (-want +got):\n%s", diff)
	}
	// geo lists rack as a member and rack lists geo as its parent: no
	// warning for that link.
	wantWarnings := []string{
		"kook archive: host edge lists group ups, but ups does not list it as a member; keeping the membership",
		"kook archive: group rack lists host n2 as a member, but n2 does not list the group; keeping the membership",
	}
	if diff := cmp.Diff(wantWarnings, warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	// Deterministic: the same input gives the same output.
	var a, b bytes.Buffer
	for _, buf := range []*bytes.Buffer{&a, &b} {
		inv, err := ansible.ParseArchive(path, data, ansible.ReadOptions{Rules: ansible.Rules214})
		if err != nil {
			t.Fatal(err)
		}
		inv.Reconcile()
		if err := ansible.WriteJSON(buf, inv); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("two reads differ:\n%s\n%s", a.Bytes(), b.Bytes())
	}
}

// TestParseArchiveReal reads the original Python Kook's dump: 20 hosts,
// 17 groups, 4 links recorded on one side only.
func TestParseArchiveReal(t *testing.T) {
	path := testutil.KookArchive()
	if path == "" {
		t.Skip("kook-archive.json not present")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var warnings []string
	inv, err := ansible.ParseArchive(path, data, ansible.ReadOptions{Rules: ansible.Rules214, Warn: func(m string) { warnings = append(warnings, m) }})
	if err != nil {
		t.Fatal(err)
	}
	inv.Reconcile()
	if n := len(inv.Hosts); n != 20 {
		t.Errorf("%d hosts, want 20", n)
	}
	if n := len(inv.Groups) - 2; n != 17 {
		t.Errorf("%d groups besides all and ungrouped, want 17", n)
	}
	wantWarnings := []string{
		"kook archive: host stormclad.apartment.arrdem.com lists group service_apartment_zookeeper, but service_apartment_zookeeper does not list it as a member; keeping the membership",
		"kook archive: group chasis_pi_b lists host fumiv-jifid.apartment.arrdem.com as a member, but fumiv-jifid.apartment.arrdem.com does not list the group; keeping the membership",
		"kook archive: group chasis_pi_bp lists host zipas-goloh.apartment.arrdem.com as a member, but zipas-goloh.apartment.arrdem.com does not list the group; keeping the membership",
		"kook archive: group chasis_pi_bp lists host rijom-mapul.apartment.arrdem.com as a member, but rijom-mapul.apartment.arrdem.com does not list the group; keeping the membership",
	}
	if diff := cmp.Diff(wantWarnings, warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	geo := inv.Groups["geo_apartment"]
	if diff := cmp.Diff([]string{"rack_apartment_test", "rack_apartment_pis", "rack_apartment_modes", "rack_apartment_infra"}, geo.Children); diff != "" {
		t.Errorf("geo_apartment children (-want +got):\n%s", diff)
	}
	if !inv.Groups["service_apartment_zookeeper"].HasHost("stormclad.apartment.arrdem.com") {
		t.Errorf("membership known only from the host's side was dropped")
	}
	if !inv.Groups["service_apartment_resolvers"].HasChild("rack_apartment_modes") {
		t.Errorf("service_apartment_resolvers lost its child rack_apartment_modes")
	}
	// A group's host_vars land on the host; the host's own vars are kept.
	ethos := inv.Hosts["ethos.apartment.arrdem.com"].Vars
	if ethos["pdu_outlet"] != int64(1) || ethos["host_name"] != "ethos.apartment.arrdem.com" {
		t.Errorf("ethos vars = %v, want pdu_outlet 1 from pdu_apartment_sucker and its own host_name", ethos)
	}
	if inv.Hosts["stormclad.apartment.arrdem.com"].Vars["host_address"] != "10.0.0.153" {
		t.Errorf("stormclad lost geo_apartment's host_vars")
	}
	if got := inv.Groups["battery_apartment_larval"].Vars["battery_powervalue"]; got != int64(1) {
		t.Errorf("battery_apartment_larval vars: battery_powervalue = %#v, want 1", got)
	}
	// And it survives the script protocol.
	var buf bytes.Buffer
	if err := ansible.WriteJSON(&buf, inv); err != nil {
		t.Fatal(err)
	}
	back, err := ansible.ParseJSON("back.json", buf.Bytes(), ansible.ReadOptions{Rules: ansible.Rules214})
	if err != nil {
		t.Fatal(err)
	}
	back.Reconcile()
	if diff := testutil.GraphDiff(inv, back); diff != "" {
		t.Errorf("JSON round trip (-archive +json):\n%s", diff)
	}
}

func TestParseArchiveErrors(t *testing.T) {
	const meta = `{"__meta__": {"groups": "/kook/group", "hosts": "/kook/host"},` + "\n"
	tests := []struct{ doc, want string }{
		{`[]`, `a.json:1: a kook archive is a JSON object, not a list`},
		{`{"g": []}`, `a.json:1: not a kook archive: no "__meta__" key`},
		{`{"__meta__": {"hosts": "/h"}}`, `a.json:1: "__meta__" has no "groups" prefix`},
		{`{"__meta__": {"hosts": "/h", "groups": "/h"}}`, `a.json:1: "__meta__" names the same prefix /h for groups and hosts`},
		{meta + `"/kook/group": {"g": {"members": [` + "\n" + `"/elsewhere/x"]}}}`, `a.json:3: members of g: "/elsewhere/x" is neither under /kook/host/ nor under /kook/group/`},
		{meta + `"/kook/group": {"g": {"members": "/kook/host/x"}}}`, `a.json:2: members of g must be a list`},
		{meta + `"/kook/group": {"g": {"vars": []}}}`, `a.json:2: vars of g must be an object`},
		{meta + `"/kook/group": {"g": {"members": ["/kook/group/g"]}}}`, `a.json:2: can't add group to itself`},
		{meta + `"/kook/group": {"a": {"members": ["/kook/group/b"]},` + "\n" + `"b": {"members": ["/kook/group/a"]}}}`, `a.json:3: Adding group 'a' as child to 'b' creates a recursive dependency loop.`},
		{meta + `"/kook/host": {"h": {"groups": ["/kook/host/x"]}}}`, `a.json:2: host h lists /kook/host/x among its groups, which is not a group`},
		{meta + `"/kook/group": {"g": {"vars": {"ansible_group_priority": "x"}}}}`, `a.json:2: invalid literal for int() with base 10: 'x'`},
		{meta + `"/kook/host": 3}`, `a.json:2: "/kook/host" must be an object`},
		{meta + `"/kook/host": {"h": {"groups": []},}}`, `a.json:2: Expecting property name enclosed in double quotes: line 2 column 36 (char 98)`},
	}
	for _, tt := range tests {
		inv, err := ansible.ParseArchive("a.json", []byte(tt.doc), ansible.ReadOptions{Rules: ansible.Rules214})
		var e *ansible.Error
		if err == nil || inv != nil || !errors.As(err, &e) {
			t.Errorf("ParseArchive(ansible.ReadOptions{Rules: ansible.Rules214, Warn: %q}) = %v, %v; want nil and an *Error", tt.doc, inv, err)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("ParseArchive(ansible.ReadOptions{Rules: ansible.Rules214, Warn: %q}):\n got %s\nwant %s", strings.ReplaceAll(tt.doc, meta, "META"), err, tt.want)
		}
	}
}
