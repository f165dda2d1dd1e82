package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// kookFilterLines prints the figures of kook host list's filter beside
// the table's row (a host var, which every host sets itself): the same
// filter on a var that only groups set, which makes kook find each host's
// groups and their order. It runs on the roots the table's sizes left
// (/bench-N) and needs nothing else.
func kookFilterLines(work, addr string, sizes []int, runs int) error {
	kook := filepath.Join(work, "kook")
	for _, n := range sizes {
		env := benchEnv("KOOK_ZK="+addr, fmt.Sprintf("KOOK_ROOT=/bench-%d", n))
		fmt.Fprintf(os.Stderr, "%d hosts: kook host list --where on a group var\n", n)
		args := []string{"host", "list", "--group", "region_000", "--where", "owner=^team-1$"}
		cmd := exec.Command(kook, args...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("kook %v: %v", args, err)
		}
		var walls, cpus []time.Duration
		for i := 0; i < runs; i++ {
			d, _, err := timeCmd(env, kook, args...)
			if err != nil {
				return err
			}
			walls, cpus = append(walls, d), append(cpus, lastCPU)
		}
		fmt.Printf("kook host list --group G --where K=REGEX, K set by groups only, %s hosts (median): %s, CPU %s, %d hosts (goal 300 ms at 100,000)\n",
			humanInt(n), ms(median(walls)), ms(median(cpus)), bytes.Count(out, []byte("\n")))
	}
	return nil
}

// sizesOf returns the fleet sizes the table measured.
func sizesOf(all []figures) []int {
	out := make([]int, len(all))
	for i, f := range all {
		out[i] = f.size
	}
	return out
}
