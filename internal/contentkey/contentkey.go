// Package contentkey names values by the content of what determines them:
// the hex SHA-256 of a list of parts, each preceded by its length, so that
// no two lists of parts give the same bytes. Package store keys its
// results with it (store.Key), and package sweep its runs and layer
// searches.
package contentkey

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// Of returns the hex SHA-256 of parts, each preceded by its length as 8
// bytes big-endian.
func Of(parts ...[]byte) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}
