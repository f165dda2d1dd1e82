package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const secret = "s3cr3t-Pa55"

// env is a fake environment.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// warnings collects what Load warns about.
type warnings []string

func (w *warnings) add(msg string) { *w = append(*w, msg) }

func writeFile(t *testing.T, mode os.FileMode, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kook.yml")
	if err := os.WriteFile(p, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	// WriteFile's mode passes through the umask; set it exactly.
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// noDefault is a default file that does not exist.
func noDefault(t *testing.T) string { return filepath.Join(t.TempDir(), "absent.yml") }

func TestPrecedence(t *testing.T) {
	file := writeFile(t, 0o600, `hosts: file1:2181,file2
root: /from-file
timeout: 7s
session_timeout: 20s
digest: fileuser:`+secret+`
world_read: false
stale_ok: true
tls:
  ca: /ca.pem
  cert: /c.pem
  key: /k.pem
  server_name: zk.example.com
`)
	fileCfg := Config{
		Servers: []string{"file1:2181", "file2:2181"}, Root: "/from-file",
		Timeout: 7 * time.Second, SessionTimeout: 20 * time.Second,
		Digest: "fileuser:" + secret, WorldRead: false, StaleOK: true,
		TLS:  TLS{CA: "/ca.pem", Cert: "/c.pem", Key: "/k.pem", ServerName: "zk.example.com"},
		File: file,
	}
	fullEnv := env{"KOOK_CONFIG": file, "KOOK_ZK": "env1:2182", "KOOK_ROOT": "/from-env", "KOOK_DIGEST": "envuser:pw2"}
	flags := Flags{Servers: "flag1:2183", Root: "/from-flag", Timeout: 3 * time.Second}

	tests := []struct {
		name  string
		flags Flags
		env   env
		want  Config
	}{
		{"file only", Flags{Config: file}, env{}, fileCfg},
		{"file from KOOK_CONFIG", Flags{}, env{"KOOK_CONFIG": file}, fileCfg},
		{"env over file", Flags{}, fullEnv, func() Config {
			c := fileCfg
			c.Servers, c.Root, c.Digest = []string{"env1:2182"}, "/from-env", "envuser:pw2"
			return c
		}()},
		{"flags over env", flags, fullEnv, func() Config {
			c := fileCfg
			c.Servers, c.Root, c.Digest, c.Timeout = []string{"flag1:2183"}, "/from-flag", "envuser:pw2", 3*time.Second
			return c
		}()},
		{"--config over KOOK_CONFIG", Flags{Config: file}, env{"KOOK_CONFIG": "/nonexistent/kook.yml"}, fileCfg},
		{"defaults", Flags{Servers: "zk"}, env{}, Config{
			Servers: []string{"zk:2181"}, Root: DefaultRoot, Timeout: 5 * time.Second,
			SessionTimeout: 10 * time.Second, WorldRead: true,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w warnings
			got, err := load(tt.flags, tt.env.get, w.add, noDefault(t))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
			if len(w) != 0 {
				t.Errorf("warnings for a mode 600 file: %q", w)
			}
		})
	}
}

// TestDefaultFile: /etc/kook.yml (here a stand-in) is read when neither
// --config nor KOOK_CONFIG names a file, and its absence is no error.
func TestDefaultFile(t *testing.T) {
	def := writeFile(t, 0o644, "hosts: fromdefault\n")
	got, err := load(Flags{}, env{}.get, nil, def)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"fromdefault:2181"}, got.Servers); diff != "" || got.File != def {
		t.Errorf("servers (-want +got):\n%s\nfile %q", diff, got.File)
	}

	got, err = load(Flags{}, env{"KOOK_ZK": "a,b:1"}.get, nil, noDefault(t))
	if err != nil {
		t.Fatalf("absent default file: %v", err)
	}
	if diff := cmp.Diff([]string{"a:2181", "b:1"}, got.Servers); diff != "" || got.File != "" {
		t.Errorf("servers (-want +got):\n%s\nfile %q", diff, got.File)
	}

	// Nothing names a server: the message says where to put one.
	absent := noDefault(t)
	_, err = load(Flags{}, env{}.get, nil, absent)
	if err == nil || !strings.Contains(err.Error(), "KOOK_ZK") || !strings.Contains(err.Error(), absent) {
		t.Errorf("no servers: %v", err)
	}

	// The exported Load reads the real default file; without a server
	// from anywhere it still fails the same way or succeeds if the
	// machine has one, but never for a missing /etc/kook.yml.
	if _, err := Load(Flags{Servers: "zk"}, env{}.get, nil); err != nil && os.IsNotExist(err) {
		t.Errorf("Load with an absent %s: %v", DefaultFile, err)
	}
}

func TestExplicitMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.yml")
	for name, tc := range map[string]struct {
		flags Flags
		env   env
	}{
		"KOOK_CONFIG": {Flags{Servers: "zk"}, env{"KOOK_CONFIG": missing}},
		"--config":    {Flags{Servers: "zk", Config: missing}, env{}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := load(tc.flags, tc.env.get, nil, noDefault(t))
			if err == nil {
				t.Fatal("a configuration file named explicitly but missing was accepted")
			}
			if !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "no such file") {
				t.Errorf("error does not name the file and the cause: %v", err)
			}
		})
	}
}

func TestBadFiles(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string // substrings of the error, after the file name
	}{
		{"bad timeout", "hosts: zk\ntimeout: soon\n", []string{`timeout: "soon" is not a duration`}},
		{"negative timeout", "hosts: zk\ntimeout: -1s\n", []string{`timeout: "-1s" is not a duration`}},
		{"zero session timeout", "hosts: zk\nsession_timeout: 0s\n", []string{`session_timeout: "0s" is not a duration`}},
		{"duration without unit", "hosts: zk\ntimeout: 5\n", []string{`timeout: "5" is not a duration`}},
		{"unknown key", "hosts: zk\nroot: /k\nzk_hosts: other\n", []string{"[3:1]", `unknown field "zk_hosts"`}},
		{"unknown tls key", "hosts: zk\ntls:\n  ca: /ca\n  insecure: true\n", []string{"[4:3]", `unknown field "insecure"`}},
		{"not a mapping", "- hosts\n", []string{"[1:1]"}},
		{"world_read not a bool", "hosts: zk\nworld_read: maybe\n", []string{"[2:"}},
		{"syntax", "hosts: [zk\n", []string{"[1:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, 0o600, tt.text)
			_, err := load(Flags{Config: p}, env{}.get, nil, noDefault(t))
			if err == nil {
				t.Fatalf("accepted:\n%s", tt.text)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "config "+p+": ") {
				t.Errorf("error does not start by naming the file %s: %v", p, msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q: %v", w, msg)
				}
			}
		})
	}
}

func TestDigest(t *testing.T) {
	tests := []struct {
		digest string
		ok     bool
	}{
		{"admin:" + secret, true},
		{"admin:pass:with:colons", true}, // ZooKeeper splits at the first colon
		{"admin:" + secret + " ", true},
		{secret, false},
		{":" + secret, false},
		{"admin:", false},
	}
	for _, tt := range tests {
		for _, from := range []string{"file", "env"} {
			t.Run(fmt.Sprintf("%s %q", from, tt.digest), func(t *testing.T) {
				var e = env{"KOOK_ZK": "zk"}
				var p string
				if from == "file" {
					p = writeFile(t, 0o600, fmt.Sprintf("digest: %q\n", tt.digest))
					e["KOOK_CONFIG"] = p
				} else {
					e["KOOK_DIGEST"] = tt.digest
				}
				got, err := load(Flags{}, e.get, nil, noDefault(t))
				if tt.ok {
					if err != nil {
						t.Fatal(err)
					}
					if got.Digest != tt.digest {
						t.Errorf("Digest = %q", got.Digest)
					}
					return
				}
				if err == nil {
					t.Fatal("accepted")
				}
				if !strings.Contains(err.Error(), "user:password") {
					t.Errorf("error does not say the form wanted: %v", err)
				}
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error shows the secret: %v", err)
				}
			})
		}
	}
}

