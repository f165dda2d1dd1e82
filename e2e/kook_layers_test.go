package e2e

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kook-project/kook/internal/testutil"
	"github.com/kook-project/kook/internal/zktest"
)

// TestKookListFiltersLayers: --where tests the vars Ansible gives each
// host when some come from vars files (group_vars/, host_vars/), which win
// over the inventory's own: for every var Ansible shows, `--where K` and,
// for a scalar, `--where K=^V$` pick the hosts Ansible gives it (the
// value V).
func TestKookListFiltersLayers(t *testing.T) {
	needAnsible(t)
	zk := zktest.Shared(t)
	for _, dir := range []string{"dir-layers-issue", "dir-layers-multi", "dir-vars"} {
		t.Run(dir, func(t *testing.T) {
			env := zkEnv(zk.Addr, zktest.UniqueRoot(t))
			mustImport(t, env, "--prune", filepath.Join(testutil.RepoRoot(), "testdata", "inventories", dir))
			r := run(t, t.TempDir(), env, ansibleInv, "-i", kookInvent, "--list")
			if r.code != 0 {
				t.Fatalf("ansible-inventory: exit %d\n%s", r.code, r.stderr)
			}
			var doc struct {
				Meta struct{ Hostvars map[string]map[string]any } `json:"_meta"`
			}
			if err := json.Unmarshal(r.stdout, &doc); err != nil {
				t.Fatal(err)
			}
			text := func(v any) string {
				if s, ok := v.(string); ok {
					return s
				}
				b, _ := json.Marshal(v)
				return string(b)
			}
			keys := map[string]bool{}
			for _, vars := range doc.Meta.Hostvars {
				for k := range vars {
					keys[k] = true
				}
			}
			if len(keys) == 0 {
				t.Fatal("Ansible shows no var: the case tests nothing")
			}
			for k := range keys {
				var set []string
				value := ""
				for h, vars := range doc.Meta.Hostvars {
					if v, ok := vars[k]; ok {
						set = append(set, h)
						if value == "" || text(v) < value {
							value = text(v)
						}
					}
				}
				var same []string
				for _, h := range set {
					if text(doc.Meta.Hostvars[h][k]) == value {
						same = append(same, h)
					}
				}
				cases := []struct {
					where string
					want  []string
				}{{k, set}}
				if !strings.ContainsAny(value[:min(1, len(value))], "[{") {
					// Scalars only: lists and maps are matched in kook's
					// JSON spelling, which this oracle does not redo.
					cases = append(cases, struct {
						where string
						want  []string
					}{k + "=^" + regexp.QuoteMeta(value) + "$", same})
				}
				for _, c := range cases {
					out := kookCmd(t, env, "host", "list", "--where", c.where)
					if out.code != 0 {
						t.Fatalf("host list --where %s: exit %d\n%s", c.where, out.code, out.stderr)
					}
					got := strings.Fields(string(out.stdout))
					sort.Strings(got)
					sort.Strings(c.want)
					if d := cmp.Diff(c.want, got); d != "" {
						t.Errorf("host list --where %s (-Ansible +kook):\n%s", c.where, d)
					}
				}
			}
		})
	}
}
