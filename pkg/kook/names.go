package kook

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// CheckHostName refuses a host name Ansible refuses, or that kook could not
// serve back as that host: empty (Ansible: "Invalid empty host name
// provided"), not UTF-8 (JSON cannot carry it), or the name of one of the
// groups every inventory has, which Ansible would take for the group.
func CheckHostName(name string) error {
	switch {
	case name == "":
		return errors.New("invalid empty host name: Ansible refuses it")
	case !utf8.ValidString(name):
		return fmt.Errorf("host name %q is not valid UTF-8", name)
	case name == All || name == Ungrouped:
		return fmt.Errorf("host name %q is the name of a group every inventory has: Ansible would take it for the group", name)
	}
	return nil
}

// CheckGroupName refuses a group name Ansible refuses, or that the script
// protocol cannot carry: empty (Ansible: "Invalid empty/false group name
// provided"), not UTF-8, or "_meta" (the protocol's key for host vars). A
// name Ansible accepts with a warning (characters not valid in a variable
// name: dashes, dots, a leading digit) gives that warning, worded as
// Ansible words it.
func CheckGroupName(name string) (warning string, err error) {
	switch {
	case name == "":
		return "", errors.New("invalid empty group name: Ansible refuses it")
	case !utf8.ValidString(name):
		return "", fmt.Errorf("group name %q is not valid UTF-8", name)
	case name == "_meta":
		return "", errors.New(`group name "_meta" is the script protocol's key for host vars: Ansible would never see the group`)
	case IsReservedName(name):
		return "", fmt.Errorf("group name %q is reserved for kook's coordination state (locks, maintenance, liveness)", name)
	case invalidGroupName(name):
		return fmt.Sprintf("group name %q: %s", name, WarnInvalidGroupChars), nil
	}
	return "", nil
}
