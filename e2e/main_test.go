// Package e2e runs kook's binaries against the real things: Ansible's own
// ansible-inventory as the oracle, and real ZooKeeper servers on loopback.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/testutil"
)

var (
	binDir       string // where TestMain built kook-import, kook-inventory and kook
	kookImport   string
	kookInvent   string
	kookBin      string // kook, the day-2 command
	ansibleInv   string // ansible-inventory, the oracle
	ansibleError error
	ansible219   string // ansible-core 2.19's ansible-inventory, the second oracle
)

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "kook-e2e-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		binDir = dir
		for _, name := range []string{"kook-import", "kook-inventory", "kook"} {
			out, err := exec.Command("go", "build", "-o", filepath.Join(dir, name),
				"github.com/kook-project/kook/cmd/"+name).CombinedOutput()
			if err != nil {
				fmt.Fprintf(os.Stderr, "build %s: %v\n%s", name, err, out)
				return 1
			}
		}
		kookImport = filepath.Join(dir, "kook-import")
		kookInvent = filepath.Join(dir, "kook-inventory")
		kookBin = filepath.Join(dir, "kook")
		ansibleInv, ansibleError = exec.LookPath("ansible-inventory")
		ansible219 = testutil.Ansible219()
		return m.Run()
	}()
	os.Exit(code)
}

// needAnsible fails the test when the oracle is missing: make test installs
// it, so its absence is a broken set-up, not a reason to pass.
func needAnsible(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs ansible-inventory; skipped in -short mode")
	}
	if ansibleError != nil {
		t.Fatalf("ansible-inventory not found (make deps installs ansible-core): %v", ansibleError)
	}
}

// needAnsible219 fails the test when ansible-core 2.19 is missing: make
// test installs it (scripts/deps.sh).
func needAnsible219(t *testing.T) {
	t.Helper()
	needAnsible(t)
	if ansible219 == "" {
		t.Fatal("ansible-core 2.19 not found in /opt/kook/ansible-2.19 (make deps installs it; KOOK_ANSIBLE219 names another ansible-inventory)")
	}
}

type result struct {
	stdout, stderr []byte
	code           int
}

// run runs a command with env added to a clean environment.
func run(t *testing.T, dir string, env []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(baseEnv(t), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run %s %v: %v", name, args, err)
		}
		code = ee.ExitCode()
	}
	return result{out.Bytes(), errb.Bytes(), code}
}

func baseEnv(t *testing.T) []string {
	home := t.TempDir()
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CACHE_HOME=" + filepath.Join(home, "cache"),
		"LANG=C.UTF-8",
		"ANSIBLE_NOCOLOR=1",
		"ANSIBLE_INVENTORY_UNPARSED_FAILED=true",
		"ANSIBLE_LOCAL_TEMP=" + filepath.Join(home, "tmp"),
	}
}

// ansibleThroughScript runs ansible-inventory with args against an
// executable that prints doc for --list, in an otherwise empty directory.
func ansibleThroughScript(t *testing.T, doc []byte, args ...string) result {
	t.Helper()
	return ansibleThroughScriptWith(t, ansibleInv, doc, args...)
}

// ansibleThroughScriptWith is ansibleThroughScript with the given
// ansible-inventory.
func ansibleThroughScriptWith(t *testing.T, bin string, doc []byte, args ...string) result {
	t.Helper()
	dir := t.TempDir()
	docPath := filepath.Join(dir, "inventory.json")
	if err := os.WriteFile(docPath, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("#!/bin/sh\ncase \"$1\" in --list) exec cat '%s';; *) echo '{}';; esac\n", docPath)
	if err := os.WriteFile(filepath.Join(dir, "inv"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return run(t, dir, nil, bin, append([]string{"-i", "./inv"}, args...)...)
}

// ansibleOn runs ansible-inventory on a copy of the source alone in a
// fresh directory, as the corpus's oracle was produced.
func ansibleOn(t *testing.T, src string, args ...string) result {
	t.Helper()
	return ansibleOnWith(t, ansibleInv, src, args...)
}

// ansibleOnWith is ansibleOn with the given ansible-inventory.
func ansibleOnWith(t *testing.T, bin, src string, args ...string) result {
	t.Helper()
	dir := t.TempDir()
	dst := filepath.Join(dir, filepath.Base(src))
	if out, err := exec.Command("cp", "-r", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("copy %s: %v: %s", src, err, out)
	}
	return run(t, dir, nil, bin, append([]string{"-i", filepath.Base(src)}, args...)...)
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// assertSameJSON fails with a readable diff when got and want differ as
// JSON values.
func assertSameJSON(t *testing.T, what string, want, got []byte) {
	t.Helper()
	diff, err := testutil.JSONDiff(want, got)
	if err != nil {
		t.Fatalf("%s: %v\nwant:\n%s\ngot:\n%s", what, err, want, got)
	}
	if diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", what, diff)
	}
}

var lineRef = regexp.MustCompile(`([^\s/]+):(\d+): `)

// assertRejected checks that kook-import refused a source Ansible refused:
// non-zero exit, nothing on stdout, the file (and the line Ansible named,
// when it named one) on stderr.
func assertRejected(t *testing.T, src, errorTxt string, r result) {
	t.Helper()
	if r.code == 0 {
		t.Fatalf("kook-import accepted %s, which Ansible rejected:\n%s", src, mustRead(t, errorTxt))
	}
	if len(r.stdout) != 0 {
		t.Errorf("kook-import printed on stdout while failing:\n%s", r.stdout)
	}
	stderr := string(r.stderr)
	if !strings.Contains(stderr, src) {
		t.Errorf("error does not name the source %s:\n%s", src, stderr)
	}
	base := filepath.Base(src)
	for _, m := range lineRef.FindAllStringSubmatch(string(mustRead(t, errorTxt)), -1) {
		if m[1] == base {
			if !strings.Contains(stderr, ":"+m[2]+": ") {
				t.Errorf("Ansible named line %s of %s; kook-import did not:\n%s", m[2], base, stderr)
			}
			break
		}
	}
}