// TestNoSecretInErrors: a broken file that holds a password never has it
// quoted back, whatever YAML error it causes.
func TestNoSecretInErrors(t *testing.T) {
	for _, text := range []string{
		"hosts: zk\ndigest: admin:" + secret + "\nbogus: 1\n",
		"hosts: zk\ndigest: [admin:" + secret + "\n",
		"hosts: zk\ndigest: {admin: " + secret + "}\n",
		"hosts: zk\ndigest: admin:" + secret + "\n  indented: wrongly\n",
		"hosts: zk\ndigest: 'admin:" + secret + "\n",
		"hosts: zk\ndigest: admin:" + secret + "\ntimeout: x\n",
		"hosts: zk\ndigest: admin:" + secret + "\ndigest: admin:" + secret + "\n",
		"digest: admin:" + secret + "\nroot: nope\n",
		"digest: " + secret + "\nhosts: zk\n",
		// goccy/go-yaml quotes these values in its messages.
		"hosts: zk\ndigest: !!bool admin:" + secret + "\n",
		"hosts: zk\ndigest: *admin:" + secret + "\n",
		"hosts: zk\ndigest: !!bool " + secret + "\n",
	} {
		p := writeFile(t, 0o644, text)
		var w warnings
		cfg, err := load(Flags{Config: p}, env{}.get, w.add, noDefault(t))
		if err == nil {
			t.Errorf("accepted:\n%s", text)
			continue
		}
		for _, s := range append([]string{err.Error(), cfg.String(), fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg)}, w...) {
			if strings.Contains(s, secret) {
				t.Errorf("the password shows in %q\nfor the file:\n%s", s, text)
			}
		}
	}
}

func TestWorldRead(t *testing.T) {
	for text, want := range map[string]bool{
		"hosts: zk\n":                                 true,
		"hosts: zk\nworld_read: true\n":               true,
		"hosts: zk\nworld_read: false\n":              false,
		"hosts: zk\ndigest: a:b\n":                    true,
		"hosts: zk\ndigest: a:b\nworld_read: false\n": false,
	} {
		p := writeFile(t, 0o600, text)
		got, err := load(Flags{Config: p}, env{}.get, nil, noDefault(t))
		if err != nil {
			t.Errorf("%q: %v", text, err)
			continue
		}
		if got.WorldRead != want {
			t.Errorf("%q: WorldRead = %v, want %v", text, got.WorldRead, want)
		}
	}
	got, err := load(Flags{Servers: "zk"}, env{}.get, nil, noDefault(t))
	if err != nil || !got.WorldRead {
		t.Errorf("without a file: WorldRead = %v, %v", got.WorldRead, err)
	}
}

func TestPermissionsWarning(t *testing.T) {
	tests := []struct {
		mode   os.FileMode
		digest bool
		warn   bool
	}{
		{0o600, true, false},
		{0o400, true, false},
		{0o640, true, true}, // the group is others too
		{0o644, true, true},
		{0o604, true, true},
		{0o644, false, false}, // nothing secret in it
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%04o digest=%v", tt.mode, tt.digest), func(t *testing.T) {
			text := "hosts: zk\n"
			if tt.digest {
				text += "digest: admin:" + secret + "\n"
			}
			p := writeFile(t, tt.mode, text)
			var w warnings
			if _, err := load(Flags{Config: p}, env{}.get, w.add, noDefault(t)); err != nil {
				t.Fatal(err)
			}
			if !tt.warn {
				if len(w) != 0 {
					t.Errorf("unexpected warning: %q", w)
				}
				return
			}
			if len(w) != 1 {
				t.Fatalf("warnings = %q, want one", w)
			}
			for _, s := range []string{p, fmt.Sprintf("%04o", tt.mode), "chmod 600"} {
				if !strings.Contains(w[0], s) {
					t.Errorf("warning lacks %q: %s", s, w[0])
				}
			}
			if strings.Contains(w[0], secret) {
				t.Errorf("warning shows the password: %s", w[0])
			}
		})
	}
	// A nil warn is allowed.
	p := writeFile(t, 0o644, "hosts: zk\ndigest: a:"+secret+"\n")
	if _, err := load(Flags{Config: p}, env{}.get, nil, noDefault(t)); err != nil {
		t.Fatal(err)
	}
}

