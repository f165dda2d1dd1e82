package config

import (
	"path/filepath"
	"testing"
)

// TestAnsibleVersionPrecedence: --ansible-version over KOOK_ANSIBLE_VERSION
// over ansible_version: in the file, in Load and in LoadAnsibleVersion
// alike; LoadAnsibleVersion needs no servers.
func TestAnsibleVersionPrecedence(t *testing.T) {
	withVersion := writeFile(t, 0o600, "hosts: zk\nansible_version: \"2.16\"\n")
	without := writeFile(t, 0o600, "hosts: zk\n")
	noServers := writeFile(t, 0o600, "ansible_version: 2.18.1\n")
	tests := []struct {
		name             string
		flags            Flags
		env              env
		defaultFile      string
		version, from    string
		needsNoZooKeeper bool
	}{
		{"nothing", Flags{Config: without}, env{}, "", "", "", false},
		{"file", Flags{Config: withVersion}, env{}, "", "2.16", "ansible_version: in " + withVersion, false},
		{"default file", Flags{}, env{}, withVersion, "2.16", "ansible_version: in " + withVersion, false},
		{"KOOK_CONFIG file", Flags{}, env{"KOOK_CONFIG": withVersion}, "", "2.16", "ansible_version: in " + withVersion, false},
		{"env over file", Flags{Config: withVersion}, env{"KOOK_ANSIBLE_VERSION": "2.19"}, "", "2.19", "KOOK_ANSIBLE_VERSION", false},
		{"flag over env", Flags{Config: withVersion, AnsibleVersion: "2.14"}, env{"KOOK_ANSIBLE_VERSION": "2.19"}, "", "2.14", "--ansible-version", false},
		{"file without servers", Flags{Config: noServers}, env{}, "", "2.18.1", "ansible_version: in " + noServers, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := tt.defaultFile
			if def == "" {
				def = noDefault(t)
			}
			v, from, err := loadAnsibleVersion(tt.flags, tt.env.get, def)
			if err != nil || v != tt.version || from != tt.from {
				t.Errorf("loadAnsibleVersion = %q, %q, %v; want %q, %q", v, from, err, tt.version, tt.from)
			}
			if tt.needsNoZooKeeper {
				return
			}
			cfg, err := load(tt.flags, tt.env.get, nil, def)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.AnsibleVersion != tt.version || cfg.AnsibleVersionFrom != tt.from {
				t.Errorf("Load: %q from %q; want %q from %q", cfg.AnsibleVersion, cfg.AnsibleVersionFrom, tt.version, tt.from)
			}
		})
	}
	// A named file that does not exist is an error here too.
	if _, _, err := loadAnsibleVersion(Flags{Config: filepath.Join(t.TempDir(), "absent.yml")}, env{}.get, noDefault(t)); err == nil {
		t.Error("loadAnsibleVersion with a missing --config: no error")
	}
}
