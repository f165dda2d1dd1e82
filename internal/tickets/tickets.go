// Package tickets keeps TLS session tickets on local disk, so that a kook
// process, which lives for one answer, resumes the TLS session the last
// one had with a ZooKeeper server instead of making a full handshake (a
// signature and a certificate check on each side: most of what a cached
// --list over mutual TLS costs).
//
// A ticket is kept per server address and per identity (the CA trusted,
// the client certificate, the server name checked), in a file of its own,
// mode 0600 in a directory 0700: it stands for a session with that server,
// and a session whose ticket someone else can read is no longer private to
// this user. What is read back is used only if it is whole (checksum), in
// the current format, and written for exactly that server and identity;
// anything else is ignored, never an error. The resumed session is still
// checked by the dialer (see VerifyResumed): a ticket is never trusted
// blindly.
package tickets

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
)

// format changes whenever the file's layout does; other formats are
// ignored.
const format = "kook-tls-ticket-1\n"

// maxFile bounds what is read back: a ticket and its state (certificates
// included) take a few KB.
const maxFile = 64 << 10

// Store is a directory of tickets.
type Store struct {
	dir string
}

// At returns the store kept in dir (created on the first Put).
func At(dir string) *Store { return &Store{dir: dir} }

// Open returns the store under os.UserCacheDir()/kook, beside
// kook-inventory's cached answers (so XDG_CACHE_HOME moves it).
func Open() (*Store, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return nil, err
	}
	return At(filepath.Join(base, "kook")), nil
}

// For returns the tls.ClientSessionCache of connections to address with
// identity, a string that changes whenever what the connection trusts or
// presents does (the dialer builds it from its CA, certificate and server
// name). It ignores the key crypto/tls gives, which is only the server
// name: two servers of one host would share it.
func (s *Store) For(address, identity string) tls.ClientSessionCache {
	key := address + "\x00" + identity
	sum := sha256.Sum256([]byte(key))
	return &sessionCache{path: filepath.Join(s.dir, "tls-"+hex.EncodeToString(sum[:12])+".ticket"), key: key}
}

// sessionCache is one server's ticket file.
type sessionCache struct {
	path string
	key  string
}

// Get returns the ticket kept for the server, if a usable one is.
func (c *sessionCache) Get(string) (*tls.ClientSessionState, bool) {
	data, err := readFile(c.path)
	if err != nil {
		return nil, false
	}
	cs, err := decode(data, c.key)
	if err != nil {
		return nil, false
	}
	return cs, true
}

// Put keeps the ticket, replacing the old one at once; a nil state (the
// server refused the ticket, or it expired) forgets it. A ticket that
// cannot be kept only costs the next process a full handshake: errors are
// dropped.
func (c *sessionCache) Put(_ string, cs *tls.ClientSessionState) {
	if cs == nil {
		os.Remove(c.path)
		return
	}
	data, err := encode(cs, c.key)
	if err != nil {
		return
	}
	writeFile(c.path, data)
}

// The file: format, then the key, the ticket and the session state, each
// as a 4-byte big-endian length and its bytes, then the CRC-32 of all
// that came before.

func encode(cs *tls.ClientSessionState, key string) ([]byte, error) {
	ticket, state, err := cs.ResumptionState()
	if err != nil || state == nil {
		return nil, errors.New("no resumption state")
	}
	sb, err := state.Bytes()
	if err != nil {
		return nil, err
	}
	b := []byte(format)
	for _, part := range [][]byte{[]byte(key), ticket, sb} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(part)))
		b = append(b, part...)
	}
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b)), nil
}

var errBad = errors.New("not a usable ticket file")

func decode(data []byte, key string) (*tls.ClientSessionState, error) {
	if len(data) < len(format)+4 || !bytes.HasPrefix(data, []byte(format)) {
		return nil, errBad
	}
	body, sum := data[:len(data)-4], binary.BigEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, errBad
	}
	rest := body[len(format):]
	var parts [3][]byte
	for i := range parts {
		if len(rest) < 4 {
			return nil, errBad
		}
		n := binary.BigEndian.Uint32(rest)
		rest = rest[4:]
		if uint64(n) > uint64(len(rest)) {
			return nil, errBad
		}
		parts[i], rest = rest[:n], rest[n:]
	}
	if len(rest) != 0 || string(parts[0]) != key {
		// Another server's or another identity's ticket, copied or
		// renamed: not this connection's.
		return nil, errBad
	}
	state, err := tls.ParseSessionState(parts[2])
	if err != nil {
		return nil, errBad
	}
	return tls.NewResumptionState(bytes.Clone(parts[1]), state)
}

// readFile reads a ticket file, refusing one that others may read or
// write, or that is not a regular file of a sane size.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() || info.Mode().Perm()&0o077 != 0 || info.Size() > maxFile {
		return nil, errBad
	}
	data := make([]byte, info.Size())
	if _, err := f.ReadAt(data, 0); err != nil {
		return nil, err
	}
	return data, nil
}

// writeFile replaces path with data, mode 0600, through a temporary file
// renamed over it: a reader sees the old ticket or the new, never half.
func writeFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-ticket-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
