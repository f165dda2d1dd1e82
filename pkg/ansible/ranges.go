package ansible

import (
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/kook-project/kook/internal/pysem"
)

// MaxRangeHosts bounds what one host pattern may expand to, and what the
// patterns of one INI or YAML file may expand to together. Ansible has no
// limit (and happily tries to build a list of a billion names); kook
// refuses before allocating.
const MaxRangeHosts = 1_000_000

// ExpandHostPattern splits an inventory host pattern into host names and an
// optional port exactly as ansible-core 2.14 does for INI host lines and
// YAML host keys (BaseInventoryPlugin._expand_hostpattern):
//
//   - A port is taken off first, as parse_address does: "[anything]:NNN"
//     and then "name:NNN" (name without a bare ':'). If what is left is not
//     an IPv4 address, an IPv6 address or a DNS-like name (each possibly
//     holding ranges), the port is NOT taken off and the whole pattern is
//     the name: "plain-host:notaport" and "2001:db8::1" have no port.
//   - Any '[' in the pattern then means ranges, expanded left to right as
//     expand_hostname_range does: [1:3], [01:10:2] (zero padded to the
//     width of begin), [a:f] (ascii letters, a..z then A..Z), with its
//     errors worded like Ansible's ("host range must be begin:end or
//     begin:end:step", ...). A numeric begin after end gives no names.
//
// hasPort reports whether a port was found; port may then be 0, for which
// Ansible sets no ansible_port (Host.__init__ tests `if port`). Duplicate
// names are returned as often as the ranges produce them. A pattern that
// would expand to more than MaxRangeHosts names is an error.
func ExpandHostPattern(pattern string) (names []string, port int, hasPort bool, err error) {
	addr, portText, ok := parseAddress(pattern)
	if !ok {
		addr, portText = pattern, ""
	}
	if portText != "" {
		p, perr := strconv.ParseInt(portText, 10, 64)
		if perr != nil {
			return nil, 0, false, fmt.Errorf("port %s is too large", portText)
		}
		port, hasPort = int(p), true
	}
	if !strings.Contains(addr, "[") {
		return []string{addr}, port, hasPort, nil
	}
	n, err := countRange(addr)
	if err != nil {
		return nil, 0, false, err
	}
	names = make([]string, 0, n)
	names, err = expandRange(addr, names)
	if err != nil {
		return nil, 0, false, err
	}
	return names, port, hasPort, nil
}

// --- parse_address ----------------------------------------------------------

// parseAddress mirrors parsing/utils/addresses.py parse_address with
// allow_ranges=True: ok is false where Python raises.
func parseAddress(address string) (host, port string, ok bool) {
	if inner, p, m := matchBracketedHostPort(address); m {
		address, port = inner, p
	}
	if h, p, m := matchHostPort(address); m {
		address, port = h, p
	}
	if port == "" {
		// Without a port the caller keeps the pattern whether or not it is
		// a valid address, so the (costly) validation can be skipped.
		return address, "", true
	}
	if isIPv4Pattern(address) || ipv6Pattern().MatchString(address) || isHostnamePattern(address) {
		return address, port, true
	}
	return "", "", false
}

// stripDollarNewline drops one trailing newline, which Python's `$`
// tolerates.
func stripDollarNewline(s string) string {
	return strings.TrimSuffix(s, "\n")
}

func trailingDigits(s string) int {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	return len(s) - i
}

// matchBracketedHostPort is `^\[(.+)\]:([0-9]+)$`.
func matchBracketedHostPort(s string) (inner, port string, ok bool) {
	s = stripDollarNewline(s)
	d := trailingDigits(s)
	if d == 0 || !strings.HasPrefix(s, "[") {
		return "", "", false
	}
	rest := s[:len(s)-d]
	if !strings.HasSuffix(rest, "]:") || len(rest) < 4 {
		return "", "", false
	}
	inner = rest[1 : len(rest)-2]
	if strings.Contains(inner, "\n") {
		return "", "", false
	}
	return inner, s[len(s)-d:], true
}

// matchHostPort is `^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$`.
func matchHostPort(s string) (host, port string, ok bool) {
	i := 0
	for i < len(s) && s[i] != ':' {
		switch s[i] {
		case '[':
			j := strings.IndexByte(s[i+1:], ']')
			if j < 0 {
				return "", "", false
			}
			i += j + 2
		case ']':
			return "", "", false
		default:
			i++
		}
	}
	if i >= len(s) {
		return "", "", false
	}
	p := stripDollarNewline(s[i+1:])
	if p == "" || trailingDigits(p) != len(p) {
		return "", "", false
	}
	return s[:i], p, true
}

