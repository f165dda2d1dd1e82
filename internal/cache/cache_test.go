package cache

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var servers = []string{"zk1:2181", "zk2:2181"}

func get(t *testing.T, c *Cache, root string) (version, data string, ok bool) {
	t.Helper()
	e, ok := c.Get(servers, root)
	if !ok {
		return "", "", false
	}
	defer e.Close()
	d, err := e.Data()
	if err != nil {
		t.Fatal(err)
	}
	return e.Version, string(d), true
}

func TestPutGet(t *testing.T) {
	c := At(filepath.Join(t.TempDir(), "kook"))
	if _, _, ok := get(t, c, "/kook"); ok {
		t.Fatal("an empty cache has an entry")
	}
	if err := c.Put(servers, "/kook", "1a-g0000000001", []byte("{\n}\n")); err != nil {
		t.Fatal(err)
	}
	v, d, ok := get(t, c, "/kook")
	if !ok || v != "1a-g0000000001" || d != "{\n}\n" {
		t.Fatalf("got %v %q %q", ok, v, d)
	}
	if _, _, ok := get(t, c, "/other"); ok {
		t.Fatal("another root shares the entry")
	}
	if err := c.Put(servers, "/kook", "1b-g0000000001", nil); err != nil {
		t.Fatal(err)
	}
	if v, d, ok := get(t, c, "/kook"); !ok || v != "1b-g0000000001" || d != "" {
		t.Fatalf("after a second Put: %v %q %q", ok, v, d)
	}
	if err := c.Remove(servers, "/kook"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := get(t, c, "/kook"); ok {
		t.Fatal("a removed entry is still there")
	}
	for _, bad := range []string{"", "a b", "a\nb", strings.Repeat("x", maxHeader)} {
		if err := c.Put(servers, "/kook", bad, nil); err == nil {
			t.Errorf("version %q was accepted", bad)
		}
	}
}

// TestLargeAnswer checks an answer much larger than the header buffer and
// than a copy's chunks comes back whole.
func TestLargeAnswer(t *testing.T) {
	c := At(t.TempDir())
	data := bytes.Repeat([]byte("0123456789abcdef\n"), 100_000)
	if err := c.Put(servers, "/kook", "v", data); err != nil {
		t.Fatal(err)
	}
	e, ok := c.Get(servers, "/kook")
	if !ok {
		t.Fatal("no entry")
	}
	defer e.Close()
	if got, err := e.Data(); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Data: %v, %d bytes, want %d", err, len(got), len(data))
	}
	// A second read gives the whole answer again.
	if got, err := e.Data(); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("second Data: %v, %d bytes", err, len(got))
	}
}

// TestReplacedWhileRead checks an entry that Get returned keeps its version
// and answer together while a Commit replaces it.
func TestReplacedWhileRead(t *testing.T) {
	c := At(t.TempDir())
	if err := c.Put(servers, "/kook", "old", []byte("old answer")); err != nil {
		t.Fatal(err)
	}
	e, ok := c.Get(servers, "/kook")
	if !ok {
		t.Fatal("no entry")
	}
	defer e.Close()
	w, err := c.Create(servers, "/kook", "new")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("new "))
	if v, d, _ := get(t, c, "/kook"); v != "old" || d != "old answer" {
		t.Fatalf("before Commit: %q %q", v, d)
	}
	w.Write([]byte("answer"))
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if d, err := e.Data(); err != nil || e.Version != "old" || string(d) != "old answer" {
		t.Fatalf("the open entry: %q %q %v", e.Version, d, err)
	}
	if v, d, _ := get(t, c, "/kook"); v != "new" || d != "new answer" {
		t.Fatalf("after Commit: %q %q", v, d)
	}
}

func TestAbortKeepsOld(t *testing.T) {
	dir := t.TempDir()
	c := At(dir)
	if err := c.Put(servers, "/kook", "old", []byte("old answer")); err != nil {
		t.Fatal(err)
	}
	w, err := c.Create(servers, "/kook", "new")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("half an ans"))
	w.Abort()
	if v, d, _ := get(t, c, "/kook"); v != "old" || d != "old answer" {
		t.Fatalf("after Abort: %q %q", v, d)
	}
	if files, _ := os.ReadDir(dir); len(files) != 1 {
		t.Fatalf("Abort left files: %v", files)
	}
}

