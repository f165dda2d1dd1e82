// Package config finds how to reach kook's ZooKeeper, and which Ansible's
// reading rules to follow: flags first, then the environment (KOOK_ZK,
// KOOK_ROOT, KOOK_DIGEST, KOOK_ANSIBLE_VERSION, KOOK_CONFIG), then a YAML
// file ($KOOK_CONFIG, else /etc/kook.yml). Ansible runs kook-inventory with
// --list and nothing else, so the environment and the file must be enough.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	gopath "path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

// DefaultFile is where the configuration lives when KOOK_CONFIG is unset;
// the original Python Kook read the same place.
const DefaultFile = "/etc/kook.yml"

// DefaultRoot is the znode under which kook keeps the inventory.
const DefaultRoot = "/kook"

// Config is the resolved configuration of every kook command.
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
	// AnsibleVersion is the ansible-core version whose reading rules apply,
	// as given (--ansible-version, KOOK_ANSIBLE_VERSION, ansible_version:);
	// empty when none was given. AnsibleVersionFrom says where it came from.
	AnsibleVersion, AnsibleVersionFrom string
}

// TLS configures an encrypted connection to ZooKeeper's secureClientPort.
type TLS struct {
	CA   string `yaml:"ca"`   // PEM file of the CA that signed the servers' certificates
	Cert string `yaml:"cert"` // optional client certificate (PEM)
	Key  string `yaml:"key"`  // its key (PEM)
	// ServerName overrides the name checked in the server certificate.
	ServerName string `yaml:"server_name"`
}

// String describes the configuration without the password, so that a
// Config printed by mistake (%v, %+v or %#v) shows no secret.
func (c Config) String() string {
	auth := "none"
	if c.Digest != "" {
		auth = "digest ***"
		// Without a colon the whole value may be a password.
		if user, _, ok := strings.Cut(c.Digest, ":"); ok {
			auth = "digest " + user + ":***"
		}
	}
	return fmt.Sprintf("servers=%s root=%s timeout=%v session_timeout=%v auth=%s world_read=%v stale_ok=%v tls=%v file=%s",
		strings.Join(c.Servers, ","), c.Root, c.Timeout, c.SessionTimeout, auth, c.WorldRead, c.StaleOK, c.TLS.Enabled(), c.File)
}

// GoString is String, so that %#v does not print the password either.
func (c Config) GoString() string { return c.String() }

// Enabled reports whether TLS was asked for.
func (t TLS) Enabled() bool { return t.CA != "" || t.Cert != "" }

// file is the YAML file's shape.
type file struct {
	Hosts          serverList `yaml:"hosts"`
	Root           string     `yaml:"root"`
	Timeout        string     `yaml:"timeout"`
	SessionTimeout string     `yaml:"session_timeout"`
	Digest         string     `yaml:"digest"`
	WorldRead      *bool      `yaml:"world_read"`
	StaleOK        bool       `yaml:"stale_ok"`
	TLS            TLS        `yaml:"tls"`
	AnsibleVersion string     `yaml:"ansible_version"`

	raw []byte // the file's text, to redact messages about it
}

// serverList is hosts: in the file: one connect string, "a:2181,b:2181",
// or a YAML list of servers, as people also write it.
type serverList string

// UnmarshalYAML accepts a string or a list of strings.
func (l *serverList) UnmarshalYAML(unmarshal func(any) error) error {
	var one string
	if err := unmarshal(&one); err == nil {
		*l = serverList(one)
		return nil
	}
	var list []string
	if err := unmarshal(&list); err != nil {
		return errors.New("hosts: want ZooKeeper servers as host:port, host:port or as a list of host:port")
	}
	*l = serverList(strings.Join(list, ","))
	return nil
}

// Flags are the values given on the command line; empty means not given.
type Flags struct {
	Servers string
	Root    string
	Timeout time.Duration
	Config  string
	// AnsibleVersion is --ansible-version.
	AnsibleVersion string
}

// Load resolves the configuration. getenv is os.Getenv in production;
// warn receives advice that is not an error (a file others can read).
func Load(flags Flags, getenv func(string) string, warn func(string)) (Config, error) {
	return load(flags, getenv, warn, DefaultFile)
}

