package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nnergy/nnergy/nn"
)

func (e *env) testCmd() *cobra.Command {
	var model, dataName, dataDir string
	var batch, workers int
	c := &cobra.Command{
		Use:   "test",
		Short: "Measure a trained model's accuracy on a test set",
		Long: `Evaluate a saved model (.nnw or .onnx; or a zoo network with fresh
weights) on the test set of MNIST (10,000 images) or of the synthetic set
(1,000 images) and print its accuracy and mean cross-entropy loss. An ONNX
model must take [N 1 28 28] images and return 10 scores per image.`,
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
			_, set, err := loadNNData(dataName, dataDir)
			if err != nil {
				return err
			}
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
	fl.StringVar(&dataName, "data", "mnist", "data set: mnist or synthetic")
	fl.StringVar(&dataDir, "data-dir", "", "MNIST directory (default $NNERGY_DATA/mnist or ~/.cache/nnergy/mnist)")
	fl.IntVar(&batch, "batch", 256, "batch size")
	fl.IntVar(&workers, "workers", 0, "worker goroutines (0: one per CPU)")
	return c
}
