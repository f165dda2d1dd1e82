package ansible

import (
	"errors"
	"io"

	"github.com/kook-project/kook/pkg/kook"
)

// WriteYAML writes a reconciled inventory as a YAML inventory file.
func WriteYAML(w io.Writer, inv *kook.Inventory) error {
	return errors.New("YAML writer not implemented yet")
}
