package data

import (
	"fmt"
	"strings"
)

// Fashion-MNIST normalisation: the training set's pixel mean and standard
// deviation (on the 0..1 scale).
const (
	FashionMNISTMean = 0.2860
	FashionMNISTStd  = 0.3530
)

// FashionMNISTDir is where Debian's dataset-fashion-mnist package installs
// the four gzipped IDX files of Fashion-MNIST.
const FashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// FashionMNISTInstall is the command that installs Fashion-MNIST into
// [FashionMNISTDir].
const FashionMNISTInstall = "apt-get install dataset-fashion-mnist"

// FashionMNIST loads Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017: 60,000
// training and 10,000 test 28×28 grey images of clothing in ten classes,
// with MNIST's file names and IDX layout) from dir, [FashionMNISTDir] when
// dir is empty, as [1 28 28] images normalised with [FashionMNISTMean] and
// [FashionMNISTStd]. A missing file gives a [*MissingError] naming
// [FashionMNISTInstall].
func FashionMNIST(dir string) (train, test *Set, err error) {
	if dir == "" {
		dir = FashionMNISTDir
	}
	return idxSets("fashion-mnist", dir, FashionMNISTInstall, FashionMNISTMean, FashionMNISTStd)
}

// Synthetic set sizes for [Load] "synthetic".
const (
	SyntheticTrain = 6000
	SyntheticTest  = 1000
)

// Names lists the data sets [Load] knows, in the order errors name them.
func Names() []string { return []string{"mnist", "fashion-mnist", "synthetic"} }

// Load returns the training and test sets of the named data set: "mnist"
// from dir (default [MNISTDir]), "fashion-mnist" from dir (default
// [FashionMNISTDir]), or "synthetic" ([SyntheticTrain] and [SyntheticTest]
// samples; dir unused).
func Load(name, dir string) (train, test *Set, err error) {
	switch name {
	case "mnist":
		if dir == "" {
			dir = MNISTDir()
		}
		return MNIST(dir)
	case "fashion-mnist":
		return FashionMNIST(dir)
	case "synthetic":
		return Synthetic(SyntheticTrain, 1), Synthetic(SyntheticTest, 2), nil
	}
	return nil, nil, fmt.Errorf("data: unknown data set %q (have %s)", name, strings.Join(Names(), ", "))
}

// Normalization returns the mean and standard deviation the named data set
// is normalised with (the synthetic set uses MNIST's).
func Normalization(name string) (mean, std float32, err error) {
	switch name {
	case "mnist", "synthetic":
		return MNISTMean, MNISTStd, nil
	case "fashion-mnist":
		return FashionMNISTMean, FashionMNISTStd, nil
	}
	return 0, 0, fmt.Errorf("data: unknown data set %q (have %s)", name, strings.Join(Names(), ", "))
}
