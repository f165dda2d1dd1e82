package ansible

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kook-project/kook/pkg/kook"
)

// Names WriteDir writes inside the directory.
const (
	// DirInventoryFile is the inventory source of a written directory.
	DirInventoryFile = "hosts.yml"
	// DirExportMarker marks a directory WriteDir wrote and lists the files
	// it wrote there; a hidden name, so that Ansible never reads it.
	DirExportMarker = ".kook-export"
)

const dirMarkerHeader = "# Written by kook. The next kook export into this directory replaces the files listed here.\n"

// WriteDir writes inv as an inventory directory with its two layers of
// vars as they are: dir/hosts.yml, the inventory source (WriteYAML of the
// hosts, groups and their source vars), dir/group_vars/NAME.yml for every
// group and dir/host_vars/NAME.yml for every host with vars-file vars, and
// dir/.kook-export listing those files. `ansible-inventory -i dir` reads it
// back to the inventory's effective vars and Read to the same inventory,
// layers included. The files are deterministic.
//
// dir must not exist, be empty, or be an earlier WriteDir's (it holds
// .kook-export and nothing but the files listed there, which are replaced);
// anything else is refused before a file is written. So is an inventory a
// vars file cannot name: a name holding "/" (Ansible would look in a
// sub-directory), or a name that would find another's file first (a group
// "a.yml" beside a group "a" with group_vars).
func WriteDir(dir string, inv *kook.Inventory) error {
	files, err := dirFiles(inv)
	if err != nil {
		return err
	}
	old, err := earlierExport(dir)
	if err != nil {
		return err
	}
	for _, f := range old {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: removing the earlier export: %w", dir, err)
		}
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	marker := dirMarkerHeader + strings.Join(names, "\n") + "\n"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// The marker goes first, so that an export cut short can be redone.
	if err := os.WriteFile(filepath.Join(dir, DirExportMarker), []byte(marker), 0o644); err != nil {
		return err
	}
	for _, name := range names {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// dirFiles renders every file of the directory, by path relative to it.
func dirFiles(inv *kook.Inventory) (map[string][]byte, error) {
	src := inv.Clone()
	for _, g := range src.Groups {
		g.FileVars = nil
	}
	for _, h := range src.Hosts {
		h.FileVars = nil
	}
	var buf bytes.Buffer
	if err := WriteYAML(&buf, src); err != nil {
		return nil, err
	}
	files := map[string][]byte{DirInventoryFile: buf.Bytes()}
	groups := map[string]kook.Vars{}
	for name, g := range inv.Groups {
		groups[name] = g.FileVars
	}
	hosts := map[string]kook.Vars{}
	for name, h := range inv.Hosts {
		hosts[name] = h.FileVars
	}
	for _, layer := range []struct {
		kind, sub string
		vars      map[string]kook.Vars
	}{{kook.KindGroup, "group_vars", groups}, {kook.KindHost, "host_vars", hosts}} {
		if err := varsFiles(files, layer.kind, layer.sub, layer.vars); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// varsFiles renders sub/NAME.yml for every entity with vars, after making
// sure Ansible's lookup (N, N.yml, N.yaml, N.json: the first that exists)
// finds exactly those files, each for its own entity.
func varsFiles(files map[string][]byte, kind, sub string, vars map[string]kook.Vars) error {
	written := map[string]string{} // file name -> entity
	for name, v := range vars {
		if len(v) == 0 {
			continue
		}
		if strings.ContainsAny(name, "/\x00") {
			return fmt.Errorf("%s %q: a %s/ file cannot be named after it (Ansible would look in a sub-directory); its vars-file vars cannot be written as a directory", kind, name, sub)
		}
		written[name+".yml"] = name
	}
	for name, v := range vars {
		for _, cand := range append([]string{name}, prefixAll(name, varsExtensions)...) {
			owner, ok := written[cand]
			if !ok {
				continue
			}
			if owner != name {
				return fmt.Errorf("%s %q would read %s/%s, the file of %s %q; this inventory cannot be written as a directory", kind, name, sub, cand, kind, owner)
			}
			break
		}
		if len(v) == 0 {
			continue
		}
		yw := &yamlWriter{}
		yw.buf.WriteString("---")
		yw.writeMap(map[string]any(v), "")
		files[sub+"/"+name+".yml"] = yw.buf.Bytes()
	}
	return nil
}

// prefixAll returns name followed by each extension.
func prefixAll(name string, exts []string) []string {
	out := make([]string, len(exts))
	for i, e := range exts {
		out[i] = name + e
	}
	return out
}

// earlierExport checks that dir may be written and returns the files an
// earlier export left there, to be replaced.
func earlierExport(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	case len(entries) == 0:
		return nil, nil
	}
	data, err := os.ReadFile(filepath.Join(dir, DirExportMarker))
	if err != nil || !strings.HasPrefix(string(data), dirMarkerHeader) {
		return nil, fmt.Errorf("%s is not empty and not an earlier kook export (no %s): refusing to write into it; give a new or empty directory", dir, DirExportMarker)
	}
	listed := map[string]bool{}
	var files []string
	for _, line := range strings.Split(strings.TrimPrefix(string(data), dirMarkerHeader), "\n") {
		if line == "" {
			continue
		}
		if !filepath.IsLocal(line) {
			return nil, fmt.Errorf("%s: lists %q, outside the directory; refusing to write into %s", filepath.Join(dir, DirExportMarker), line, dir)
		}
		listed[filepath.Clean(line)] = true
		files = append(files, line)
	}
	// Anything kook did not write stays, and so the export is refused:
	// replacing the listed files would leave it mixed in with the new ones.
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		switch {
		case rel == "." || rel == DirExportMarker:
			return nil
		case d.IsDir() && (rel == "group_vars" || rel == "host_vars"):
			return nil
		case !listed[rel]:
			return fmt.Errorf("%s holds %s, which the earlier kook export did not write: refusing to write into it", dir, rel)
		}
		return nil
	})
	return files, err
}
