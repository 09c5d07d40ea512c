package nn

import (
	"fmt"
	"math"
)

// SoftmaxCrossEntropy returns the mean over the batch of the cross-entropy
// between softmax(logits) and the labels, and writes its gradient with
// respect to the logits into grad (which must have the logits' shape), or
// skips that when grad is nil. logits is [N, K]; labels holds N class
// indices in [0, K).
func SoftmaxCrossEntropy(logits *Tensor, labels []int, grad *Tensor) (float64, error) {
	if len(logits.Shape) != 2 || logits.Shape[0] != len(labels) {
		return 0, fmt.Errorf("nn: logits shape %v for %d labels", logits.Shape, len(labels))
	}
	n, k := logits.Shape[0], logits.Shape[1]
	if grad != nil && len(grad.Data) != len(logits.Data) {
		return 0, fmt.Errorf("nn: gradient has %d values, logits %d", len(grad.Data), len(logits.Data))
	}
	var loss float64
	inv := 1 / float64(n)
	for i, y := range labels {
		if y < 0 || y >= k {
			return 0, fmt.Errorf("nn: label %d outside [0, %d)", y, k)
		}
		row := logits.Data[i*k : (i+1)*k]
		mx := row[0]
		for _, v := range row {
			mx = max(mx, v)
		}
		var s float64
		for _, v := range row {
			s += math.Exp(float64(v - mx))
		}
		lse := float64(mx) + math.Log(s)
		loss += lse - float64(row[y])
		if grad != nil {
			g := grad.Data[i*k : (i+1)*k]
			for j, v := range row {
				g[j] = float32(math.Exp(float64(v)-lse) * inv)
			}
			g[y] -= float32(inv)
		}
	}
	return loss * inv, nil
}

// Argmax returns the index of the largest value of each row of a [N, K]
// tensor.
func Argmax(t *Tensor) []int {
	n := t.Shape[0]
	k := len(t.Data) / n
	out := make([]int, n)
	for i := range out {
		row := t.Data[i*k : (i+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		out[i] = best
	}
	return out
}
