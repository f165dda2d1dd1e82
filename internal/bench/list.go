package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/kook-project/kook/internal/fleet"
	"github.com/kook-project/kook/internal/zktest"
)

// listFigures are issue 13's kook-inventory --list figures, each the
// median of fresh processes run as Ansible runs them, with the CPU time
// (user+sys) beside the wall time.
type listFigures struct {
	fresh, unchanged map[int]timing // by fleet size; read through a pipe by this program
	pipe             map[int]timing // fresh, read through a pipe by Python as Ansible reads it
	tls, tlsFull     timing         // 10,000 hosts unchanged over mutual TLS: ticket kept / no ticket
	tlsErr           string
}

// timing is a median wall time and the median CPU time of the same runs.
type timing struct{ wall, cpu time.Duration }

func (t timing) String() string {
	if t.wall == 0 {
		return "-"
	}
	return fmt.Sprintf("%s (CPU %s)", ms(t.wall), ms(t.cpu))
}

// tlsSize is the fleet size of the mutual TLS figure.
const tlsSize = 10000

// measureList measures the --list figures on the fleets measure wrote
// (work/fleet-N.json), each imported as it is into a root of its own (the
// roots measure used hold what its later figures changed), and the TLS
// one on a ZooKeeper of its own.
func measureList(work, addr string, all []figures, runs int) (listFigures, error) {
	lf := listFigures{fresh: map[int]timing{}, unchanged: map[int]timing{}, pipe: map[int]timing{}}
	inventory := filepath.Join(work, "kook-inventory")
	for _, f := range all {
		n := f.size
		cacheDir := filepath.Join(work, "cache-list")
		env := benchEnv("KOOK_ZK="+addr, fmt.Sprintf("KOOK_ROOT=/bench-list-%d", n), "XDG_CACHE_HOME="+cacheDir)
		fmt.Fprintf(os.Stderr, "%d hosts: --list fresh, unchanged, and read by Python\n", n)
		src := filepath.Join(work, fmt.Sprintf("fleet-%d.json", n))
		if _, _, err := timeCmd(env, filepath.Join(work, "kook-import"), "--prune", src); err != nil {
			return lf, err
		}
		var err error
		if lf.fresh[n], err = listRuns(env, inventory, runs, func() error { return os.RemoveAll(cacheDir) }); err != nil {
			return lf, err
		}
		// The fresh runs left tens of megabytes of cache files to write
		// back; ZooKeeper's fsync of each new session would queue behind
		// them and measure the disk, not kook-inventory.
		syscall.Sync()
		if lf.unchanged[n], err = listRuns(env, inventory, runs, nil); err != nil {
			return lf, err
		}
		if lf.pipe[n], err = pythonListRuns(env, inventory, cacheDir, runs); err != nil {
			return lf, err
		}
	}
	fmt.Fprintf(os.Stderr, "%d hosts: --list over mutual TLS\n", tlsSize)
	if err := measureListTLS(&lf, work, runs); err != nil {
		// Reported in the table, so that the other figures still print.
		lf.tlsErr = err.Error()
		fmt.Fprintf(os.Stderr, "--list over TLS: %v\n", err)
	}
	return lf, nil
}

// listRuns runs kook-inventory --list runs times after one run that
// writes the cache; before runs before every run.
func listRuns(env []string, inventory string, runs int, before func() error) (timing, error) {
	if _, err := pipeRun(env, inventory, "--list"); err != nil {
		return timing{}, err
	}
	var walls, cpus []time.Duration
	for i := 0; i < runs; i++ {
		if before != nil {
			if err := before(); err != nil {
				return timing{}, err
			}
		}
		t, err := pipeRun(env, inventory, "--list")
		if err != nil {
			return timing{}, err
		}
		walls, cpus = append(walls, t.wall), append(cpus, t.cpu)
	}
	return timing{median(walls), median(cpus)}, nil
}

// pipeRun runs name, reads its stdout through a pipe and drops it, a
// megabyte at a time, so that the figure is the command's and not the
// reader's (timeList's growing buffer costs 10 ms of copying at 30 MB).
// A run that fails or prints on stderr is an error.
func pipeRun(env []string, name string, args ...string) (timing, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return timing{}, err
	}
	buf := make([]byte, 1<<20)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return timing{}, err
	}
	// Wrapped, so that neither side picks its own smaller buffer.
	_, cerr := io.CopyBuffer(struct{ io.Writer }{io.Discard}, struct{ io.Reader }{out}, buf)
	err = cmd.Wait()
	t := timing{wall: time.Since(start)}
	if cmd.ProcessState != nil {
		t.cpu = cpuOf(cmd.ProcessState)
	}
	if err == nil {
		err = cerr
	}
	if err != nil || stderr.Len() > 0 {
		return t, fmt.Errorf("%s %v: %v %s", filepath.Base(name), args, err, stderr.String())
	}
	return t, nil
}

