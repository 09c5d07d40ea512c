package measure

import (
	"fmt"
	"runtime"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/internal/enum"
	"github.com/nnergy/nnergy/nn"
)

// Kind names a family of measurers: the hardware model, this CPU, or counts.
type Kind uint8

// The kinds.
const (
	ModelKind Kind = iota // the hardware model (Hardware)
	CPUKind               // latency on this CPU from lookup tables (CPU)
	CountKind             // MACs and parameters (Count)
)

var kindNames = enum.New[Kind]("measure", "measurer", "model", "cpu", "macs")

// String returns the kind's name: model, cpu or macs.
func (k Kind) String() string { return kindNames.String(k) }

// ParseKind returns the kind named s: model, cpu or macs.
func ParseKind(s string) (Kind, error) { return kindNames.Parse(s) }

// Reports reports whether measurers of kind k fill metric m: the hardware
// model fills every metric, the CPU latency, MACs and parameters, counts
// only MACs and parameters.
func (k Kind) Reports(m Metric) bool {
	switch k {
	case CPUKind:
		return m == Latency || m == MACs || m == Params
	case CountKind:
		return m == MACs || m == Params
	}
	return true
}

// Metrics lists the metrics that measurers of kind k fill.
func (k Kind) Metrics() []Metric {
	var ms []Metric
	for m := range Metric(len(metricNames.List())) {
		if k.Reports(m) {
			ms = append(ms, m)
		}
	}
	return ms
}

// Selection is everything a measurer of any kind is made from.
type Selection struct {
	Kind Kind
	// Arch and Hardware set up the hardware model (ModelKind).
	Arch     *arch.Spec
	Hardware HardwareConfig
	// Base and CPU set up the CPU tables (CPUKind): the base model whose
	// layers are timed, and how.
	Base *nn.Model
	CPU  CPUConfig
	// Batch of the counts (CountKind; default 1).
	Batch int
}

// New returns the measurer s selects and a description of it for people,
// e.g. "eyeriss (rs builder)".
func New(s Selection) (Measurer, string, error) {
	switch s.Kind {
	case ModelKind:
		if s.Arch == nil {
			return nil, "", fmt.Errorf("measure: the hardware model needs an architecture")
		}
		hw, err := NewHardware(s.Arch, s.Hardware)
		if err != nil {
			return nil, "", err
		}
		how := fmt.Sprintf("%s builder", s.Hardware.Dataflow)
		if s.Hardware.Search {
			how = fmt.Sprintf("mapper within %s, %d evaluations per layer shape", s.Hardware.Dataflow, hw.cfg.Settings.MaxEvaluations)
		}
		return hw, fmt.Sprintf("%s (%s)", s.Arch.Name, how), nil
	case CPUKind:
		if s.Base == nil {
			return nil, "", fmt.Errorf("measure: CPU lookup tables need a base model")
		}
		cpu, err := NewCPU(s.Base, s.CPU)
		if err != nil {
			return nil, "", err
		}
		w := s.CPU.Latency.Workers
		if w <= 0 {
			w = runtime.GOMAXPROCS(0)
		}
		return cpu, fmt.Sprintf("this CPU (lookup tables, %d worker%s)", w, plural(w)), nil
	case CountKind:
		return Count{Batch: max(s.Batch, 1)}, "counts", nil
	}
	return nil, "", fmt.Errorf("measure: unknown measurer kind %d", s.Kind)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