// isIPv4Pattern is addresses.py's 'ipv4' pattern: four dotted parts, each
// 0..255 (loosely, as the regex has it) or a numeric range.
func isIPv4Pattern(s string) bool {
	parts := strings.Split(stripDollarNewline(s), ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if !isIPv4Component(p) {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isIPv4Component(p string) bool {
	switch {
	case isDigits(p) && len(p) <= 2:
		return true
	case isDigits(p) && len(p) == 3:
		return p[0] <= '1' || (p[0] == '2' && (p[1] <= '4' || (p[1] == '5' && p[2] <= '5')))
	case strings.HasPrefix(p, "[") && strings.HasSuffix(p, "]"):
		b := strings.Split(p[1:len(p)-1], ":")
		if len(b) != 2 && len(b) != 3 {
			return false
		}
		for _, x := range b {
			if !isDigits(x) {
				return false
			}
		}
		return true
	}
	return false
}

// ipv6Pattern is addresses.py's 'ipv6' pattern. Python writes it as
// `^A|B|...|Z$`, so `$` binds only to the last alternative and the others
// need only match a prefix; kept that way on purpose. It is compiled on
// first use, like the expressions of yamlvalue.go.
var ipv6Pattern = sync.OnceValue(func() *regexp.Regexp {
	c := `(?:[0-9a-f]{1,4}|\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\])`
	alts := []string{
		`(?:C:){7}C`,
		`(?:C:){1,6}:`,
		`(?:C:)(?::C){1,6}`,
		`(?:C:){2}(?::C){1,5}`,
		`(?:C:){3}(?::C){1,4}`,
		`(?:C:){4}(?::C){1,3}`,
		`(?:C:){5}(?::C){1,2}`,
		`(?:C:){6}(?::C)`,
		`:(?::C){1,6}`,
		`C?::`,
		`(?:0:){6}(?:C\.){3}C`,
		`::(?:ffff:)?(?:C\.){3}C`,
		`(?:0:){5}ffff:(?:C\.){3}C\n?\z`,
	}
	for i := range alts {
		alts[i] = strings.ReplaceAll(alts[i], "C", c)
	}
	return regexp.MustCompile(`(?i)^(?:` + strings.Join(alts, "|") + `)`)
})

// isHostnamePattern is addresses.py's 'hostname' pattern: dot-separated
// labels of word characters and '-', not starting with '-' and not ending
// in '-' or '_', any of which may be an alphanumeric range.
func isHostnamePattern(s string) bool {
	for _, label := range strings.Split(stripDollarNewline(s), ".") {
		if !isHostnameLabel(label) {
			return false
		}
	}
	return true
}

func isHostnameLabel(l string) bool {
	if l == "" {
		return false
	}
	var last rune
	for i := 0; i < len(l); {
		if l[i] == '[' {
			n := alnumRangeLen(l[i:])
			if n == 0 {
				return false
			}
			i += n
			last = ']'
			continue
		}
		r, size := utf8.DecodeRuneInString(l[i:])
		if !pysem.IsWord(r) && (r != '-' || i == 0) {
			return false
		}
		last = r
		i += size
	}
	return last != '-' && last != '_'
}

// alnumRangeLen matches `\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`
// (case-insensitive) at the start of s and returns its length, or 0.
func alnumRangeLen(s string) int {
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return 0
	}
	b := strings.Split(s[1:end], ":")
	if len(b) != 2 && len(b) != 3 {
		return 0
	}
	letter := func(x string) bool { return len(x) == 1 && (x[0]|0x20) >= 'a' && (x[0]|0x20) <= 'z' }
	if !(letter(b[0]) && letter(b[1])) && !(isDigits(b[0]) && isDigits(b[1])) {
		return 0
	}
	if len(b) == 3 && !isDigits(b[2]) {
		return 0
	}
	return end + 1
}

// --- expand_hostname_range ------------------------------------------------

const asciiLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// hostRange is the first [..] of a pattern: the text around it and the
// sequence it stands for, either letters or a Python range().
type hostRange struct {
	head, tail string
	letters    string
	numeric    bool
	start      *big.Int
	stop       *big.Int // exclusive, as range() has it
	step       *big.Int
	width      int // zero padding, 0 for none
}

// firstRange parses the first range of line exactly as
// expand_hostname_range does, with its errors.
func firstRange(line string) (*hostRange, error) {
	l := strings.Replace(line, "[", "|", 1)
	l = strings.Replace(l, "]", "|", 1)
	parts := strings.Split(l, "|")
	// Where Ansible fails on these with Python's own words ("not enough
	// values to unpack"), say what is wrong with the line.
	if len(parts) > 3 {
		return nil, fmt.Errorf("host pattern %q holds a \"|\", which a host range such as web[01:10] cannot", line)
	}
	if len(parts) < 3 {
		if strings.HasPrefix(line, "[") {
			return nil, fmt.Errorf("%q lacks its closing \"]\": a section header reads [name], [name:vars] or [name:children]", line)
		}
		return nil, fmt.Errorf("host pattern %q opens a range with \"[\" or closes one with \"]\" without the other, as in web[01:10]", line)
	}
	r := &hostRange{head: parts[0], tail: parts[2]}
	bounds := strings.Split(parts[1], ":")
	if len(bounds) != 2 && len(bounds) != 3 {
		return nil, errors.New("host range must be begin:end or begin:end:step")
	}
	beg, end, step := bounds[0], bounds[1], "1"
	if len(bounds) == 3 {
		step = bounds[2]
	}
	if beg == "" {
		beg = "0"
	}
	if end == "" {
		return nil, errors.New("host range must specify end value")
	}
	if beg[0] == '0' && utf8.RuneCountInString(beg) > 1 {
		r.width = utf8.RuneCountInString(beg)
		if r.width != utf8.RuneCountInString(end) {
			return nil, errors.New("host range must specify equal-length begin and end formats")
		}
	}
	ib, ie := strings.Index(asciiLetters, beg), strings.Index(asciiLetters, end)
	if ib >= 0 && ie >= 0 {
		if ib > ie {
			return nil, errors.New("host range must have begin <= end")
		}
		// A bad or zero step is a ValueError inside Python's try, so it
		// falls through to the numeric attempt below, which then fails on
		// begin.
		if st, err := pysem.ParseInt(step); err == nil && st.Sign() != 0 {
			if st.Sign() > 0 {
				var sb strings.Builder
				for i := big.NewInt(int64(ib)); i.Cmp(big.NewInt(int64(ie))) <= 0; i.Add(i, st) {
					sb.WriteByte(asciiLetters[i.Int64()])
				}
				r.letters = sb.String()
			}
			return r, nil
		}
	}
	b, err := pysem.ParseInt(beg)
	if err != nil {
		return nil, err
	}
	e, err := pysem.ParseInt(end)
	if err != nil {
		return nil, err
	}
	s, err := pysem.ParseInt(step)
	if err != nil {
		return nil, err
	}
	if s.Sign() == 0 {
		return nil, errors.New("range() arg 3 must not be zero")
	}
	r.numeric, r.start, r.stop, r.step = true, b, e.Add(e, big.NewInt(1)), s
	return r, nil
}

// len returns how many items the range yields, capped just above the limit.
func (r *hostRange) len() int64 {
	if !r.numeric {
		return int64(len(r.letters))
	}
	// len(range(a, b, s)) = max(0, ceil((b-a)/s))
	diff := new(big.Int).Sub(r.stop, r.start)
	s := new(big.Int).Set(r.step)
	if s.Sign() < 0 {
		diff.Neg(diff)
		s.Neg(s)
	}
	if diff.Sign() <= 0 {
		return 0
	}
	diff.Add(diff, s).Sub(diff, big.NewInt(1)).Quo(diff, s)
	if !diff.IsInt64() || diff.Int64() > MaxRangeHosts {
		return MaxRangeHosts + 1
	}
	return diff.Int64()
}

// item returns the i-th name part the range yields.
func (r *hostRange) item(i int64) string {
	if !r.numeric {
		return r.letters[i : i+1]
	}
	x := new(big.Int).Mul(r.step, big.NewInt(i))
	x.Add(x, r.start)
	s := x.String()
	if r.width > 0 {
		s = zfill(s, r.width)
	}
	return s
}

// zfill is Python's str.zfill.
func zfill(s string, width int) string {
	if len(s) >= width {
		return s
	}
	pad := strings.Repeat("0", width-len(s))
	if s != "" && (s[0] == '-' || s[0] == '+') {
		return s[:1] + pad + s[1:]
	}
	return pad + s
}

// countRange returns how many names line expands to, reporting the errors
// Python would meet on the way. Every name produced by the first range is
// head+item+tail, with no bracket outside tail, so the rest of the
// expansion depends on tail alone; it is only looked at when the first
// range is not empty, as in Python.
func countRange(line string) (int64, error) {
	if !strings.Contains(line, "[") {
		return 1, nil
	}
	r, err := firstRange(line)
	if err != nil {
		return 0, err
	}
	n := r.len()
	if n == 0 {
		return 0, nil
	}
	sub, err := countRange(r.tail)
	if err != nil {
		return 0, err
	}
	if n > MaxRangeHosts || (sub > 0 && n > MaxRangeHosts/sub) || n*sub > MaxRangeHosts {
		return 0, beyondKook{fmt.Errorf("host range expands to more than %d hosts", MaxRangeHosts)}
	}
	return n * sub, nil
}

func expandRange(line string, out []string) ([]string, error) {
	r, err := firstRange(line)
	if err != nil {
		return nil, err
	}
	n := r.len()
	for i := int64(0); i < n; i++ {
		name := r.head + r.item(i) + r.tail
		if strings.Contains(name, "[") {
			if out, err = expandRange(name, out); err != nil {
				return nil, err
			}
		} else {
			out = append(out, name)
		}
	}
	return out, nil
}
