package kook

import "testing"

// mustJSON is AppendJSON for values known to be in kook's value set.
func mustJSON(dst []byte, v any) []byte {
	b, err := AppendJSON(dst, v)
	if err != nil {
		panic(err)
	}
	return b
}

func mustEncode(t testing.TB, inv *Inventory) *Encoded {
	t.Helper()
	enc, err := inv.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return enc
}