// load is Load with the default file as a parameter, for tests.
func load(flags Flags, getenv func(string) string, warn func(string), defaultFile string) (Config, error) {
	cfg := Config{Root: DefaultRoot, Timeout: 5 * time.Second, SessionTimeout: 10 * time.Second, WorldRead: true}

	path, explicit := configPath(flags, getenv, defaultFile)
	f, err := readFile(path, explicit, warn)
	if err != nil {
		return cfg, err
	}
	if f != nil {
		cfg.File = path
		if err := f.apply(&cfg); err != nil {
			return cfg, fmt.Errorf("config %s: %s", path, redact(err.Error(), f.raw))
		}
	}
	cfg.AnsibleVersion, cfg.AnsibleVersionFrom = ansibleVersion(flags, getenv, f, path)

	// The servers may carry a chroot, as ZooKeeper's connect strings do
	// (zk1:2181,zk2:2181/apps): go-zookeeper has none, so it prefixes
	// the root instead, which comes to the same znodes.
	var chroot string
	servers := func(what, v string) error {
		var err error
		cfg.Servers, chroot, err = splitServers(v)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	if f != nil && f.Hosts != "" {
		if err := servers("config "+path+": hosts", string(f.Hosts)); err != nil {
			return cfg, err
		}
	}
	if v := getenv("KOOK_ZK"); v != "" {
		if err := servers("KOOK_ZK", v); err != nil {
			return cfg, err
		}
	}
	if v := getenv("KOOK_ROOT"); v != "" {
		cfg.Root = v
	}
	if v := getenv("KOOK_DIGEST"); v != "" {
		cfg.Digest = v
	}
	if flags.Servers != "" {
		if err := servers("--zk", flags.Servers); err != nil {
			return cfg, err
		}
	}
	if flags.Root != "" {
		cfg.Root = flags.Root
	}
	if flags.Timeout > 0 {
		cfg.Timeout = flags.Timeout
	}

	if len(cfg.Servers) == 0 {
		where := "hosts: in the config file (KOOK_CONFIG, else " + path + ", which does not exist)"
		switch {
		case f != nil && len(strings.TrimSpace(string(f.raw))) == 0:
			where = "hosts: in " + path + ", which is empty"
		case f != nil:
			where = "hosts: in " + path + ", which has none"
		}
		return cfg, errors.New("no ZooKeeper servers configured: set --zk, KOOK_ZK or " + where)
	}
	// Under a chroot, root "/" is the chroot itself.
	if cfg.Root != "/" || chroot == "" {
		if err := checkRoot(cfg.Root); err != nil {
			return cfg, err
		}
	}
	if chroot != "" {
		cfg.Root = strings.TrimSuffix(chroot+cfg.Root, "/")
	}
	if cfg.Digest != "" {
		// The message never repeats the value: it may be a password.
		user, password, ok := strings.Cut(cfg.Digest, ":")
		if !ok || user == "" || password == "" {
			return cfg, errors.New("digest credentials must read user:password, with neither empty")
		}
	}
	return cfg, nil
}

// configPath is the configuration file to read and whether it was named
// (a named file must exist).
func configPath(flags Flags, getenv func(string) string, defaultFile string) (string, bool) {
	if flags.Config != "" {
		return flags.Config, true
	}
	if p := getenv("KOOK_CONFIG"); p != "" {
		return p, true
	}
	return defaultFile, false
}

// ansibleVersion picks the Ansible version: the flag, else
// KOOK_ANSIBLE_VERSION, else the file's ansible_version:; from names the
// place for messages.
func ansibleVersion(flags Flags, getenv func(string) string, f *file, path string) (version, from string) {
	switch {
	case flags.AnsibleVersion != "":
		return flags.AnsibleVersion, "--ansible-version"
	case getenv("KOOK_ANSIBLE_VERSION") != "":
		return getenv("KOOK_ANSIBLE_VERSION"), "KOOK_ANSIBLE_VERSION"
	case f != nil && f.AnsibleVersion != "":
		return f.AnsibleVersion, "ansible_version: in " + path
	}
	return "", ""
}

// LoadAnsibleVersion resolves only the Ansible version, for commands that
// read inventories without reaching ZooKeeper (kook-import --output): no
// servers are needed, but a named configuration file must still exist and
// parse.
func LoadAnsibleVersion(flags Flags, getenv func(string) string) (version, from string, err error) {
	return loadAnsibleVersion(flags, getenv, DefaultFile)
}

func loadAnsibleVersion(flags Flags, getenv func(string) string, defaultFile string) (version, from string, err error) {
	if flags.AnsibleVersion != "" {
		return flags.AnsibleVersion, "--ansible-version", nil
	}
	path, explicit := configPath(flags, getenv, defaultFile)
	f, err := readFile(path, explicit, nil)
	if err != nil {
		return "", "", err
	}
	version, from = ansibleVersion(flags, getenv, f, path)
	return version, from, nil
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
		// Without the source lines: they would show the digest's password.
		return nil, fmt.Errorf("config %s: %s", path, redact(yaml.FormatError(err, false, false), data))
	}
	f.raw = data
	if f.Digest != "" && info.Mode().Perm()&0o077 != 0 && warn != nil {
		warn(fmt.Sprintf("config %s holds credentials and can be read by others (mode %04o): chmod 600 it", path, info.Mode().Perm()))
	}
	return &f, nil
}

