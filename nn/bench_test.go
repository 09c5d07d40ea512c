package nn_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
	"github.com/nnergy/nnergy/nn/zoo"
)

// benchSet is an MNIST-sized synthetic stand-in: 60,000 28×28 images.
// NNERGY_BENCH_IMAGES overrides the size.
var benchSet = sync.OnceValue(func() *data.Set {
	n := 60000
	if v, err := strconv.Atoi(os.Getenv("NNERGY_BENCH_IMAGES")); err == nil && v > 0 {
		n = v
	}
	return data.Synthetic(n, 1)
})

// BenchmarkLeNetEpoch trains LeNet-5 for one epoch (batch 64, SGD with
// momentum 0.9, lr 0.01) on 60,000 images and reports the throughput, with
// one worker per CPU and with one worker. The sub-benchmark "pytorch" runs
// scripts/bench_torch_lenet.py, the same network and settings in PyTorch on
// the CPU with as many threads as GOMAXPROCS, and reports its epoch time as
// measured inside Python (it is skipped when /usr/bin/python3 cannot import
// torch; apt-get install python3-torch).
func BenchmarkLeNetEpoch(b *testing.B) {
	set := benchSet()
	for _, workers := range []int{runtime.GOMAXPROCS(0), 1} {
		b.Run(fmt.Sprintf("nnergy/workers=%d", workers), func(b *testing.B) {
			m, _ := zoo.New("lenet5", 1)
			cfg := nn.TrainConfig{Epochs: 1, Batch: 64, Optimizer: &nn.SGD{Momentum: 0.9},
				Schedule: nn.ConstantLR{Base: 0.01}, Seed: 1, Workers: workers}
			for b.Loop() {
				if _, err := nn.Train(context.Background(), m, set, nil, cfg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(set.Len())*float64(b.N)/b.Elapsed().Seconds(), "images/s")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/epoch")
		})
	}
	b.Run(fmt.Sprintf("pytorch/threads=%d", runtime.GOMAXPROCS(0)), func(b *testing.B) {
		benchTorch(b, set.Len(), runtime.GOMAXPROCS(0))
	})
}

var torchEpoch = regexp.MustCompile(`epoch \d+: ([0-9.]+) s`)

func benchTorch(b *testing.B, images, threads int) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import torch").Run(); err != nil {
		b.Skip("no PyTorch: apt-get install python3-torch")
	}
	var total float64
	for b.Loop() {
		out, err := exec.Command(python, "../scripts/bench_torch_lenet.py", "--threads", strconv.Itoa(threads),
			"--images", strconv.Itoa(images), "--batch", "64").CombinedOutput()
		if err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		m := torchEpoch.FindSubmatch(out)
		if m == nil {
			b.Fatalf("no epoch time in %q", out)
		}
		s, _ := strconv.ParseFloat(string(m[1]), 64)
		total += s
	}
	b.ReportMetric(float64(images)*float64(b.N)/total, "images/s")
	b.ReportMetric(total/float64(b.N), "s/epoch")
}

// BenchmarkInference reports the inference throughput of each zoo model at
// batch 1 and 64.
func BenchmarkInference(b *testing.B) {
	for _, name := range zoo.Names() {
		for _, batch := range []int{1, 64} {
			b.Run(name+"/batch"+strconv.Itoa(batch), func(b *testing.B) {
				m, _ := zoo.New(name, 1)
				e := nn.NewExec(m, 0)
				x := nn.NewTensor(batch, 1, 28, 28)
				copy(x.Data, benchSet().X)
				for b.Loop() {
					if _, err := e.Forward(x, false); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
			})
		}
	}
}

// BenchmarkTrainStep trains each zoo model for 6,000 images (batch 64, SGD
// with momentum) and reports the training throughput.
func BenchmarkTrainStep(b *testing.B) {
	set := data.Synthetic(6000, 1)
	for _, name := range zoo.Names() {
		b.Run(name, func(b *testing.B) {
			m, _ := zoo.New(name, 1)
			cfg := nn.TrainConfig{Epochs: 1, Batch: 64, Optimizer: &nn.SGD{Momentum: 0.9},
				Schedule: nn.ConstantLR{Base: 0.01}, Seed: 1}
			for b.Loop() {
				if _, err := nn.Train(context.Background(), m, set, nil, cfg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(set.Len())*float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
