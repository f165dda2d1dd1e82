package cli

import (
	"fmt"
	"strings"

	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
)

// parseAssignments reads K=V arguments into vars. Each argument is one
// value, typed exactly as Ansible types `K=V` after a host in an INI
// inventory under the configured reading rules (ansible.INIValue): the
// shell already split the words, so nothing is split again; `K=` is the
// empty string. A later K wins, as in Ansible. A malformed argument, or a
// value those rules cannot use, is a usageError naming it.
func (k *kookRun) parseAssignments(args []string) (kook.Vars, error) {
	if len(args) == 0 {
		return kook.Vars{}, nil
	}
	rules, err := k.flags.rules(k.env)
	if err != nil {
		return nil, err
	}
	return parseAssignments(args, rules)
}

// parseAssignments is kookRun.parseAssignments under the given rules.
func parseAssignments(args []string, rules ansible.Rules) (kook.Vars, error) {
	vars := kook.Vars{}
	for _, a := range args {
		k, raw, ok := strings.Cut(a, "=")
		if !ok {
			return nil, usageError{fmt.Errorf("%q is not K=V", a)}
		}
		if k == "" {
			return nil, usageError{fmt.Errorf("%q has no variable name before '='", a)}
		}
		if kook.IsReservedName(k) {
			return nil, fmt.Errorf("%s: the name %q is reserved for kook's coordination state (locks, maintenance, liveness)", a, k)
		}
		v, err := ansible.INIValue(raw, rules)
		if err != nil {
			return nil, usageError{fmt.Errorf("%s: %v under %s", a, err, rules)}
		}
		vars[k] = v
	}
	return vars, nil
}

// checkVarNames refuses K arguments of unset that cannot name a var.
func checkVarNames(keys []string) error {
	for _, k := range keys {
		if k == "" || strings.Contains(k, "=") {
			return usageError{fmt.Errorf("%q is not a variable name (unset takes names, not K=V)", k)}
		}
	}
	return nil
}