// TestWriteError checks a failed write leaves the old entry and reports the
// failure only at Commit.
func TestWriteError(t *testing.T) {
	c := At(t.TempDir())
	if err := c.Put(servers, "/kook", "old", []byte("old answer")); err != nil {
		t.Fatal(err)
	}
	w, err := c.Create(servers, "/kook", "new")
	if err != nil {
		t.Fatal(err)
	}
	w.f.Close() // the next write fails
	if n, err := w.Write([]byte("new answer")); n != 10 || err != nil {
		t.Fatalf("Write reported %d, %v", n, err)
	}
	if err := w.Commit(); err == nil {
		t.Fatal("Commit after a failed write succeeded")
	}
	if v, d, _ := get(t, c, "/kook"); v != "old" || d != "old answer" {
		t.Fatalf("after a failed write: %q %q", v, d)
	}
}

func TestBadEntries(t *testing.T) {
	dir := t.TempDir()
	c := At(dir)
	for _, content := range []string{
		"",
		"kook-cache-3 v", // no newline
		fmt.Sprintf("kook-cache-2 v %016x %08x\n{}\n", 3, crc32.Checksum([]byte("{}\n"), crc32.MakeTable(crc32.Castagnoli))), // the last format, whole
		"kook-cache-3\n{}",                 // no version
		"kook-cache-3 v w\n{}",             // no length and checksum
		"kook-cache-3 v 2 0\n{}",           // not fixed-width
		strings.Repeat("x", 1000) + "\n{}", // a header past maxHeader
		header("v", 3, crc32.Checksum([]byte("{}\n"), crcTable)) + "{}",     // truncated
		header("v", 3, crc32.Checksum([]byte("{}\n"), crcTable)) + "{}\n\n", // grown
	} {
		if err := os.WriteFile(c.path(servers, "/kook"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if e, ok := c.Get(servers, "/kook"); ok {
			e.Close()
			t.Errorf("%q was read as an entry", content)
		}
	}
}

// TestDamagedEntry: an entry truncated or changed on disk is never served,
// and checking it writes nothing.
func TestDamagedEntry(t *testing.T) {
	c := At(t.TempDir())
	answer := []byte(`{"_meta": {"hostvars": {}}, "all": {"children": ["ungrouped"]}}` + "\n")
	if err := c.Put(servers, "/kook", "v1", answer); err != nil {
		t.Fatal(err)
	}
	p := c.path(servers, "/kook")
	whole, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}

	// Truncated, as a full disk or a crash mid-copy leaves it.
	if err := os.WriteFile(p, whole[:len(whole)-10], 0o600); err != nil {
		t.Fatal(err)
	}
	if e, ok := c.Get(servers, "/kook"); ok {
		e.Close()
		t.Error("a truncated entry was read")
	}

	// Same length, one byte changed.
	damaged := bytes.Clone(whole)
	damaged[len(damaged)-5] ^= 0x20
	if err := os.WriteFile(p, damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	e, ok := c.Get(servers, "/kook")
	if !ok {
		t.Fatal("an entry of the right length was not found")
	}
	defer e.Close()
	if d, err := e.Data(); !errors.Is(err, ErrCorrupt) || d != nil {
		t.Errorf("Data of a damaged entry = %q, %v; want ErrCorrupt and nothing", d, err)
	}
}

// TestDataOnePass: a good entry's answer comes back byte for byte; an
// entry damaged at its very end, or cut (by a byte, or by whole pages of a
// file already mapped) or grown after Get opened it, gives ErrCorrupt and
// nothing of the answer, however large it is.
func TestDataOnePass(t *testing.T) {
	answer := bytes.Repeat([]byte(`{"host000001.example.com": {"a": [1, 2, 3]}}`+"\n"), 60_000) // 2.7 MB
	for _, tc := range []struct {
		name string
		// readFirst reads the answer once before the damage, so that the
		// file is mapped when it is cut.
		readFirst bool
		damage    func(t *testing.T, p string, whole []byte)
	}{
		{"good", false, func(*testing.T, string, []byte) {}},
		{"last byte changed", false, func(t *testing.T, p string, whole []byte) {
			d := bytes.Clone(whole)
			d[len(d)-1] ^= 1
			if err := os.WriteFile(p, d, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"cut by a byte after Get", false, func(t *testing.T, p string, whole []byte) {
			if err := os.Truncate(p, int64(len(whole)-1)); err != nil {
				t.Fatal(err)
			}
		}},
		{"cut to half while mapped", true, func(t *testing.T, p string, whole []byte) {
			if err := os.Truncate(p, int64(len(whole)/2)); err != nil {
				t.Fatal(err)
			}
		}},
		{"grown after Get", false, func(t *testing.T, p string, whole []byte) {
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte("\n"))
			f.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := At(t.TempDir())
			if err := c.Put(servers, "/kook", "v", answer); err != nil {
				t.Fatal(err)
			}
			p := c.path(servers, "/kook")
			whole, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			e, ok := c.Get(servers, "/kook")
			if !ok {
				t.Fatal("no entry")
			}
			defer e.Close()
			if tc.readFirst {
				if _, err := e.Data(); err != nil {
					t.Fatal(err)
				}
			}
			// The damage lands in the file Get opened (written in place).
			tc.damage(t, p, whole)
			d, err := e.Data()
			if tc.name == "good" {
				if err != nil || !bytes.Equal(d, answer) {
					t.Fatalf("Data = %d bytes, %v; want the %d-byte answer", len(d), err, len(answer))
				}
				return
			}
			if !errors.Is(err, ErrCorrupt) || d != nil {
				t.Fatalf("Data = %d bytes, %v; want ErrCorrupt and nothing", len(d), err)
			}
		})
	}
}

// TestWriteAnswer checks a checked answer reaches a pipe, a regular file
// and a plain writer byte for byte, whichever way it goes (sendfile from
// the entry's file, or a write of the checked bytes), and an empty one.
func TestWriteAnswer(t *testing.T) {
	c := At(t.TempDir())
	for _, data := range [][]byte{nil, []byte("{}\n"), bytes.Repeat([]byte("0123456789abcdef\n"), 200_000)} {
		if err := c.Put(servers, "/kook", "v", data); err != nil {
			t.Fatal(err)
		}
		send := func(w func(e *Entry, answer []byte) error) {
			t.Helper()
			e, ok := c.Get(servers, "/kook")
			if !ok {
				t.Fatal("no entry")
			}
			defer e.Close()
			answer, err := e.Data()
			if err != nil {
				t.Fatal(err)
			}
			if err := w(e, answer); err != nil {
				t.Fatal(err)
			}
		}

		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan []byte)
		go func() { b, _ := io.ReadAll(r); got <- b }()
		send(func(e *Entry, answer []byte) error { return e.WriteAnswer(w, answer) })
		w.Close()
		if b := <-got; !bytes.Equal(b, data) {
			t.Errorf("through a pipe: %d bytes, want %d", len(b), len(data))
		}
		r.Close()

		f, err := os.Create(filepath.Join(t.TempDir(), "out"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString("before:"); err != nil {
			t.Fatal(err)
		}
		send(func(e *Entry, answer []byte) error { return e.WriteAnswer(f, answer) })
		f.Close()
		if b, err := os.ReadFile(f.Name()); err != nil || !bytes.Equal(b, append([]byte("before:"), data...)) {
			t.Errorf("into a file after 7 bytes: %d bytes, %v, want %d", len(b), err, 7+len(data))
		}

		var buf bytes.Buffer
		send(func(e *Entry, answer []byte) error { return e.WriteAnswer(&buf, answer) })
		if !bytes.Equal(buf.Bytes(), data) {
			t.Errorf("into a buffer: %d bytes, want %d", buf.Len(), len(data))
		}
	}
}
