package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/zktest"
)

// runCmd runs one of the commands in-process with the given environment
// variables and returns its exit code, stdout and stderr.
func runEnv(cmd func(Env) int, vars map[string]string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	env := Env{Args: args, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return vars[k] }}
	code := cmd(env)
	return code, out.String(), errb.String()
}

// TestKookLog: imports and kook writes show up in `kook log`, newest
// first, with the program and its arguments (values of K=V hidden),
// filtered by host or group, and as JSON.
func TestKookLog(t *testing.T) {
	srv := zktest.Start(t)
	conf := filepath.Join(t.TempDir(), "kook.yml")
	if err := os.WriteFile(conf, []byte("hosts: "+srv.Addr+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"KOOK_ROOT": "/logtest", "KOOK_CONFIG": conf, "XDG_CACHE_HOME": t.TempDir()}
	src := filepath.Join(t.TempDir(), "a.ini")
	if err := os.WriteFile(src, []byte("[web]\nweb01\n[db]\ndb01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runEnv(Import, vars, src); code != 0 {
		t.Fatalf("import: %d %s", code, errs)
	}
	src2 := filepath.Join(t.TempDir(), "b.ini")
	if err := os.WriteFile(src2, []byte("[web]\nweb02 password=s3cret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runEnv(Import, vars, src2); code != 0 {
		t.Fatalf("import: %d %s", code, errs)
	}
	code, out, errs := runEnv(Kook, vars, "log")
	if code != 0 || errs != "" {
		t.Fatalf("kook log: %d %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 4 || !strings.Contains(lines[0], "import "+src2) || !strings.Contains(lines[0], "(kook-import "+src2+")") ||
		!strings.Contains(out, "hosts: +web02") || !strings.Contains(out, "hosts: +db01 +web01") {
		t.Errorf("kook log printed:\n%s", out)
	}
	if strings.Contains(out, "s3cret") {
		t.Errorf("a value reached the log:\n%s", out)
	}
	code, out, _ = runEnv(Kook, vars, "log", "--host", "db01", "--json")
	var entries []logJSON
	if code != 0 || json.Unmarshal([]byte(out), &entries) != nil || len(entries) != 1 || entries[0].Hosts["db01"] != "added" {
		t.Errorf("kook log --host db01 --json: %d %s", code, out)
	}
	code, out, _ = runEnv(Kook, vars, "log", "-n", "1", "--group", "web", "--json")
	if code != 0 || json.Unmarshal([]byte(out), &entries) != nil || len(entries) != 1 || entries[0].Hosts["web02"] != "added" {
		t.Errorf("kook log -n 1 --group web --json: %d %s", code, out)
	}
	if code, _, errs := runEnv(Kook, vars, "log", "-n", "0"); code != 2 || !strings.Contains(errs, "-n") {
		t.Errorf("kook log -n 0: exit %d, %s", code, errs)
	}
}

func TestLogArgsHideValues(t *testing.T) {
	got := strings.Join(logArgs([]string{"host", "set", "web01", "password=s3cret", "--group=web", "-n", "K="}), " ")
	if want := "host set web01 password=*** --group=web -n K=***"; got != want {
		t.Errorf("logArgs = %q, want %q", got, want)
	}
}