func TestRootAndServers(t *testing.T) {
	for _, tc := range []struct {
		root string
		ok   bool
	}{{"/kook", true}, {"/a/b", true}, {"/", false}, {"kook", false}, {"/kook/", false}, {"/a//b", false}, {"/a/../b", false}} {
		_, err := load(Flags{Servers: "zk", Root: tc.root}, env{}.get, nil, noDefault(t))
		if (err == nil) != tc.ok {
			t.Errorf("root %q: %v", tc.root, err)
		}
	}
	if _, err := load(Flags{Servers: "zk", Root: "/"}, env{}.get, nil, noDefault(t)); err == nil ||
		err.Error() != `root "/" is ZooKeeper's top node, which also holds ZooKeeper's own /zookeeper: give kook a node of its own, such as /kook` {
		t.Errorf("root /: %v", err)
	}
	if _, err := load(Flags{Servers: "zk", Root: "/kook/"}, env{}.get, nil, noDefault(t)); err == nil ||
		err.Error() != `root "/kook/" must be an absolute znode path such as /kook, without a trailing "/", "//", "." or ".."` {
		t.Errorf("root /kook/: %v", err)
	}
	got, err := load(Flags{Servers: " a , b:2182,,[::1]:3 "}, env{}.get, nil, noDefault(t))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a:2181", "b:2182", "[::1]:3"}, got.Servers); diff != "" {
		t.Errorf("servers (-want +got):\n%s", diff)
	}
}

// TestChroot: ZooKeeper's connect string may end in a chroot, which kook
// puts in front of the root (go-zookeeper has no chroot of its own).
func TestChroot(t *testing.T) {
	for _, tc := range []struct {
		zk, root, file string
		servers        []string
		want           string
	}{
		{zk: "127.0.0.1:2181/path", servers: []string{"127.0.0.1:2181"}, want: "/path/kook"},
		{zk: "a:1,b/apps/x", root: "/inv", servers: []string{"a:1", "b:2181"}, want: "/apps/x/inv"},
		{zk: "a:1/apps", root: "/", servers: []string{"a:1"}, want: "/apps"},
		{zk: "a:1/", servers: []string{"a:1"}, want: "/kook"},
		{file: "hosts: a:1/fromfile\n", servers: []string{"a:1"}, want: "/fromfile/kook"},
	} {
		e := env{"KOOK_ZK": tc.zk, "KOOK_ROOT": tc.root}
		if tc.file != "" {
			e["KOOK_CONFIG"] = writeFile(t, 0o600, tc.file)
		}
		cfg, err := load(Flags{}, e.get, nil, noDefault(t))
		if err != nil {
			t.Errorf("KOOK_ZK=%s KOOK_ROOT=%s: %v", tc.zk, tc.root, err)
			continue
		}
		if cfg.Root != tc.want || !cmp.Equal(cfg.Servers, tc.servers) {
			t.Errorf("KOOK_ZK=%s KOOK_ROOT=%s: servers %q root %s; want %q %s", tc.zk, tc.root, cfg.Servers, cfg.Root, tc.servers, tc.want)
		}
	}
	for zk, want := range map[string]string{
		"a:1/apps/":   `KOOK_ZK: chroot "/apps/" must be an absolute znode path such as /apps, without a trailing "/", "//", "." or ".."`,
		"a:1//x":      `KOOK_ZK: chroot "//x" must be an absolute znode path`,
		"a:port/x":    `KOOK_ZK: ZooKeeper server "a:port": want host:port, such as zk1.example.com:2181`,
		"a:2181:2182": `KOOK_ZK: ZooKeeper server "a:2181:2182": want host:port`,
		":2181":       `KOOK_ZK: ZooKeeper server ":2181": want host:port`,
		"a:99999":     `KOOK_ZK: ZooKeeper server "a:99999": want host:port`,
	} {
		_, err := load(Flags{}, env{"KOOK_ZK": zk}.get, nil, noDefault(t))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("KOOK_ZK=%s: %v; want %s...", zk, err, want)
		}
	}
}

