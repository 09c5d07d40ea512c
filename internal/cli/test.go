package cli

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
)

func (e *env) testCmd() *cobra.Command {
	var model, dataName, dataDir, normalize string
	var batch, workers int
	c := &cobra.Command{
		Use:   "test",
		Short: "Measure a trained model's accuracy on a test set",
		Long: `Evaluate a saved model (.nnw or .onnx; or a zoo network with fresh
weights) on the test set of MNIST (10,000 images) or of the synthetic set
(1,000 images) and print its accuracy and mean cross-entropy loss. An ONNX
model must take [N 1 28 28] images and return 10 scores per image.

Pixels are scaled to 0..1 and then, by default, normalised with the data
set's mean and standard deviation (what 'nnergy train' uses): MNIST and the
synthetic set as (x - 0.1307) / 0.3081, Fashion-MNIST as
(x - 0.2860) / 0.3530. --normalize MEAN,STD uses other values (0.5,0.5 for
a model trained on [-1, 1] inputs), --normalize none feeds 0..1.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if batch < 1 {
				return usagef("test: --batch must be at least 1, got %d", batch)
			}
			if workers < 0 {
				return usagef("test: --workers must not be negative, got %d", workers)
			}
			if model == "" {
				return usagef("test: --model is required")
			}
			var mean, std float32
			if normalize != "" {
				var err error
				if mean, std, err = parseNormalize(normalize); err != nil {
					return err
				}
			}
			_, set, err := loadNNData(dataName, dataDir)
			if err != nil {
				return err
			}
			from, fromStd, err := data.Normalization(dataName)
			if err != nil {
				return err
			}
			if normalize == "" {
				mean, std = from, fromStd
			}
			renormalize(set, from, fromStd, mean, std)
			m, name, err := loadNNModel(model, 1)
			if err != nil {
				return err
			}
			s, err := nn.Evaluate(m, set, batch, workers)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s on %s: accuracy %.2f%% (%d/%d), loss %.4f\n", name, set.Name,
				100*s.Accuracy, int(s.Accuracy*float64(s.N)+0.5), s.N, s.Loss)
			return nil
		},
	}
	fl := c.Flags()
	fl.StringVar(&model, "model", "", "model file (.nnw or .onnx) or zoo network")
	registerData(fl, &dataName, &dataDir, "mnist", "")
	fl.StringVar(&normalize, "normalize", "", "input normalisation: the data set's own by default, mnist (mean 0.1307, std 0.3081), fashion-mnist (mean 0.2860, std 0.3530), MEAN,STD, or none (pixels in 0..1)")
	fl.IntVar(&batch, "batch", 256, "batch size (N), images per inference pass while scoring (the accuracy does not depend on it)")
	fl.IntVar(&workers, "workers", 0, "worker goroutines (0: one per CPU)")
	return c
}

// parseNormalize reads --normalize: "mnist", "none" (mean 0, std 1) or
// "MEAN,STD".
func parseNormalize(s string) (mean, std float32, err error) {
	switch s {
	case "mnist":
		return data.MNISTMean, data.MNISTStd, nil
	case "fashion-mnist":
		return data.FashionMNISTMean, data.FashionMNISTStd, nil
	case "none":
		return 0, 1, nil
	}
	a, b, ok := strings.Cut(s, ",")
	m, err1 := strconv.ParseFloat(strings.TrimSpace(a), 32)
	d, err2 := strconv.ParseFloat(strings.TrimSpace(b), 32)
	if !ok || err1 != nil || err2 != nil || !(d > 0) || math.IsNaN(m) || math.IsInf(m, 0) || math.IsInf(d, 0) {
		return 0, 0, usagef("test: --normalize: want mnist, fashion-mnist, none or MEAN,STD with a positive STD, got %q", s)
	}
	return float32(m), float32(d), nil
}

// renormalize changes a set loaded with normalisation (from, fromStd) to
// (x - mean) / std of pixels in 0..1.
func renormalize(set *data.Set, from, fromStd, mean, std float32) {
	if mean == from && std == fromStd {
		return
	}
	for i, v := range set.X {
		set.X[i] = (v*fromStd + from - mean) / std
	}
}