func (f *file) apply(cfg *Config) error {
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

// checkRoot refuses a root that is not a znode of kook's own.
func checkRoot(root string) error {
	if root == "/" {
		return errors.New(`root "/" is ZooKeeper's top node, which also holds ZooKeeper's own /zookeeper: give kook a node of its own, such as /kook`)
	}
	if !strings.HasPrefix(root, "/") || gopath.Clean(root) != root {
		return fmt.Errorf(`root %q must be an absolute znode path such as /kook, without a trailing "/", "//", "." or ".."`, root)
	}
	return nil
}

// splitServers reads a ZooKeeper connect string, host:port[,host:port...]
// with an optional /chroot after the last server. A server without a port
// gets ZooKeeper's 2181.
func splitServers(s string) (servers []string, chroot string, err error) {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s, chroot = s[:i], s[i:]
		if chroot == "/" {
			chroot = ""
		} else if gopath.Clean(chroot) != chroot {
			return nil, "", fmt.Errorf(`chroot %q must be an absolute znode path such as /apps, without a trailing "/", "//", "." or ".."`, chroot)
		}
	}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if !strings.Contains(p, ":") {
			p += ":2181"
		}
		host, port, err := net.SplitHostPort(p)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			return nil, "", fmt.Errorf("ZooKeeper server %q: want host:port, such as zk1.example.com:2181", p)
		}
		servers = append(servers, p)
	}
	return servers, chroot, nil
}

var digestLine = regexp.MustCompile(`(?m)^\s*["']?digest["']?\s*:[ \t]*(.*?)[ \t]*$`)

// redact removes from msg whatever data's digest: lines hold, in case a
// YAML error message quotes a value (goccy/go-yaml does for a bad tag or
// alias): the whole value, each word of it, and what follows a colon.
func redact(msg string, data []byte) string {
	var secrets []string
	add := func(s string) {
		s = strings.Trim(s, `"'*&!{}[], `)
		if len(s) >= 3 {
			secrets = append(secrets, s)
		}
		if _, pw, ok := strings.Cut(s, ":"); ok && len(strings.TrimSpace(pw)) >= 3 {
			secrets = append(secrets, strings.TrimSpace(pw))
		}
	}
	for _, m := range digestLine.FindAllSubmatch(data, -1) {
		add(string(m[1]))
		for _, w := range strings.Fields(string(m[1])) {
			if !strings.HasPrefix(w, "!") && !strings.HasPrefix(w, "&") { // tags and anchors are YAML's words
				add(w)
			}
		}
	}
	// Longest first, so that a part does not spoil the match of the whole.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, "***")
	}
	return msg
}
