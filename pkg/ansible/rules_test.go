package ansible

import (
	"os"

	"github.com/google/go-cmp/cmp"
	"path/filepath"
	"strings"
	"testing"
)

func TestRulesFor(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Rules
	}{
		{"2.14", Rules214}, {"2.14.18", Rules214}, {"2.15", Rules214}, {"2.16.3", Rules214},
		{"2.17.0rc1", Rules214}, {"2.18", Rules214}, {" 2.18.7 ", Rules214},
		{"2.19", Rules219}, {"2.19.11", Rules219}, {"2.19.11-0+deb13u1", Rules219}, {"2.19.0.dev0", Rules219}, {"2.20", Rules219}, {"2.22.0b2", Rules219},
		{"ansible-core 2.16.3", Rules214}, {"v2.19", Rules219}, {"3.0", Rules219},
	} {
		got, err := RulesFor(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("RulesFor(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "2", "2.13", "2.9.27", "1.9", "latest", "2.x", "2.19x", "two.nineteen", "2..19", "-2.19"} {
		if got, err := RulesFor(in); err == nil {
			t.Errorf("RulesFor(%q) = %q, want an error", in, got)
		} else if !strings.Contains(err.Error(), "ansible version") {
			t.Errorf("RulesFor(%q): error %q does not say what is wrong", in, err)
		}
	}
}

func TestDefaultRules(t *testing.T) {
	if (ReadOptions{}).rules() != Rules219 || DefaultRules != Rules219 {
		t.Errorf("the zero ReadOptions reads with %s, want 2.19", (ReadOptions{}).rules())
	}
}

// TestReadDirINIByRules: an .ini file in an inventory directory is skipped
// under 2.14 rules (INVENTORY_IGNORE_EXTS held .ini) and read under 2.19's.
func TestReadDirINIByRules(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hosts.ini"), []byte("[web]\nw1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "more"), []byte("[db]\nd1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old, err := ReadDir(dir, "", ReadOptions{Rules: Rules214})
	if err != nil {
		t.Fatal(err)
	}
	if old.Groups["web"] != nil || old.Groups["db"] == nil {
		t.Errorf("2.14 rules: groups %v, want db only", old.GroupNames())
	}
	cur, err := ReadDir(dir, "", ReadOptions{Rules: Rules219})
	if err != nil {
		t.Fatal(err)
	}
	if cur.Groups["web"] == nil || cur.Groups["db"] == nil {
		t.Errorf("2.19 rules: groups %v, want web and db", cur.GroupNames())
	}

	only := t.TempDir()
	if err := os.WriteFile(filepath.Join(only, "hosts.ini"), []byte("[web]\nw1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadDir(only, "", ReadOptions{Rules: Rules214})
	if err == nil || !strings.Contains(err.Error(), "hosts.ini") || !strings.Contains(err.Error(), "2.19") {
		t.Errorf("2.14 rules on a directory holding only hosts.ini: %v, want an error naming the file and the 2.19 rules", err)
	}
}

// TestParseJSON219: the script plugin of 2.19 is stricter about _meta and
// marks the vars of a shorthand group unsafe.
func TestParseJSON219(t *testing.T) {
	r219 := ReadOptions{Rules: Rules219}
	r214 := ReadOptions{Rules: Rules214}
	for _, tt := range []struct {
		doc, err219 string
	}{
		{`{"g": ["h"], "_meta": {}}`, "'_meta.hostvars' which is 'NoneType'"},
		{`{"g": ["h"], "_meta": {"hostvars": []}}`, "'_meta.hostvars' which is 'list'"},
		{`{"_meta": []}`, "'_meta' which is 'list'"},
		{`{"_meta": {"hostvars": {}, "profile": 1}}`, "'_meta.profile' which is 'int'"},
		{`{"_meta": {"hostvars": {}, "profile": "legacy"}}`, "Non-inventory profile 'legacy'"},
		{`{"_meta": {"hostvars": {}, "profile": "inventory_other"}}`, "unknown profile 'inventory_other'"},
	} {
		if _, err := ParseJSON("t.json", []byte(tt.doc), r219); err == nil || !strings.Contains(err.Error(), tt.err219) {
			t.Errorf("2.19 %s: %v, want an error with %q", tt.doc, err, tt.err219)
		}
	}
	// 2.14 accepts the first two when no listed host needs them, and
	// ignores _meta.profile.
	for _, doc := range []string{`{"_meta": {}}`, `{"_meta": {"hostvars": {}, "profile": 1}}`} {
		if _, err := ParseJSON("t.json", []byte(doc), r214); err != nil {
			t.Errorf("2.14 %s: %v", doc, err)
		}
	}
	doc := `{"solo": {"a": "x", "n": 1, "l": ["y"]}, "g": {"vars": {"b": "z"}}, "_meta": {"hostvars": {"solo": {"c": "w"}}, "profile": "inventory_legacy"}}`
	inv, err := ParseJSON("t.json", []byte(doc), r219)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": map[string]any{"__ansible_unsafe": "x"}, "n": int64(1), "l": []any{map[string]any{"__ansible_unsafe": "y"}}}
	if got := inv.Groups["solo"].Vars; !cmp.Equal(map[string]any(got), want) {
		t.Errorf("2.19 shorthand group vars = %v, want %v", got, want)
	}
	if got := inv.Groups["g"].Vars["b"]; got != "z" {
		t.Errorf("2.19 group vars under vars: %v, want trusted z", got)
	}
	if got := inv.Hosts["solo"].Vars["c"]; got != "w" {
		t.Errorf("2.19 _meta.hostvars: %v, want trusted w", got)
	}
	old, err := ParseJSON("t.json", []byte(doc), r214)
	if err != nil {
		t.Fatal(err)
	}
	if got := old.Groups["solo"].Vars["a"]; got != "x" {
		t.Errorf("2.14 shorthand group var = %v, want x", got)
	}
}
