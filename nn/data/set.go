// Package data provides the labelled image sets the nn training engine
// learns from: an IDX reader, MNIST from a local cache filled by
// scripts/fetch-mnist.sh, Fashion-MNIST from Debian's dataset-fashion-mnist
// package, and a deterministic synthetic set for fast tests; [Load] takes
// them by name.
//
// Nothing here downloads: a missing data set is a [*MissingError] whose
// message gives the command that fetches it.
package data

import (
	"fmt"
	"slices"
)

// Set is a labelled image set held in memory. X holds the samples one after
// another, each of shape Shape ([C H W]), already normalised; Y holds the
// class of each sample, in [0, Classes).
type Set struct {
	Name    string
	Shape   []int
	Classes int
	X       []float32
	Y       []int
}

// Len returns the number of samples.
func (s *Set) Len() int { return len(s.Y) }

// SampleLen returns the number of values in one sample.
func (s *Set) SampleLen() int {
	n := 1
	for _, d := range s.Shape {
		n *= d
	}
	return n
}

// Gather copies the samples at idx into x (len(idx)·SampleLen values) and
// their labels into y.
func (s *Set) Gather(idx []int, x []float32, y []int) {
	k := s.SampleLen()
	for j, i := range idx {
		copy(x[j*k:(j+1)*k], s.X[i*k:(i+1)*k])
		y[j] = s.Y[i]
	}
}

// Head returns the first n samples (all of them if n <= 0 or n >= Len),
// sharing storage with s.
func (s *Set) Head(n int) *Set {
	if n <= 0 || n >= s.Len() {
		return s
	}
	k := s.SampleLen()
	return &Set{Name: s.Name, Shape: slices.Clone(s.Shape), Classes: s.Classes, X: s.X[:n*k], Y: s.Y[:n]}
}

// SplitTail returns s without its last n samples, and those samples (named
// "(held out)"), sharing storage with s; 0 <= n <= Len.
func (s *Set) SplitTail(n int) (head, tail *Set) {
	k, cut := s.SampleLen(), s.Len()-n
	tail = &Set{Name: s.Name + " (held out)", Shape: s.Shape, Classes: s.Classes, X: s.X[cut*k:], Y: s.Y[cut:]}
	return s.Head(cut), tail
}

// Check reports whether the set is consistent.
func (s *Set) Check() error {
	if len(s.X) != s.Len()*s.SampleLen() {
		return fmt.Errorf("data: %s: %d values for %d samples of shape %v", s.Name, len(s.X), s.Len(), s.Shape)
	}
	for i, y := range s.Y {
		if y < 0 || y >= s.Classes {
			return fmt.Errorf("data: %s: sample %d has label %d outside [0, %d)", s.Name, i, y, s.Classes)
		}
	}
	return nil
}
