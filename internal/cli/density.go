package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/workload"
	wonnx "github.com/nnergy/nnergy/workload/onnx"
)

// applyDensity sets tensor densities from a --density value: a
// comma-separated list of TENSOR=D (every layer) or LAYER:TENSOR=D (one
// layer), tensors spelled weights, inputs or outputs, 0 < D <= 1.
func applyDensity(net *workload.Network, spec string) error {
	if spec == "" {
		return nil
	}
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		lhs, val, ok := strings.Cut(item, "=")
		if !ok {
			return usagef("--density: %q: want TENSOR=D or LAYER:TENSOR=D", item)
		}
		layer, tensor := "", lhs
		if i := strings.LastIndex(lhs, ":"); i >= 0 {
			layer, tensor = lhs[:i], lhs[i+1:]
		}
		t, err := workload.ParseTensor(tensor)
		if err != nil {
			return usagef("--density: %q: unknown tensor %q (want weights, inputs or outputs)", item, tensor)
		}
		d, err := strconv.ParseFloat(val, 64)
		if err != nil || !(d > 0 && d <= 1) {
			return usagef("--density: %q: density must be a number in (0, 1], got %q", item, val)
		}
		if layer == "" {
			for _, l := range net.Layers {
				l.Density[t] = d
			}
			continue
		}
		l, err := net.Layer(layer)
		if err != nil {
			return usagef("--density: %q: %v", item, err)
		}
		l.Density[t] = d
	}
	return nil
}

// applySparsityFrom sets every layer's weight density to the fraction of
// nonzero weights of the matching layer of an ONNX model: the layer of the
// same name, or, when no name matches, the layer at the same position of
// networks with as many layers. A matching layer must have as many weights
// (a density of another shape says nothing of this one), and when names
// match, every layer with weights must find its own.
func applySparsityFrom(net *workload.Network, path string) error {
	if path == "" {
		return nil
	}
	src, err := wonnx.ReadFile(path, 0)
	if err != nil {
		return err
	}
	byName := map[string]*workload.Layer{}
	for _, l := range src.Layers {
		byName[l.Name] = l
	}
	var matched, missing []string
	for _, l := range net.Layers {
		s, ok := byName[l.Name]
		switch {
		case ok && s.Size(workload.Weights) != l.Size(workload.Weights):
			return fmt.Errorf("--sparsity-from %s: layer %s has %d weights (%s), %s's %s has %d (%s): a different network",
				path, s.Name, s.Size(workload.Weights), s.Shape, net.Name, l.Name, l.Size(workload.Weights), l.Shape)
		case ok:
			matched = append(matched, l.Name)
		case l.Size(workload.Weights) > 0:
			missing = append(missing, l.Name)
		}
	}
	if len(matched) > 0 {
		if len(missing) > 0 {
			return fmt.Errorf("--sparsity-from %s: has no layer named %s, which %s has (it matches %s)", path, nameList(missing), net.Name, nameList(matched))
		}
		for _, l := range net.Layers {
			if s, ok := byName[l.Name]; ok {
				copyWeights(l, s)
			}
		}
		return nil
	}
	if len(src.Layers) != len(net.Layers) {
		return fmt.Errorf("--sparsity-from %s: no layer names match %s's, and it has %d layers, not %d", path, net.Name, len(src.Layers), len(net.Layers))
	}
	for i, l := range net.Layers {
		s := src.Layers[i]
		if s.Size(workload.Weights) != l.Size(workload.Weights) {
			return fmt.Errorf("--sparsity-from %s: layer %d (%s) has %d weights, %s's %s has %d", path, i, s.Name, s.Size(workload.Weights), net.Name, l.Name, l.Size(workload.Weights))
		}
	}
	for i, l := range net.Layers {
		copyWeights(l, src.Layers[i])
	}
	return nil
}

// nameList lists names for an error: the first few and how many more.
func nameList(names []string) string {
	const few = 4
	if len(names) <= few {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:few], ", "), len(names)-few)
}

// copyWeights gives l the weight density and measured weights of s, which
// has as many weights.
func copyWeights(l, s *workload.Layer) {
	l.Density[workload.Weights] = s.Density[workload.Weights]
	l.Measured[workload.Weights] = s.Measured[workload.Weights]
}

// applyCalibration runs images of a data set through the trainable model
// in path and sets every matching layer's input and output densities to
// the measured fractions of nonzero activations.
func applyCalibration(net *workload.Network, path, set, dir string, images int) error {
	if set == "" {
		return nil
	}
	if !isONNX(path) && !strings.HasSuffix(path, ".nnw") {
		return usagef("--data: --model must be a trained model (.onnx or .nnw), got %q", path)
	}
	if images < 1 {
		return usagef("--density-images must be at least 1, got %d", images)
	}
	m, _, err := loadNNModel(path, 1)
	if err != nil {
		return err
	}
	_, test, err := loadNNData(set, dir)
	if err != nil {
		return err
	}
	d, err := measure.MeasureDensities(m, measure.Batch(test, images), 0)
	if err != nil {
		return err
	}
	matched := 0
	for _, l := range net.Layers {
		if _, ok := d[l.Name]; ok {
			matched++
		}
	}
	if matched == 0 {
		return fmt.Errorf("--data: no layer of %s matches a layer of the trained model", net.Name)
	}
	d.Apply(net, 0)
	return nil
}
