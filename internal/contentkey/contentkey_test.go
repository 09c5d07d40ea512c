package contentkey

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestOf(t *testing.T) {
	// The length prefixes keep apart lists whose concatenations agree.
	for _, tc := range []struct{ a, b [][]byte }{
		{[][]byte{[]byte("ab"), []byte("c")}, [][]byte{[]byte("a"), []byte("bc")}},
		{[][]byte{[]byte("abc")}, [][]byte{[]byte("abc"), {}}},
		{nil, [][]byte{{}}},
	} {
		if Of(tc.a...) == Of(tc.b...) {
			t.Errorf("%q and %q share a key", tc.a, tc.b)
		}
	}
	// One part: SHA-256 of its length, 8 bytes big-endian, then the part.
	sum := sha256.Sum256(append([]byte{0, 0, 0, 0, 0, 0, 0, 3}, "abc"...))
	if got := Of([]byte("abc")); got != hex.EncodeToString(sum[:]) {
		t.Errorf("Of(abc) = %s, want %x", got, sum)
	}
}
