package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/pkg/kook"
	"github.com/kook-project/kook/pkg/kook/store"
)

func TestMain(m *testing.M) { zktest.Main(m) }

// ran is what one in-process run of a command left.
type ran struct {
	stdout, stderr string
	code           int
}

// runCmd runs a command (Import, Inventory, Kook) in-process with args,
// stdin and an environment holding only env.
func runCmd(t *testing.T, cmd func(Env) int, env map[string]string, stdin string, args ...string) ran {
	t.Helper()
	var out, errb bytes.Buffer
	code := cmd(Env{
		Args:   args,
		Stdin:  strings.NewReader(stdin),
		Stdout: &out,
		Stderr: &errb,
		Getenv: func(k string) string { return env[k] },
	})
	return ran{out.String(), errb.String(), code}
}

// zkRoot gives a test a root of its own on the shared ZooKeeper and the
// environment naming it; the config file is one that does not exist, so
// the machine's /etc/kook.yml plays no part.
func zkRoot(t *testing.T) (env map[string]string, addr, root string) {
	t.Helper()
	zk := zktest.Shared(t)
	root = zktest.UniqueRoot(t)
	return map[string]string{
		"KOOK_ZK":     zk.Addr,
		"KOOK_ROOT":   root,
		"KOOK_CONFIG": writeFile(t, "kook.yml", ""),
	}, zk.Addr, root
}

// writeFile writes text to a new file in a temporary directory.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// openRoot opens the store under root, for checking what a command wrote.
func openRoot(t *testing.T, addr, root string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{Servers: []string{addr}, Root: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// load reads what root holds.
func load(t *testing.T, addr, root string) *kook.Inventory {
	t.Helper()
	inv, _, err := openRoot(t, addr, root).Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// mustRun fails the test unless the command exited with want.
func mustRun(t *testing.T, want int, cmd func(Env) int, env map[string]string, stdin string, args ...string) ran {
	t.Helper()
	r := runCmd(t, cmd, env, stdin, args...)
	if r.code != want {
		t.Fatalf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, r.code, want, r.stdout, r.stderr)
	}
	return r
}

// noCache points the user cache at a fresh directory: kook-inventory's
// cache lives under os.UserCacheDir, which reads the process environment.
func noCache(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", dir)
	return dir
}
