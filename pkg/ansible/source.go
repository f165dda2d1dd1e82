package ansible

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kook-project/kook/pkg/kook"
)

// Read reads inventory sources — files, directories, "-" for stdin — and
// merges them in order the way Ansible merges several -i options, then
// reconciles the result and reads the group_vars/ and host_vars/ found
// next to each source (a directory's own, a file's directory's) into the
// vars-file layer (see LoadVarsDirs). format, when not empty, overrides
// detection for every file source (stdin included); see DetectFormat for
// detection.
//
// Unlike Ansible, which skips a source it cannot parse with a warning,
// Read fails on the first source that does not parse (an *UnparsedError
// when no reading accepts a file) and returns nothing else; only a file
// inside a directory source is skipped as Ansible skips it, and only with
// opts.SkipUnparsed. Identical warnings are passed to opts.Warn once, as
// Ansible shows them.
func Read(sources []string, format Format, opts ReadOptions) (*kook.Inventory, error) {
	return ReadFrom(sources, format, os.Stdin, opts)
}

// ReadFrom is Read with the source "-" read from stdin.
func ReadFrom(sources []string, format Format, stdin io.Reader, opts ReadOptions) (*kook.Inventory, error) {
	opts.Warn = onceWarner(opts.Warn)
	warn := opts.Warn
	var inv *kook.Inventory
	var varsDirs []string
	for _, src := range sources {
		part, varsDir, err := readSource(src, format, stdin, opts)
		if err != nil {
			return nil, err
		}
		if inv == nil {
			// Every parser builds on kook.New(), so merging the first
			// source into an empty inventory would only copy it: at
			// 100,000 hosts that copy cost a fifth of an import.
			inv = part
		} else if err := inv.Merge(part); err != nil {
			return nil, &Error{File: src, Err: err}
		}
		if varsDir != "" {
			varsDirs = append(varsDirs, varsDir)
		}
	}
	if inv == nil {
		inv = kook.New()
	}
	inv.Reconcile()
	if err := LoadVarsDirs(inv, varsDirs, warn); err != nil {
		return nil, err
	}
	for _, name := range inv.GroupNames() {
		if _, ok := inv.Hosts[name]; ok {
			warn.warn("Found both group and host with same name: %s", name)
		}
	}
	return inv, nil
}

// onceWarner passes each distinct message to warn only the first time.
func onceWarner(warn Warner) Warner {
	if warn == nil {
		return nil
	}
	seen := map[string]bool{}
	return func(msg string) {
		if !seen[msg] {
			seen[msg] = true
			warn(msg)
		}
	}
}

// readSource reads one source into a raw inventory and says where its
// group_vars/ and host_vars/ live ("" for stdin).
func readSource(src string, format Format, stdin io.Reader, opts ReadOptions) (*kook.Inventory, string, error) {
	if src == "-" {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, "", &Error{File: "<stdin>", Err: err}
		}
		inv, err := ParseSource("<stdin>", data, format, opts)
		return inv, "", err
	}
	st, err := os.Stat(src)
	if err != nil {
		return nil, "", &Error{File: src, Err: unwrapPathError(err)}
	}
	if st.IsDir() {
		inv, err := ReadDir(src, format, opts)
		return inv, src, err
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, "", &Error{File: src, Err: unwrapPathError(err)}
	}
	if format == "" {
		if err := refuseScript(src, st, data); err != nil {
			return nil, "", err
		}
	}
	inv, err := ParseSource(src, data, format, opts)
	return inv, filepath.Dir(src), err
}

