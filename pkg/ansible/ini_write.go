package ansible

import (
	"errors"
	"io"

	"github.com/kook-project/kook/pkg/kook"
)

// WriteINI writes a reconciled inventory as an INI file that Ansible reads
// back to the same inventory, or fails naming the value INI cannot carry.
func WriteINI(w io.Writer, inv *kook.Inventory) error {
	return errors.New("INI writer not implemented yet")
}
