package zoo

import (
	"fmt"

	"github.com/nnergy/nnergy/workload"
)

// BERT-base dimensions (Devlin et al., 2018).
const (
	bertHidden = 768
	bertHeads  = 12
	bertFFN    = 3072
)

// BERTBaseBlock returns one transformer encoder block of BERT-base (hidden
// size 768, 12 heads of 64, feed-forward 3072) over a sequence of seqLen
// tokens at batch 1, with the module names of the Hugging Face
// implementation:
//
//	attention.self.query, .key, .value  GEMM seqLen×768 · 768×768
//	attention.self.scores               Q·Kᵀ per head: MatMul 12 × (seqLen×64 · 64×seqLen)
//	attention.self.context              softmax(scores)·V: MatMul 12 × (seqLen×seqLen · seqLen×64)
//	attention.output.dense              GEMM seqLen×768 · 768×768
//	intermediate.dense                  GEMM seqLen×768 · 768×3072
//	output.dense                        GEMM seqLen×3072 · 3072×768
//
// Softmax, GELU, the residual adds and layer normalization are not layers;
// the block input comes from outside the network, so the first GEMMs and
// intermediate.dense (whose input is the residual sum with the block input)
// list only the layers inside the block. Network.Input is 1×768×seqLen×1
// (N, features, tokens, 1). The block performs 12·768² + 2·seqLen·768 MACs
// per token and holds 7,077,888 weights; the MatMuls' second operands are
// activations, not weights. The network is named "bert-base-block" for 128
// tokens and "bert-base-block-SEQLEN" otherwise.
func BERTBaseBlock(seqLen int) (*workload.Network, error) {
	if seqLen <= 0 {
		return nil, fmt.Errorf("zoo: bert-base-block: sequence length %d must be positive", seqLen)
	}
	netName := "bert-base-block"
	if seqLen != 128 {
		netName = fmt.Sprintf("bert-base-block-%d", seqLen)
	}
	b := &builder{net: &workload.Network{Name: netName, Input: [4]int{1, bertHidden, seqLen, 1}}}
	in := act{c: bertHidden, h: seqLen, w: 1}
	gemm := func(n string, x act, inner, cols int) act {
		l, err := workload.NewGEMM(n, seqLen, inner, cols)
		b.push(l, err, x)
		return act{c: cols, h: seqLen, w: 1, from: []string{n}}
	}
	matmul := func(n string, x, y act, inner, cols int) act {
		l, err := workload.NewMatMul(n, 1, bertHeads, seqLen, inner, cols)
		b.push(l, err, act{from: union(x.from, y.from)})
		return act{c: bertHeads * cols, h: seqLen, w: 1, from: []string{n}}
	}
	dh := bertHidden / bertHeads
	q := gemm("attention.self.query", in, bertHidden, bertHidden)
	k := gemm("attention.self.key", in, bertHidden, bertHidden)
	v := gemm("attention.self.value", in, bertHidden, bertHidden)
	s := matmul("attention.self.scores", q, k, dh, seqLen)
	c := matmul("attention.self.context", s, v, seqLen, dh)
	a := gemm("attention.output.dense", c, bertHidden, bertHidden)
	a = b.add(a, in) // residual, then layer normalization
	f := gemm("intermediate.dense", a, bertHidden, bertFFN)
	gemm("output.dense", f, bertFFN, bertHidden)
	return b.done()
}
