package mapper

import (
	"fmt"
	"strings"

	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/internal/enum"
)

// Metric is one quantity a search minimizes.
type Metric uint8

// The metrics.
const (
	Energy  Metric = iota // total energy in pJ
	Latency               // cycles
	EDP                   // energy × cycles
)

var metricNames = enum.New[Metric]("mapper", "objective", "energy", "latency", "edp")

func (m Metric) String() string { return metricNames.String(m) }

// Value returns the metric of r.
func (m Metric) Value(r *cost.Result) float64 {
	switch m {
	case Latency:
		return float64(r.Cycles)
	case EDP:
		return r.EnergyPJ * float64(r.Cycles)
	}
	return r.EnergyPJ
}

// Objective is a lexicographic list of metrics: the first decides, the next
// breaks ties.
type Objective []Metric

// ParseObjective reads "energy", "latency", "edp" or a comma-separated list
// such as "latency,energy".
func ParseObjective(s string) (Objective, error) {
	var o Objective
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		m, err := metricNames.Parse(f)
		if err != nil {
			return nil, fmt.Errorf("mapper: unknown objective %q (want %s, or a comma-separated list of them)", f, metricNames.Choices())
		}
		o = append(o, m)
	}
	return o, nil
}

func (o Objective) String() string {
	s := make([]string, len(o))
	for i, m := range o {
		s[i] = m.String()
	}
	return strings.Join(s, ",")
}

// Compare returns −1 when a is better than b under o, +1 when worse, 0 on a
// tie. Without metrics it compares energy.
func (o Objective) Compare(a, b *cost.Result) int {
	if len(o) == 0 {
		o = Objective{Energy}
	}
	for _, m := range o {
		x, y := m.Value(a), m.Value(b)
		// Relative tolerance keeps float noise from deciding.
		if x < y*(1-1e-12) {
			return -1
		}
		if x > y*(1+1e-12) {
			return 1
		}
	}
	return 0
}
