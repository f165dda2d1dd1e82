package ansible

import (
	"errors"
	"io"

	"github.com/kook-project/kook/pkg/kook"
)

// WriteJSON writes a reconciled inventory as the script protocol's --list
// document: group vars on the groups, host-level vars in _meta.hostvars.
func WriteJSON(w io.Writer, inv *kook.Inventory) error {
	return errors.New("JSON writer not implemented yet")
}

// WriteHostJSON writes the script protocol's --host answer for one host:
// its own vars, or {} for a host the inventory does not hold.
func WriteHostJSON(w io.Writer, inv *kook.Inventory, host string) error {
	return errors.New("JSON writer not implemented yet")
}