// ansibleReader runs the inventory script as Ansible's script plugin does
// (subprocess.Popen with stdout and stderr piped, then communicate), with
// no cached answer, and prints the wall and CPU time of each run in
// nanoseconds.
const ansibleReader = `
import os, resource, shutil, subprocess, sys, time
cmd, cache, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
for _ in range(runs):
    shutil.rmtree(cache, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    p = subprocess.Popen([cmd, "--list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0 or err:
        sys.exit("kook-inventory --list: exit %d: %s" % (p.returncode, err.decode()))
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(int(wall * 1e9), int(cpu * 1e9))
`

// pythonListRuns measures --list without a cached answer as Ansible sees
// it: its own reading of the pipe included.
func pythonListRuns(env []string, inventory, cacheDir string, runs int) (timing, error) {
	cmd := exec.Command("python3", "-c", ansibleReader, inventory, cacheDir, strconv.Itoa(runs))
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return timing{}, fmt.Errorf("python3 reading --list: %v %s", err, stderr.String())
	}
	var walls, cpus []time.Duration
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var w, c int64
		if _, err := fmt.Sscan(line, &w, &c); err != nil {
			return timing{}, fmt.Errorf("python3 reading --list printed %q", line)
		}
		walls, cpus = append(walls, time.Duration(w)), append(cpus, time.Duration(c))
	}
	if len(walls) == 0 {
		return timing{}, fmt.Errorf("python3 reading --list printed nothing")
	}
	return timing{median(walls), median(cpus)}, nil
}

// measureListTLS starts a ZooKeeper that asks clients for a certificate,
// imports the fleet through its plain port and measures --list, nothing
// changed, over its secure port: with the TLS ticket the previous run
// kept, and with none (a full handshake every time).
func measureListTLS(lf *listFigures, work string, runs int) error {
	dir := filepath.Join(work, "tls")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files, err := zktest.WriteTLSFiles(dir)
	if err != nil {
		return err
	}
	zks, err := zktest.StartTLSProcess(filepath.Join(work, "zk-tls"), files, zktest.ClientAuthNeed)
	if err != nil {
		return err
	}
	defer zks.Stop()
	src := filepath.Join(work, fmt.Sprintf("fleet-%d.json", tlsSize))
	if _, err := os.Stat(src); err != nil {
		if err := writeInventory(src, fleet.Generate(tlsSize, 42)); err != nil {
			return err
		}
	}
	cacheDir := filepath.Join(work, "cache-tls")
	plain := benchEnv("KOOK_ZK="+zks.Addr, "KOOK_ROOT=/bench-tls", "XDG_CACHE_HOME="+cacheDir)
	if _, _, err := timeCmd(plain, filepath.Join(work, "kook-import"), "--prune", src); err != nil {
		return err
	}
	conf := filepath.Join(work, "kook-tls.yml")
	text := fmt.Sprintf("hosts: %s\ntls:\n  ca: %s\n  cert: %s\n  key: %s\n", zks.TLSAddr, files.CA, files.ClientCert, files.ClientKey)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return err
	}
	env := benchEnv("KOOK_CONFIG="+conf, "KOOK_ROOT=/bench-tls", "XDG_CACHE_HOME="+cacheDir)
	inventory := filepath.Join(work, "kook-inventory")
	forget := func() error {
		kept, _ := filepath.Glob(filepath.Join(cacheDir, "kook", "tls-*.ticket"))
		if len(kept) == 0 {
			return fmt.Errorf("no TLS ticket kept in %s", cacheDir)
		}
		for _, p := range kept {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
		return nil
	}
	syscall.Sync()
	// As warmUp does for the plain port: a fresh server's JIT makes its
	// first handshakes several times slower than a running server's.
	for _, before := range []func() error{forget, nil} {
		if _, err := listRuns(env, inventory, 20, before); err != nil {
			return err
		}
	}
	if lf.tls, err = listRuns(env, inventory, runs, nil); err != nil {
		return err
	}
	lf.tlsFull, err = listRuns(env, inventory, runs, forget)
	return err
}

// printList prints the --list figures beside issue 13's goals.
func printList(lf listFigures) error {
	fmt.Println("kook-inventory --list, fresh processes (median of each; issue 13's goals):")
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "figure\tmeasured\tgoal\t")
	row := func(name string, t timing, goal string) { fmt.Fprintf(w, "%s\t%v\t%s\t\n", name, t, goal) }
	row("10,000 hosts, no cached answer", lf.fresh[10000], "<= 30 ms")
	row("10,000 hosts, nothing changed", lf.unchanged[10000], "<= 8 ms")
	row("100,000 hosts, no cached answer, read through a pipe by Python as Ansible does", lf.pipe[100000], "<= 200 ms")
	row("  the same read by this program", lf.fresh[100000], "")
	row("100,000 hosts, nothing changed", lf.unchanged[100000], "<= 15 ms")
	if lf.tlsErr != "" {
		fmt.Fprintf(w, "10,000 hosts, nothing changed, over mutual TLS\tFAILED (see stderr)\t<= 15 ms\t\n")
	} else {
		row("10,000 hosts, nothing changed, over mutual TLS (ticket kept)", lf.tls, "<= 15 ms")
		row("  the same with no ticket kept (a full handshake)", lf.tlsFull, "")
	}
	return w.Flush()
}