// TestHostsList: hosts: may be a YAML list as well as a connect string.
func TestHostsList(t *testing.T) {
	for _, text := range []string{"hosts: [zk1:2181, zk2]\n", "hosts:\n  - zk1:2181\n  - zk2\n"} {
		cfg, err := load(Flags{Config: writeFile(t, 0o600, text)}, env{}.get, nil, noDefault(t))
		if err != nil {
			t.Errorf("%q: %v", text, err)
			continue
		}
		if diff := cmp.Diff([]string{"zk1:2181", "zk2:2181"}, cfg.Servers); diff != "" {
			t.Errorf("%q: servers (-want +got):\n%s", text, diff)
		}
	}
	p := writeFile(t, 0o600, "hosts: {zk1: 2181}\n")
	_, err := load(Flags{Config: p}, env{}.get, nil, noDefault(t))
	if err == nil || !strings.Contains(err.Error(), "hosts: want ZooKeeper servers") || strings.Contains(err.Error(), "unmarshal") {
		t.Errorf("hosts: as a mapping: %v", err)
	}
}

// TestNoServersNamesTheFile: the error names the file that was read (or
// not), never a default file that played no part.
func TestNoServersNamesTheFile(t *testing.T) {
	empty := writeFile(t, 0o600, "")
	noHosts := writeFile(t, 0o600, "root: /x\n")
	absent := noDefault(t)
	for _, tc := range []struct {
		e    env
		want string
	}{
		{env{"KOOK_CONFIG": empty}, "no ZooKeeper servers configured: set --zk, KOOK_ZK or hosts: in " + empty + ", which is empty"},
		{env{"KOOK_CONFIG": noHosts}, "no ZooKeeper servers configured: set --zk, KOOK_ZK or hosts: in " + noHosts + ", which has none"},
		{env{}, "no ZooKeeper servers configured: set --zk, KOOK_ZK or hosts: in the config file (KOOK_CONFIG, else " + absent + ", which does not exist)"},
	} {
		_, err := load(Flags{}, tc.e.get, nil, absent)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v:\n got %v\nwant %s", tc.e, err, tc.want)
		}
	}
}

func TestConfigString(t *testing.T) {
	c := Config{Servers: []string{"zk:2181"}, Root: "/kook", Digest: "admin:" + secret, WorldRead: true}
	for _, s := range []string{c.String(), fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprint(&c)} {
		if strings.Contains(s, secret) {
			t.Errorf("printing a Config shows the password: %s", s)
		}
		if !strings.Contains(s, "admin:***") || !strings.Contains(s, "zk:2181") {
			t.Errorf("printing a Config hides too much: %s", s)
		}
	}
}

// TestRedactKeepsTheMessage: redaction hides the value, not YAML's words.
func TestRedactKeepsTheMessage(t *testing.T) {
	p := writeFile(t, 0o600, "hosts: zk\ndigest: !!bool admin:"+secret+"\n")
	_, err := load(Flags{Config: p}, env{}.get, nil, noDefault(t))
	want := `[2:15] cannot convert "***" to boolean`
	if err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("error = %v, want it to end with %s", err, want)
	}
}

// TestNoSecretInValueErrors: a password pasted into the wrong key is not
// quoted back either.
func TestNoSecretInValueErrors(t *testing.T) {
	p := writeFile(t, 0o600, "hosts: zk\ndigest: admin:"+secret+"\ntimeout: "+secret+"\n")
	_, err := load(Flags{Config: p}, env{}.get, nil, noDefault(t))
	want := `timeout: "***" is not a duration such as 5s`
	if err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("error = %v, want it to end with %s", err, want)
	}
}
