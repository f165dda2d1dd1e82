package ansible

import (
	"bytes"
	"io"
	"testing"

	"github.com/kook-project/kook/internal/fleet"
	"github.com/kook-project/kook/pkg/kook"
)

// Parse and render of the script protocol at the two fleet sizes.

func fleetJSON(b *testing.B, n int) []byte {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, fleet.Generate(n, 42)); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func benchParseJSON(b *testing.B, n int) {
	data := fleetJSON(b, n)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		forgetJSONMemo()
		if _, err := ParseJSON("fleet.json", data, ReadOptions{Rules: Rules214}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseJSON10k(b *testing.B)  { benchParseJSON(b, 10000) }
func BenchmarkParseJSON100k(b *testing.B) { benchParseJSON(b, 100000) }

// benchReadJSON is what kook-import does with a .json source: detection,
// the JSON-or-YAML choice and the parse.
func benchReadJSON(b *testing.B, n int) {
	data := fleetJSON(b, n)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		forgetJSONMemo()
		if _, err := ParseSource("fleet.json", data, "", ReadOptions{Rules: Rules214}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadJSONSource10k(b *testing.B)  { benchReadJSON(b, 10000) }
func BenchmarkReadJSONSource100k(b *testing.B) { benchReadJSON(b, 100000) }

func benchWriteJSON(b *testing.B, n int) {
	inv := fleet.Generate(n, 42)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := WriteJSON(io.Discard, inv); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteJSON10k(b *testing.B) { benchWriteJSON(b, 10000) }

// benchWriteEncoded is --list's render: vars already canonical JSON.
func benchWriteEncoded(b *testing.B, n int) {
	enc, err := fleet.Generate(n, 42).Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := WriteEncodedJSON(io.Discard, enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteEncodedJSON10k(b *testing.B)  { benchWriteEncoded(b, 10000) }
func BenchmarkWriteEncodedJSON100k(b *testing.B) { benchWriteEncoded(b, 100000) }

// benchWriteEncodedLayered is --list's render of a fleet with vars files:
// group_vars/all and a file for every tenth group, and with carried set,
// keys that the groups' inline vars also set, so that every host carries
// them (the worst case).
func benchWriteEncodedLayered(b *testing.B, n int, carried bool) {
	inv := fleet.Generate(n, 42)
	key := func(k string) string {
		if carried {
			return k
		}
		return "file_" + k
	}
	inv.Groups[kook.All].FileVars = kook.Vars{key("owner"): "platform", key("ntp_server"): "ntp.example.com", "dns": []any{"10.0.0.1", "10.0.0.2"}}
	for i, name := range inv.GroupNames() {
		if i%10 == 0 {
			inv.Groups[name].FileVars = kook.Vars{"backup": true, "retention_days": int64(30 + i%7)}
		}
	}
	enc, err := inv.Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := WriteEncodedJSON(io.Discard, enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteEncodedJSONLayered10k(b *testing.B)  { benchWriteEncodedLayered(b, 10000, false) }
func BenchmarkWriteEncodedJSONLayered100k(b *testing.B) { benchWriteEncodedLayered(b, 100000, false) }
func BenchmarkWriteEncodedJSONCarried10k(b *testing.B)  { benchWriteEncodedLayered(b, 10000, true) }

// forgetJSONMemo makes the next decode of a document really decode it, as
// every import's first decode does.
func forgetJSONMemo() {
	jsonMemo.mu.Lock()
	jsonMemo.size = -1
	jsonMemo.mu.Unlock()
}
