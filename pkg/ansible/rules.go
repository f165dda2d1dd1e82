package ansible

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Rules names the ansible-core release whose reading of inventories kook
// reproduces. Releases between two rule sets read every inventory as the
// older one does (2.15 to 2.18 print exactly what 2.14 prints).
type Rules string

// The rule sets kook implements. The zero Rules means DefaultRules.
const (
	Rules214 Rules = "2.14" // ansible-core 2.14 to 2.18
	Rules219 Rules = "2.19" // ansible-core 2.19 and later

	// DefaultRules are those of the Ansible current users run (Debian 13,
	// any pip install since mid-2025).
	DefaultRules = Rules219
)

// ReadOptions are what every reader takes besides the input.
type ReadOptions struct {
	// Rules selects the ansible-core behaviour to follow; empty means
	// DefaultRules.
	Rules Rules
	// Warn receives non-fatal findings; nil discards them.
	Warn Warner
	// SkipUnparsed makes a file of an inventory directory that no
	// reading accepts do what it does in Ansible instead of failing the
	// read: warnings worded as Ansible's, the file skipped, what the failed
	// plugins had read before failing kept. A file whose failure is kook's
	// own limit (ErrBeyondKook) still fails the read.
	SkipUnparsed bool
}

// rules is o.Rules with the default filled in.
func (o ReadOptions) rules() Rules {
	if o.Rules == "" {
		return DefaultRules
	}
	return o.Rules
}

// since219 reports whether the options follow ansible-core 2.19 or later.
func (o ReadOptions) since219() bool { return o.rules() == Rules219 }

// String names the rules for messages: "Ansible 2.19 rules".
func (r Rules) String() string {
	if r == "" {
		r = DefaultRules
	}
	return "Ansible " + string(r) + " rules"
}

// RulesFor maps an ansible-core version ("2.17", "2.19.11", "2.20.0rc1",
// "ansible-core 2.16.3", Debian's "2.19.11-0+deb13u1") to the rule set that release follows. Versions
// before 2.14, and text that is not a version, are errors.
func RulesFor(version string) (Rules, error) {
	v := strings.TrimSpace(version)
	v = strings.TrimPrefix(v, "ansible-core")
	v = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), "v"))
	major, minor, ok := parseMajorMinor(v)
	if !ok {
		return "", fmt.Errorf("ansible version %q is not a version such as 2.19 or 2.16.3", version)
	}
	switch {
	case major < 2 || (major == 2 && minor < 14):
		return "", fmt.Errorf("ansible version %q: kook reproduces ansible-core 2.14 and later (2.14 to 2.18 read inventories alike, 2.19 and later differently)", version)
	case major == 2 && minor < 19:
		return Rules214, nil
	}
	return Rules219, nil
}

// versionPattern is a Python release version (2.19, 2.16.3, 2.20.0rc1,
// 2.19.0.dev0), optionally followed by a packager's suffix (Debian's
// 2.19.11-0+deb13u1).
var versionPattern = regexp.MustCompile(`^(\d{1,6})\.(\d{1,6})(?:\.\d{1,6})*(?:(?:a|b|rc)\d+)?(?:\.(?:dev|post)\d+)?(?:[-+~][0-9A-Za-z.+~-]*)?$`)

// parseMajorMinor reads MAJOR.MINOR of a version.
func parseMajorMinor(v string) (major, minor int, ok bool) {
	m := versionPattern.FindStringSubmatch(v)
	if m == nil {
		return 0, 0, false
	}
	major, _ = strconv.Atoi(m[1])
	minor, _ = strconv.Atoi(m[2])
	return major, minor, true
}
