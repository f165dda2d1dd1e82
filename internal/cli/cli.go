// Package cli holds what kook's commands do: their flags, how they
// wire configuration, the store and pkg/ansible together, and their exit
// codes. The mains in cmd/ only hand it the process's arguments and streams.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"github.com/go-zookeeper/zk"
	"golang.org/x/term"

	"github.com/kook-project/kook/internal/config"
	"github.com/kook-project/kook/internal/tickets"
	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook/store"
)

// Env is what a command sees of its process: arguments without the program
// name, standard streams and the environment.
type Env struct {
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// OSEnv returns the running process's Env.
func OSEnv() Env {
	return Env{Args: os.Args[1:], Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

// ZKFlags are the connection flags every command shares; they win over the
// environment and the configuration file.
type ZKFlags struct {
	ZK      string        `name:"zk" help:"ZooKeeper servers, host:port[,host:port...] (else KOOK_ZK, else hosts: in the config file)." placeholder:"SERVERS"`
	Root    string        `help:"Znode under which the inventory lives (else KOOK_ROOT, else root: in the config file, else /kook)." placeholder:"PATH"`
	Config  string        `help:"Configuration file (else KOOK_CONFIG, else /etc/kook.yml)." placeholder:"FILE" type:"path"`
	Timeout time.Duration `help:"Give up on ZooKeeper after this long (default 5s, or timeout: in the config file)."`
	// AnsibleVersion rides with the connection flags because every
	// command that reads or writes an inventory takes it.
	AnsibleVersion string `name:"ansible-version" help:"Read inventories as this ansible-core version does: 2.14 to 2.18 follow the 2.14 rules, 2.19 and later the 2.19 rules (else KOOK_ANSIBLE_VERSION, else ansible_version: in the config file, else 2.19)." placeholder:"VERSION"`
}

func (f ZKFlags) configFlags() config.Flags {
	return config.Flags{Servers: f.ZK, Root: f.Root, Timeout: f.Timeout, Config: f.Config, AnsibleVersion: f.AnsibleVersion}
}

// usage returns the error of connection flags that cannot work, given the
// flags the command line set.
func (f ZKFlags) usage(set map[string]bool) error {
	if set["timeout"] && f.Timeout <= 0 {
		return fmt.Errorf("--timeout %v: give a time above zero, such as 5s", f.Timeout)
	}
	return nil
}

// setFlags returns the long names of the flags the command line set.
func setFlags(kctx *kong.Context) map[string]bool {
	set := map[string]bool{}
	for _, p := range kctx.Path {
		if p.Flag != nil && !p.Resolved {
			set[p.Flag.Name] = true
		}
	}
	return set
}

func (f ZKFlags) load(env Env) (config.Config, error) {
	return config.Load(f.configFlags(), env.Getenv,
		func(msg string) { fmt.Fprintf(env.Stderr, "warning: %s\n", msg) })
}

// checkAnsibleVersion refuses a --ansible-version that names no rule set,
// as a usage error before anything else runs.
func (f ZKFlags) checkAnsibleVersion() error {
	if f.AnsibleVersion == "" {
		return nil
	}
	_, err := rulesFor(f.AnsibleVersion, "--ansible-version")
	return err
}

// rulesFor maps a configured Ansible version to its reading rules; an
// empty version means the default rules. from names where the version
// was given, for the error.
func rulesFor(version, from string) (ansible.Rules, error) {
	if version == "" {
		return ansible.DefaultRules, nil
	}
	r, err := ansible.RulesFor(version)
	if err != nil {
		return "", fmt.Errorf("%s: %w", from, err)
	}
	return r, nil
}

// rules resolves the reading rules without needing ZooKeeper's address.
func (f ZKFlags) rules(env Env) (ansible.Rules, error) {
	version, from, err := config.LoadAnsibleVersion(f.configFlags(), env.Getenv)
	if err != nil {
		return "", err
	}
	return rulesFor(version, from)
}

// open connects to the store the configuration names; program and args
// are recorded in the change log with each write (args through logArgs).
func open(ctx context.Context, cfg config.Config, program string, args []string) (*store.Store, error) {
	return openWith(ctx, cfg, program, args, nil)
}

// openWith is open with a receiver of the session's events.
func openWith(ctx context.Context, cfg config.Config, program string, args []string, onEvent func(zk.Event)) (*store.Store, error) {
	sc := store.Config{
		Actor:          store.Actor{Program: program, Args: logArgs(args)},
		Servers:        cfg.Servers,
		Root:           cfg.Root,
		Timeout:        cfg.Timeout,
		SessionTimeout: cfg.SessionTimeout,
		Digest:         cfg.Digest,
		WorldRead:      cfg.WorldRead,
		OnEvent:        onEvent,
	}
	if cfg.TLS.Enabled() {
		// Tickets let the next process resume this one's TLS session;
		// without a cache directory each connection makes a full handshake.
		store, _ := tickets.Open()
		d, err := tlsDialer(cfg.TLS, cfg.Timeout, store)
		if err != nil {
			return nil, err
		}
		sc.Dialer = d
	}
	return store.Open(ctx, sc)
}

// logArgs is args as the change log may keep them: the value of every
// K=V argument (a var being set, which may be a password) is replaced by
// "***". Flags never carry secrets: credentials come from the
// configuration file or the environment.
func logArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if k, _, ok := strings.Cut(a, "="); ok && !strings.HasPrefix(a, "-") {
			a = k + "=***"
		}
		out[i] = a
	}
	return out
}

// parseCommand runs kong over args. It returns kong's context (whose Run
// calls the chosen verb, and whose Path says which flags were set), or a
// non-nil exit code when parsing ended the command (help, --version, or a
// usage error already reported).
func parseCommand(name, description string, cli any, env Env, usageExit int) (kctx *kong.Context, exit *int) {
	code := -1
	parser, err := kong.New(cli,
		kong.Name(name),
		kong.Description(description),
		kong.Writers(env.Stdout, env.Stderr),
		kong.Exit(func(c int) { code = c; panic(exitPanic{}) }),
		kong.UsageOnError(),
		kong.Vars{"version": name + " " + Version()},
	)
	if err != nil {
		panic(err) // a bug in the flag declarations
	}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(exitPanic); !ok {
				panic(r)
			}
			kctx, exit = nil, &code
		}
	}()
	kctx, err = parser.Parse(env.Args)
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", name, err)
		code = usageExit
		return nil, &code
	}
	return kctx, nil
}

type exitPanic struct{}

// isTerminal reports whether w is a terminal, where progress may be drawn.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// versionKey names an inventory version for the local cache.
func versionKey(v store.Version) string {
	return strconv.FormatInt(v.Zxid, 16) + "-" + v.Generation
}

// fail prints err for the person at the terminal and returns code.
func fail(env Env, name string, code int, err error) int {
	fmt.Fprintf(env.Stderr, "%s: %v\n", name, err)
	return code
}

// humanInt writes n with thousands separators: 12,345.
func humanInt(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + humanInt(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
