// Package config finds how to reach kook's ZooKeeper: flags first, then the
// environment (KOOK_ZK, KOOK_ROOT, KOOK_DIGEST, KOOK_CONFIG), then a YAML
// file ($KOOK_CONFIG, else /etc/kook.yml). Ansible runs kook-inventory with
// --list and nothing else, so the environment and the file must be enough.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

// DefaultFile is where the configuration lives when KOOK_CONFIG is unset;
// the original Python Kook read the same place.
const DefaultFile = "/etc/kook.yml"

// DefaultRoot is the znode under which kook keeps the inventory.
const DefaultRoot = "/kook"

// Config is the resolved configuration of either binary.
type Config struct {
	Servers        []string
	Root           string
	Timeout        time.Duration // deadline for reaching ZooKeeper and for each operation
	SessionTimeout time.Duration
	Digest         string // "user:password"; never printed
	WorldRead      bool   // with Digest: may clients without credentials read
	StaleOK        bool   // may kook-inventory serve its last answer when ZooKeeper is down
	TLS            TLS
	File           string // the file the configuration came from, if any
}

// TLS configures an encrypted connection to ZooKeeper's secureClientPort.
type TLS struct {
	CA   string `yaml:"ca"`   // PEM file of the CA that signed the servers' certificates
	Cert string `yaml:"cert"` // optional client certificate (PEM)
	Key  string `yaml:"key"`  // its key (PEM)
	// ServerName overrides the name checked in the server certificate.
	ServerName string `yaml:"server_name"`
}

// Enabled reports whether TLS was asked for.
func (t TLS) Enabled() bool { return t.CA != "" || t.Cert != "" }

// file is the YAML file's shape.
type file struct {
	Hosts          string `yaml:"hosts"`
	Root           string `yaml:"root"`
	Timeout        string `yaml:"timeout"`
	SessionTimeout string `yaml:"session_timeout"`
	Digest         string `yaml:"digest"`
	WorldRead      *bool  `yaml:"world_read"`
	StaleOK        bool   `yaml:"stale_ok"`
	TLS            TLS    `yaml:"tls"`
}

// Flags are the values given on the command line; empty means not given.
type Flags struct {
	Servers string
	Root    string
	Timeout time.Duration
	Config  string
}

// Load resolves the configuration. getenv is os.Getenv in production;
// warn receives advice that is not an error (a file others can read).
func Load(flags Flags, getenv func(string) string, warn func(string)) (Config, error) {
	cfg := Config{Root: DefaultRoot, Timeout: 5 * time.Second, SessionTimeout: 10 * time.Second, WorldRead: true}

	path, explicit := flags.Config, flags.Config != ""
	if !explicit {
		if p := getenv("KOOK_CONFIG"); p != "" {
			path, explicit = p, true
		} else {
			path = DefaultFile
		}
	}
	f, err := readFile(path, explicit, warn)
	if err != nil {
		return cfg, err
	}
	if f != nil {
		cfg.File = path
		if err := f.apply(&cfg); err != nil {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
	}

	if v := getenv("KOOK_ZK"); v != "" {
		cfg.Servers = splitServers(v)
	}
	if v := getenv("KOOK_ROOT"); v != "" {
		cfg.Root = v
	}
	if v := getenv("KOOK_DIGEST"); v != "" {
		cfg.Digest = v
	}
	if flags.Servers != "" {
		cfg.Servers = splitServers(flags.Servers)
	}
	if flags.Root != "" {
		cfg.Root = flags.Root
	}
	if flags.Timeout > 0 {
		cfg.Timeout = flags.Timeout
	}

	if len(cfg.Servers) == 0 {
		return cfg, errors.New("no ZooKeeper servers configured: set --zk, KOOK_ZK or hosts: in " + DefaultFile)
	}
	if !strings.HasPrefix(cfg.Root, "/") || (len(cfg.Root) > 1 && strings.HasSuffix(cfg.Root, "/")) {
		return cfg, fmt.Errorf("root %q must be an absolute znode path such as /kook", cfg.Root)
	}
	if cfg.Digest != "" && !strings.Contains(cfg.Digest, ":") {
		return cfg, errors.New("digest credentials must read user:password")
	}
	return cfg, nil
}

func readFile(path string, explicit bool, warn func(string)) (*file, error) {
	info, err := os.Stat(path)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var f file
	if err := yaml.UnmarshalWithOptions(data, &f, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("config %s: %s", path, yaml.FormatError(err, false, true))
	}
	if f.Digest != "" && info.Mode().Perm()&0o077 != 0 && warn != nil {
		warn(fmt.Sprintf("config %s holds credentials and can be read by others (mode %04o): chmod 600 it", path, info.Mode().Perm()))
	}
	return &f, nil
}

func (f *file) apply(cfg *Config) error {
	if f.Hosts != "" {
		cfg.Servers = splitServers(f.Hosts)
	}
	if f.Root != "" {
		cfg.Root = f.Root
	}
	for _, d := range []struct {
		text string
		dst  *time.Duration
		name string
	}{{f.Timeout, &cfg.Timeout, "timeout"}, {f.SessionTimeout, &cfg.SessionTimeout, "session_timeout"}} {
		if d.text == "" {
			continue
		}
		v, err := time.ParseDuration(d.text)
		if err != nil || v <= 0 {
			return fmt.Errorf("%s: %q is not a duration such as 5s", d.name, d.text)
		}
		*d.dst = v
	}
	cfg.Digest = f.Digest
	if f.WorldRead != nil {
		cfg.WorldRead = *f.WorldRead
	}
	cfg.StaleOK = f.StaleOK
	cfg.TLS = f.TLS
	return nil
}

func splitServers(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			if !strings.Contains(p, ":") {
				p += ":2181"
			}
			out = append(out, p)
		}
	}
	return out
}
