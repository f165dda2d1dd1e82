// Package cache keeps kook-inventory's last answer on local disk, so that
// when the inventory has not changed Ansible gets it after one round trip
// to ZooKeeper (the version check) instead of a full read.
package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// format changes whenever what kook-inventory caches changes shape, so an
// upgraded binary never serves an older binary's answer.
const format = "kook-cache-3"

// An entry is one header line, then the answer:
//
//	kook-cache-3 VERSION LENGTH CRC
//
// LENGTH (16 hex digits) and CRC (8 hex digits, CRC-32 (IEEE) of the answer) are
// fixed-width so that Commit can fill them in over the placeholder Create
// wrote: the answer streams through the Writer and is never held whole. A
// truncated entry fails the length check in Get, a damaged one the
// checksum in Data, which then returns nothing of it.

// maxHeader bounds the header line.
const maxHeader = 256

// ErrCorrupt is returned by Data for an entry whose answer does not match
// its length or checksum; it returns nothing of the answer.
var ErrCorrupt = errors.New("cache: entry is damaged")

// crcTable is CRC-32's IEEE polynomial: with PCLMULQDQ, which x86-64 and
// arm64 servers have, Go checksums it twice as fast as CRC-32C, and an
// unchanged 100,000-host answer (30 MB) is checked on every --list.
var crcTable = crc32.IEEETable

func header(version string, length int64, sum uint32) string {
	return fmt.Sprintf("%s %s %016x %08x\n", format, version, length, sum)
}

// Cache is a directory of answers, one file per (servers, root).
type Cache struct {
	dir string
}

// Open returns the cache under os.UserCacheDir()/kook (so XDG_CACHE_HOME
// moves it). The directory is created on first Create.
func Open() (*Cache, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return &Cache{dir: filepath.Join(base, "kook")}, nil
}

// At returns a cache kept in dir.
func At(dir string) *Cache { return &Cache{dir: dir} }

// Entry is one cached answer, open for reading. Get reads only its header,
// so finding out that an answer is stale costs nothing like reading it;
// the answer itself is read by Data, from the file Get opened,
// so it always goes with the version Get saw even if a Commit replaces
// the entry meanwhile.
type Entry struct {
	Version string    // the inventory version the data was made from
	Saved   time.Time // when it was written
	f       *os.File
	body    int64 // offset of the answer in f
	length  int64
	sum     uint32
	data    []byte // the whole file, once Data loaded it
	unmap   func() // releases data; nil when there is nothing to release
}

func (c *Cache) path(servers []string, root string) string {
	sum := sha256.Sum256([]byte(format + "\x00" + strings.Join(servers, ",") + "\x00" + root))
	return filepath.Join(c.dir, hex.EncodeToString(sum[:12])+".json")
}

// Get returns the entry kept for servers and root, whatever its version.
// A missing, unreadable or truncated entry is simply absent. The caller
// must Close the entry.
func (c *Cache) Get(servers []string, root string) (*Entry, bool) {
	f, err := os.Open(c.path(servers, root))
	if err != nil {
		return nil, false
	}
	var buf [maxHeader]byte
	n, _ := io.ReadFull(f, buf[:])
	header, _, ok := bytes.Cut(buf[:n], []byte("\n"))
	fields := strings.Fields(string(header))
	if !ok || len(fields) != 4 || fields[0] != format || len(fields[2]) != 16 || len(fields[3]) != 8 {
		f.Close()
		return nil, false
	}
	length, lerr := strconv.ParseInt(fields[2], 16, 64)
	sum, serr := strconv.ParseUint(fields[3], 16, 32)
	info, err := f.Stat()
	body := int64(len(header) + 1)
	if err != nil || lerr != nil || serr != nil || info.Size() != body+length {
		f.Close()
		return nil, false
	}
	return &Entry{Version: fields[1], Saved: info.ModTime(), f: f, body: body, length: length, sum: uint32(sum)}, true
}

