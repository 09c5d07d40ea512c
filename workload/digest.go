package workload

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
)

// Digest returns the hex SHA-256 of what of layers determines their
// results: name, kind, shape, strides, dilations, word widths, densities,
// edges and any measured values. Two routes to the same layers (the
// command line and the HTTP API, say) give the same digest.
func Digest(layers []*Layer) string {
	h := sha256.New()
	for _, l := range layers {
		fmt.Fprintf(h, "%q %s shape=%v stride=%v dilation=%v bits=%v density=%v from=%q shares=%q\n",
			l.Name, l.Kind, [NumDims]int(l.Shape), l.Stride, l.Dilation, l.Bits, l.Density, l.From, l.SharesWeights)
		for t, m := range l.Measured {
			if m == nil {
				continue
			}
			mt := m.Tensor()
			fmt.Fprintf(h, "measured %s %v\n", Tensor(t), mt.Shape)
			var w [4]byte
			for _, v := range mt.Values {
				binary.LittleEndian.PutUint32(w[:], math.Float32bits(v))
				h.Write(w[:])
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
