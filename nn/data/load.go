package data

import (
	"fmt"
	"strings"
)

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
