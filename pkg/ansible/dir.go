package ansible

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kook-project/kook/pkg/kook"
)

// inventoryIgnoredSuffixes is Ansible's INVENTORY_IGNORE_EXTS: names with
// these endings are skipped inside an inventory directory. Up to 2.18 the
// list holds ".ini" (an INI file in a directory given as a source is never
// read); 2.19 dropped it.
var inventoryIgnoredSuffixes = []string{
	".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst",
	".orig", ".cfg", ".retry",
}

// ignoredInInventoryDir reports whether Ansible skips an entry of an
// inventory directory (manager.py IGNORED) under the given rules.
func ignoredInInventoryDir(name string, rules Rules) bool {
	switch {
	case strings.HasPrefix(name, "."),
		name == "group_vars", name == "host_vars", name == "vars_plugins":
		return true
	case rules == Rules214 && strings.HasSuffix(name, ".ini"):
		return true
	}
	for _, suffix := range inventoryIgnoredSuffixes {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}

// ReadDir reads an inventory directory as Ansible reads one given as a
// source: every entry in sorted order, sub-directories recursively,
// skipping hidden names, group_vars, host_vars, vars_plugins and the
// extensions Ansible ignores (.ini among them under 2.14 rules), each file parsed as
// ParseSource would (format, when not empty, for all of them). The files'
// inventories are merged in that order into one raw inventory.
//
// ReadDir does not load group_vars/ and host_vars/: Ansible merges those
// once every source is read (see LoadVarsDirs and Read). A directory in
// which nothing can be parsed is an error; a file that fails to parse fails
// the whole directory, unless no reading accepts it and opts.SkipUnparsed
// asks for what Ansible does (see UnparsedError). A file Ansible would run
// as a script (#! and executable) is refused: kook does not run scripts.
func ReadDir(dir string, format Format, opts ReadOptions) (*kook.Inventory, error) {
	inv := kook.New()
	parsed, err := readDirInto(inv, dir, nil, format, opts)
	if err != nil {
		return nil, err
	}
	if !parsed {
		msg := "Unable to parse it as an inventory source: no inventory file in the directory"
		if ini := iniFilesIn(dir); len(ini) > 0 && opts.rules() == Rules214 {
			msg += fmt.Sprintf(" (Ansible before 2.19 ignores .ini files in a directory: give %s itself, or read with 2.19 rules)", strings.Join(ini, ", "))
		}
		return nil, &Error{File: dir, Err: errors.New(msg)}
	}
	return inv, nil
}

// iniFilesIn lists the .ini files directly in dir, for a hint.
func iniFilesIn(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".ini") && !e.IsDir() {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

// readDirInto reads dir into inv; above holds the directories it is in,
// so that a symlink leading back to one of them is refused instead of
// followed until the path grows too long.
func readDirInto(inv *kook.Inventory, dir string, above []os.FileInfo, format Format, opts ReadOptions) (bool, error) {
	warn := opts.Warn
	above, err := enterDir(dir, above)
	if err != nil {
		return false, err
	}
	entries, err := os.ReadDir(dir) // sorted by name, as Ansible's sorted(os.listdir())
	if err != nil {
		return false, &Error{File: dir, Err: unwrapPathError(err)}
	}
	parsed := false
	for _, e := range entries {
		if ignoredInInventoryDir(e.Name(), opts.rules()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		st, err := os.Stat(path) // follows symlinks, as os.path.isdir does
		if err != nil {
			return false, &Error{File: path, Err: unwrapPathError(err)}
		}
		switch {
		case st.IsDir():
			sub, err := readDirInto(inv, path, above, format, opts)
			if err != nil {
				return false, err
			}
			if !sub {
				warn.warn("Unable to parse %s as an inventory source", path)
			}
			parsed = parsed || sub
		case !st.Mode().IsRegular():
			// A FIFO would block the read forever and a device may never
			// end; Ansible has no business with either.
			warn.warn("Skipping %s: not a regular file", path)
		default:
			data, err := os.ReadFile(path)
			if err != nil {
				return false, &Error{File: path, Err: unwrapPathError(err)}
			}
			if format == "" {
				if err := refuseScript(path, st, data); err != nil {
					return false, err
				}
			}
			part, err := ParseSource(path, data, format, opts)
			var unparsed *UnparsedError
			if errors.As(err, &unparsed) && unparsed.File == path {
				unparsed.InDir = true
				if !opts.SkipUnparsed || !unparsed.reproducible() {
					return false, unparsed
				}
				if err := unparsed.skip(inv, opts); err != nil {
					return false, err
				}
				continue
			}
			if err != nil {
				return false, err
			}
			if err := inv.Merge(part); err != nil {
				return false, &Error{File: path, Err: err}
			}
			parsed = true
		}
	}
	return parsed, nil
}

// refuseScript fails for a file Ansible would run as an inventory script:
// one that starts with #! and may be executed (the script plugin's
// verify_file, then the run). Read as data it could parse as INI and give
// another inventory than the script's output.
func refuseScript(path string, st os.FileInfo, data []byte) error {
	if !bytes.HasPrefix(data, []byte("#!")) || st.Mode().Perm()&0o111 == 0 {
		return nil
	}
	return &Error{File: path, Line: 1, Err: errors.New("Ansible runs this file as an inventory script (it starts with #! and is executable); kook does not run scripts: give it the script's --list output instead")}
}

// varsExtensions are the names tried after N itself (YAML_FILENAME_EXTENSIONS).
var varsExtensions = []string{".yml", ".yaml", ".json"}

// LoadVarsDirs reads D/group_vars/ and D/host_vars/ of each directory D,
// in order, into the vars-file layer of the inventory's groups and hosts
// (Group.FileVars, Host.FileVars), as Ansible's host_group_vars plugin
// reads them once all sources are parsed: for a group or host N, the first
// of N, N.yml, N.yaml, N.json that exists is read — a file, or a directory
// whose files (recursively, in sorted order, hidden names, backups~ and
// other extensions skipped) are read in turn — later keys replacing
// earlier ones. Only groups and hosts the inventory holds are looked up
// (names starting with "/" never are). The source layer (Vars) is left as
// the sources set it: Ansible ranks every vars-file var above every source
// var, which kook.EffectiveVars reproduces.
//
// An ansible_group_priority found there is an ordinary var, as Ansible
// keeps it. Vars files are YAML (JSON being YAML).
//
// Ansible merges the vars files of several directories directory by
// directory; kook keeps one layer, merged group by group. Where that would
// give a host another value (one var set for two groups by files in two
// different directories), LoadVarsDirs refuses instead of guessing.
func LoadVarsDirs(inv *kook.Inventory, dirs []string, warn Warner) error {
	// origin[group][key] is where that group's file var came from, to
	// find the one case kook cannot reproduce.
	origin := map[string]map[string]string{}
	for i, dir := range dirs {
		for _, kind := range []string{"group_vars", "host_vars"} {
			base := filepath.Join(dir, kind)
			st, err := os.Stat(base)
			switch {
			case err != nil:
				continue
			case !st.IsDir():
				warn.warn("Found %s that is not a directory, skipping: %s", kind, base)
				continue
			}
			// One listing instead of four stats per host: most hosts of a
			// large inventory have no file here.
			present := map[string]bool{}
			if entries, err := os.ReadDir(base); err == nil {
				for _, e := range entries {
					present[e.Name()] = true
				}
			}
			var names []string
			if kind == "group_vars" {
				names = inv.GroupNames()
			} else {
				names = inv.HostNames()
			}
			for _, name := range names {
				if strings.HasPrefix(name, "/") || !varsCandidatePresent(present, name) {
					continue
				}
				vars, err := loadVarsFor(base, name, warn)
				if err != nil {
					return err
				}
				if len(vars) == 0 {
					continue
				}
				if kind == "host_vars" {
					h := inv.Hosts[name]
					h.FileVars = setLayer(h.FileVars, vars)
					continue
				}
				g := inv.Groups[name]
				g.FileVars = setLayer(g.FileVars, vars)
				if len(dirs) > 1 && name != kook.All {
					if origin[name] == nil {
						origin[name] = map[string]string{}
					}
					for k := range vars {
						origin[name][k] = filepath.Clean(dirs[i])
					}
				}
			}
		}
	}
	return checkVarsOrigins(origin)
}

// setLayer sets vars into layer key by key, creating it if needed.
func setLayer(layer, vars kook.Vars) kook.Vars {
	if layer == nil {
		layer = make(kook.Vars, len(vars))
	}
	for k, v := range vars {
		layer[k] = v
	}
	return layer
}

// checkVarsOrigins refuses a var that group_vars/ files of two different
// directories set for two different groups (group_vars/all aside, which
// Ansible merges apart from the others): Ansible lets the later directory
// win whatever the groups' order, kook's single vars-file layer would let
// the later group win.
func checkVarsOrigins(origin map[string]map[string]string) error {
	type setter struct{ group, dir string }
	first := map[string]setter{}
	for _, group := range slices.Sorted(maps.Keys(origin)) {
		for _, k := range slices.Sorted(maps.Keys(origin[group])) {
			dir := origin[group][k]
			f, seen := first[k]
			if !seen {
				first[k] = setter{group, dir}
				continue
			}
			if f.dir != dir {
				return &Error{File: filepath.Join(dir, "group_vars", group), Err: fmt.Errorf(
					"var %q is also set for group %q by %s: Ansible ranks vars files of several inventory directories by directory, which kook cannot reproduce; give the vars of both groups in one directory",
					k, f.group, filepath.Join(f.dir, "group_vars", f.group))}
			}
		}
	}
	return nil
}

// varsCandidatePresent reports whether base may hold vars for name: its
// first path component (a name may hold "/"), with or without a vars
// extension, is an entry of base.
func varsCandidatePresent(present map[string]bool, name string) bool {
	first, _, nested := strings.Cut(name, "/")
	if nested {
		return present[first]
	}
	if present[name] {
		return true
	}
	for _, ext := range varsExtensions {
		if present[name+ext] {
			return true
		}
	}
	return false
}

// loadVarsFor reads the vars files for entity name under base
// (DataLoader.find_vars_files and VarsModule.get_vars).
func loadVarsFor(base, name string, warn Warner) (kook.Vars, error) {
	stem := base + string(filepath.Separator) + name
	var files []string
	for _, ext := range append([]string{""}, varsExtensions...) {
		path := stem + ext
		st, err := os.Stat(path)
		if err != nil {
			continue
		}
		switch {
		case st.IsDir():
			found, err := varsDirFiles(path, nil, warn)
			if err != nil {
				return nil, err
			}
			files = found
		case st.Mode().IsRegular():
			files = []string{path}
		default:
			warn.warn("Skipping %s: not a regular file", path)
		}
		break
	}
	var out kook.Vars
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, &Error{File: f, Err: unwrapPathError(err)}
		}
		vars, err := DecodeYAMLVarsWarn(f, data, warn)
		if err != nil {
			return nil, err
		}
		if len(vars) == 0 {
			continue // Ansible ignores empty files
		}
		if out == nil {
			out = kook.Vars{}
		}
		for k, v := range vars {
			out[k] = v
		}
	}
	return out, nil
}

// varsDirFiles lists the vars files of a group_vars/N/ directory as
// DataLoader._get_dir_vars_files does, refusing a symlink back to a
// directory it is in (above), and skipping what is not a regular file.
func varsDirFiles(dir string, above []os.FileInfo, warn Warner) ([]string, error) {
	above, err := enterDir(dir, above)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, &Error{File: dir, Err: unwrapPathError(err)}
	}
	var found []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
			continue
		}
		path := filepath.Join(dir, name)
		st, err := os.Stat(path)
		if err != nil {
			continue
		}
		ext := pySplitExt(name)
		switch {
		case st.IsDir() && ext == "":
			sub, err := varsDirFiles(path, above, warn)
			if err != nil {
				return nil, err
			}
			found = append(found, sub...)
		case st.IsDir():
			// A directory with an extension is not read, as in Ansible.
		case ext == "" || isVarsExtension(ext):
			if !st.Mode().IsRegular() {
				warn.warn("Skipping %s: not a regular file", path)
				continue
			}
			found = append(found, path)
		}
	}
	return found, nil
}

func isVarsExtension(ext string) bool {
	for _, e := range varsExtensions {
		if e == ext {
			return true
		}
	}
	return false
}

// enterDir returns above with dir added, or an *Error when dir is one of
// the directories above it (reached again through a symlink).
func enterDir(dir string, above []os.FileInfo) ([]os.FileInfo, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, &Error{File: dir, Err: unwrapPathError(err)}
	}
	for _, a := range above {
		if os.SameFile(a, st) {
			return nil, &Error{File: dir, Err: errors.New("symlink loop: this directory contains itself")}
		}
	}
	return append(above[:len(above):len(above)], st), nil
}
