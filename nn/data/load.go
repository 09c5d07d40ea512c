package data

import (
	"fmt"
	"strings"
)

// Sizes of the synthetic data set's training and test sets.
const (
	SyntheticTrain = 6000
	SyntheticTest  = 1000
)

// Names lists the data sets Load knows.
var Names = []string{"mnist", "synthetic"}

// Load returns the training and test sets of the data set name: mnist
// from dir (MNISTDir when dir is empty; a *MissingError names the command
// that fetches it), or synthetic (SyntheticTrain and SyntheticTest
// samples of Synthetic, seeds 1 and 2), which needs no file.
func Load(name, dir string) (train, test *Set, err error) {
	switch name {
	case "mnist":
		if dir == "" {
			dir = MNISTDir()
		}
		return MNIST(dir)
	case "synthetic":
		return Synthetic(SyntheticTrain, 1), Synthetic(SyntheticTest, 2), nil
	}
	return nil, nil, fmt.Errorf("data: unknown data set %q (have %s)", name, strings.Join(Names, ", "))
}