// Data returns the whole answer after checking it against its length
// and checksum: ErrCorrupt when it does not match, so that nothing of a
// damaged answer is ever written anywhere. The answer is read once: on
// Linux the entry's file is mapped (its pages come straight from the page
// cache, so a 30 MB answer costs no copy and no page faults), elsewhere it
// is read into memory. The bytes stay valid until Close and must not be
// changed.
func (e *Entry) Data() (data []byte, err error) {
	if e.data == nil {
		if e.data, e.unmap, err = load(e.f, e.body+e.length); err != nil {
			e.data = nil
			return nil, fmt.Errorf("cache: %w", err)
		}
	}
	// A file cut short while it is mapped faults on the pages it lost;
	// the fault is a damaged entry, not a crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			// Only a memory fault (which has an address) is the file's
			// doing; anything else is a bug to crash on.
			if _, ok := r.(interface{ Addr() uintptr }); !ok {
				panic(r)
			}
			data, err = nil, ErrCorrupt
		}
	}()
	if int64(len(e.data)) != e.body+e.length {
		return nil, ErrCorrupt
	}
	answer := e.data[e.body:]
	if crc32.Checksum(answer, crcTable) != e.sum {
		return nil, ErrCorrupt
	}
	// The size is checked again on the file itself: it may have been cut
	// or grown since Get.
	if info, err := e.f.Stat(); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	} else if info.Size() != e.body+e.length {
		return nil, ErrCorrupt
	}
	return answer, nil
}

// WriteAnswer writes answer, which Data returned and checked, to w. When
// w is a file or pipe the bytes go from the entry's file inside the
// kernel where it can (a 30 MB answer is then no copy through this
// process); whatever it could not send that way is written from answer.
func (e *Entry) WriteAnswer(w io.Writer, answer []byte) error {
	if f, ok := w.(*os.File); ok {
		n, err := e.sendAnswer(f)
		if err != nil {
			return err
		}
		answer = answer[n:]
	}
	if len(answer) == 0 {
		return nil
	}
	_, err := w.Write(answer)
	return err
}

// Close releases the entry's file, and the answer Data returned.
func (e *Entry) Close() error {
	if e.unmap != nil {
		e.unmap()
		e.data, e.unmap = nil, nil
	}
	return e.f.Close()
}

// Writer makes a new entry: Create starts it, Write adds to its answer and
// Commit puts it in the place of the old one.
//
// A cache that cannot be written only costs speed, so Write never fails:
// it keeps its first error for Commit, which then keeps nothing.
type Writer struct {
	f       *os.File
	dest    string
	version string
	length  int64
	sum     uint32
	err     error
}

// Create starts a new entry for servers and root at version. Until
// Commit, Get keeps returning the old entry.
func (c *Cache) Create(servers []string, root, version string) (*Writer, error) {
	if strings.ContainsAny(version, " \n") || version == "" || len(header(version, 0, 0)) > maxHeader {
		return nil, errors.New("cache: bad version")
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	f, err := os.CreateTemp(c.dir, ".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	w := &Writer{f: f, dest: c.path(servers, root), version: version}
	// A placeholder of the header's exact size, filled in by Commit.
	if _, err := io.WriteString(f, header(version, 0, 0)); err != nil {
		w.err = err
	}
	return w, nil
}

// Write adds p to the answer. It always reports success; see Writer.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err == nil {
		_, w.err = w.f.Write(p)
		w.length += int64(len(p))
		w.sum = crc32.Update(w.sum, crcTable, p)
	}
	return len(p), nil
}

// Commit makes what was written the entry, replacing the old one at once:
// a concurrent Get sees the old entry or the new one, never a mix. After
// an error in Write it keeps nothing and returns that error.
func (w *Writer) Commit() error {
	err := w.err
	if err == nil {
		_, err = w.f.WriteAt([]byte(header(w.version, w.length, w.sum)), 0)
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.f.Name(), w.dest)
	}
	if err != nil {
		os.Remove(w.f.Name())
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// Abort drops what was written; the old entry stays.
func (w *Writer) Abort() {
	w.f.Close()
	os.Remove(w.f.Name())
}

// Put keeps data as the answer for servers and root at version.
func (c *Cache) Put(servers []string, root, version string, data []byte) error {
	w, err := c.Create(servers, root, version)
	if err != nil {
		return err
	}
	w.Write(data)
	return w.Commit()
}

// Remove forgets the entry for servers and root.
func (c *Cache) Remove(servers []string, root string) error {
	err := os.Remove(c.path(servers, root))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