// unwrapPathError drops the path an *os.PathError repeats, since *Error
// already names the file.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// DetectFormat says how a source named name holding data is read when no
// format is given, mirroring the order in which Ansible tries its plugins
// (without running inventory scripts):
//
//   - a .json file is the script protocol (FormatJSON), or the Python
//     Kook's archive (FormatArchive) when its top-level object has
//     "__meta__"; ParseSource reads a FormatJSON file that is not a valid
//     script document as a YAML inventory written in JSON, as Ansible
//     would;
//   - a file without extension or with .yml/.yaml is FormatYAML, which
//     ParseSource reads as YAML and, when that is not a YAML inventory, as
//     INI — Ansible's yaml plugin and then its ini plugin;
//   - any other file is FormatINI;
//   - stdin ("-" or "<stdin>") has no name to go by: a JSON object is
//     FormatJSON or FormatArchive as above, anything else FormatYAML.
func DetectFormat(name string, data []byte) Format {
	if name == "-" || name == "<stdin>" {
		if f, ok := jsonObjectFormat(data); ok {
			return f
		}
		return FormatYAML
	}
	switch ext := pySplitExt(filepath.Base(name)); ext {
	case ".json":
		if f, ok := jsonObjectFormat(data); ok {
			return f
		}
		return FormatJSON
	case "", ".yml", ".yaml":
		return FormatYAML
	}
	return FormatINI
}

// jsonObjectFormat reports whether data is a JSON object, and whether it is
// an archive.
func jsonObjectFormat(data []byte) (Format, bool) {
	v, err := decodeJSONDocument(data)
	if err != nil {
		return "", false
	}
	obj, ok := v.(*jsonObject)
	if !ok {
		return "", false
	}
	if obj.has("__meta__") {
		return FormatArchive, true
	}
	return FormatJSON, true
}

// pySplitExt returns the extension as Python's os.path.splitext does:
// leading dots of the name do not start one.
func pySplitExt(base string) string {
	trimmed := strings.TrimLeft(base, ".")
	i := strings.LastIndexByte(trimmed, '.')
	if i < 0 {
		return ""
	}
	return trimmed[i:]
}

// ParseSource parses one source's content. With format empty it is
// detected with DetectFormat and a detected FormatYAML falls back to INI as
// Ansible does; an explicit format is the only one tried.
func ParseSource(name string, data []byte, format Format, opts ReadOptions) (*kook.Inventory, error) {
	if format != "" {
		return parseAs(name, data, format, opts)
	}
	var inv *kook.Inventory
	var err error
	switch f := DetectFormat(name, data); f {
	case FormatYAML:
		inv, err = parseYAMLThenINI(name, data, opts)
	case FormatJSON:
		inv, err = parseJSONThenYAML(name, data, opts)
	default:
		inv, err = parseAs(name, data, f, opts)
	}
	if err != nil {
		return nil, withScriptHint(name, data, err)
	}
	return inv, nil
}

func parseAs(name string, data []byte, format Format, opts ReadOptions) (*kook.Inventory, error) {
	switch format {
	case FormatINI:
		return ParseINI(name, data, opts)
	case FormatYAML:
		return ParseYAML(name, data, opts)
	case FormatJSON:
		return ParseJSON(name, data, opts)
	case FormatArchive:
		return ParseArchive(name, data, opts)
	}
	return nil, &Error{File: name, Err: fmt.Errorf("unknown inventory format %q", format)}
}

// parseYAMLThenINI is Ansible's yaml plugin followed by its ini plugin.
// When both fail, the error is an *UnparsedError saying what each found.
// A yaml plugin that failed halfway leaves in Ansible's inventory what it
// had added, under what the ini plugin reads: so does kook.
func parseYAMLThenINI(name string, data []byte, opts ReadOptions) (*kook.Inventory, error) {
	yinv, yerr := parseYAMLPartial(name, data, opts)
	if yerr == nil {
		return yinv, nil
	}
	iinv, ierr := parseINIPartial(name, data, opts)
	if ierr == nil {
		return withPartial(name, yinv, iinv)
	}
	return nil, &UnparsedError{File: name, Failures: []PluginFailure{
		{Plugin: "yaml", Err: yerr, partial: yinv},
		{Plugin: "ini", Err: ierr, partial: iinv},
	}}
}

// withPartial is inv read over what a failed reading left behind.
func withPartial(name string, partial, inv *kook.Inventory) (*kook.Inventory, error) {
	if partialEmpty(partial) {
		return inv, nil
	}
	if err := partial.Merge(inv); err != nil {
		return nil, &Error{File: name, Err: err}
	}
	return partial, nil
}

// partialEmpty reports whether a failed reading left nothing behind: no
// host, no group but the two every inventory has, no var, no link.
func partialEmpty(inv *kook.Inventory) bool {
	if inv == nil {
		return true
	}
	if len(inv.Hosts) > 0 || len(inv.Groups) > 2 {
		return false
	}
	for _, g := range inv.Groups {
		if len(g.Vars) > 0 || len(g.Hosts) > 0 || len(g.Children) > 1 {
			return false
		}
	}
	return true
}

