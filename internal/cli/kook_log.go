package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kook-project/kook/pkg/kook/store"
)

// logCmd is `kook log`: the change log, newest first.
type logCmd struct {
	N     int    `short:"n" default:"20" help:"Show at most N entries."`
	Host  string `help:"Only the writes that touched host H." placeholder:"H"`
	Group string `help:"Only the writes that touched group G." placeholder:"G"`
	JSON  bool   `name:"json" help:"Print one JSON document (a list of entries) for scripts."`
}

// logJSON is one entry as --json prints it.
type logJSON struct {
	Seq     int64             `json:"seq"`
	Time    string            `json:"time"`
	Writer  string            `json:"writer"`
	Who     string            `json:"who"`
	Program string            `json:"program"`
	Args    []string          `json:"args"`
	What    string            `json:"what"`
	Hosts   map[string]string `json:"hosts"`
	Groups  map[string]string `json:"groups"`
	More    int               `json:"more,omitempty"`
}

func (c *logCmd) Run(k *kookRun) error {
	if c.N < 1 {
		return usageError{errors.New("-n wants at least 1")}
	}
	st, err := k.store()
	if err != nil {
		return err
	}
	entries, err := st.Log(k.ctx, store.LogQuery{N: c.N, Host: c.Host, Group: c.Group})
	if err != nil {
		return err
	}
	if c.JSON {
		out := make([]logJSON, len(entries))
		for i, e := range entries {
			out[i] = logJSON{Seq: e.Seq, Time: e.Time.UTC().Format(time.RFC3339Nano), Writer: e.Writer, Who: e.Who,
				Program: e.Program, Args: nonNil(e.Args), What: e.What, Hosts: nonNilMap(e.Hosts), Groups: nonNilMap(e.Groups), More: e.More}
		}
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		_, err = k.env.Stdout.Write(append(b, '\n'))
		return err
	}
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "%s  %s  %s", e.Time.UTC().Format("2006-01-02 15:04:05Z"), orDash(e.Who), orDash(e.What))
		if e.Program != "" {
			fmt.Fprintf(&b, "  (%s)", strings.Join(append([]string{e.Program}, e.Args...), " "))
		}
		b.WriteByte('\n')
		for _, part := range []struct {
			kind  string
			names map[string]string
		}{{"group", e.Groups}, {"host", e.Hosts}} {
			if line := changedNames(part.names); line != "" {
				fmt.Fprintf(&b, "    %ss: %s\n", part.kind, line)
			}
		}
		if e.More > 0 {
			fmt.Fprintf(&b, "    and %d more names (a bulk write)\n", e.More)
		}
	}
	_, err = k.env.Stdout.Write([]byte(b.String()))
	return err
}

// changedNames prints names with how they changed: +added ~changed -removed.
func changedNames(m map[string]string) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	mark := map[string]string{store.LogAdded: "+", store.LogChanged: "~", store.LogRemoved: "-"}
	for i, n := range names {
		names[i] = mark[m[n]] + n
	}
	return strings.Join(names, " ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
