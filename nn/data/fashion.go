package data

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