// parseJSONThenYAML reads a .json file as the script protocol or as a YAML
// inventory written in JSON, which is what Ansible's yaml plugin makes of
// a .json file. The protocol wants host lists, a YAML inventory host
// mappings and children mappings whose values define the children; a
// document with either of those is read as YAML first. Otherwise the
// script protocol comes first and YAML is tried when it fails. When both
// fail the file goes to the ini plugin, as Ansible's yaml plugin failing
// on it would; when that fails too, the error is an *UnparsedError.
func parseJSONThenYAML(name string, data []byte, opts ReadOptions) (*kook.Inventory, error) {
	scriptFirst := true
	if v, err := decodeJSONDocument(data); err == nil && jsonLooksLikeYAMLInventory(v) {
		scriptFirst = false
	}
	var scriptWarnings, yamlWarnings []string
	script := func() (*kook.Inventory, error) {
		return ParseJSON(name, data, ReadOptions{Rules: opts.Rules, Warn: func(m string) { scriptWarnings = append(scriptWarnings, m) }})
	}
	yaml := func() (*kook.Inventory, error) {
		return parseYAMLPartial(name, data, ReadOptions{Rules: opts.Rules, Warn: func(m string) { yamlWarnings = append(yamlWarnings, m) }})
	}
	emit := func(ms []string) {
		for _, m := range ms {
			opts.Warn.warn("%s", m)
		}
	}
	var inv, yinv *kook.Inventory
	var serr, yerr error
	if scriptFirst {
		if inv, serr = script(); serr == nil {
			emit(scriptWarnings)
			return inv, nil
		}
	}
	if yinv, yerr = yaml(); yerr == nil {
		emit(yamlWarnings)
		return yinv, nil
	}
	if !scriptFirst {
		if inv, serr = script(); serr == nil {
			emit(scriptWarnings)
			return inv, nil
		}
	}
	emit(yamlWarnings) // Ansible shows what its yaml plugin warned before failing
	iinv, ierr := parseINIPartial(name, data, opts)
	if ierr == nil {
		return withPartial(name, yinv, iinv)
	}
	return nil, &UnparsedError{File: name, Failures: []PluginFailure{
		{Plugin: scriptOutput, Err: serr},
		{Plugin: "yaml", Err: yerr, partial: yinv},
		{Plugin: "ini", Err: ierr, partial: iinv},
	}}
}

// jsonLooksLikeYAMLInventory reports whether a decoded document has a
// group whose hosts are a mapping, or whose children mapping gives a child
// a body: shapes only the YAML inventory format gives a meaning to.
func jsonLooksLikeYAMLInventory(v any) bool {
	top, ok := v.(*jsonObject)
	if !ok {
		return false
	}
	for i, name := range top.keys {
		g, ok := top.vals[i].(*jsonObject)
		if name == "_meta" || !ok {
			continue
		}
		if hosts, _, ok := g.get("hosts"); ok {
			if _, isMap := hosts.(*jsonObject); isMap {
				return true
			}
		}
		if children, _, ok := g.get("children"); ok {
			if kids, isMap := children.(*jsonObject); isMap {
				for _, body := range kids.vals {
					if body != nil {
						return true
					}
				}
			}
		}
	}
	return false
}

// withScriptHint adds, to the error for a file that starts with #!, that
// kook reads inventory scripts' output but never runs them.
func withScriptHint(name string, data []byte, err error) error {
	if !strings.HasPrefix(string(data[:min(len(data), 2)]), "#!") {
		return err
	}
	var ue *UnparsedError
	if errors.As(err, &ue) {
		ue.Hint = fmt.Sprintf("(%s looks like an inventory script: kook does not run scripts, give it their --list output)", name)
		return ue
	}
	var e *Error
	if errors.As(err, &e) {
		return &Error{File: e.File, Line: e.Line, Err: fmt.Errorf("%w (%s looks like an inventory script: kook does not run scripts, give it their --list output)", e.Err, name)}
	}
	return err
}
