package sweep

import (
	"fmt"
	"slices"

	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/internal/enum"
)

// Objective is a figure a Pareto front minimizes.
type Objective uint8

// The objectives.
const (
	Energy  Objective = iota // EnergyPJ
	Latency                  // LatencySeconds
	EDP                      // EDPJouleSeconds
	Area                     // AreaUM2
	Power                    // PowerWatts
)

var objectiveNames = enum.New[Objective]("sweep", "objective", "energy", "latency", "edp", "area", "power")

func (o Objective) String() string { return objectiveNames.String(o) }

// Value returns the objective's figure.
func (o Objective) Value(f *Figures) float64 {
	switch o {
	case Latency:
		return f.LatencySeconds
	case EDP:
		return f.EDPJouleSeconds
	case Area:
		return f.AreaUM2
	case Power:
		return f.PowerWatts
	}
	return f.EnergyPJ
}

// ParseObjectives reads a comma-separated list of two or three distinct
// objectives, such as "energy,latency".
func ParseObjectives(text string) ([]Objective, error) {
	out, err := objectiveNames.ParseSet(text)
	if err != nil {
		return nil, err
	}
	if len(out) < 2 || len(out) > 3 {
		return nil, fmt.Errorf("sweep: a Pareto front needs two or three objectives (%s), got %q", objectiveNames.Choices(), text)
	}
	return out, nil
}

// Front is the Pareto front of one workload.
type Front struct {
	// Workload indexes the sweep's workloads.
	Workload int
	// Points index Result.Points: the points that ran the workload and
	// that no other such point beats in every objective, ordered by the
	// objectives (the first decides).
	Points []int
}

// Fronts returns the Pareto front of every workload over objs (minimized
// all), among the points of r that ran it.
func (r *Result) Fronts(objs []Objective) ([]Front, error) {
	var out []Front
	for w := range r.Sweep.Workloads {
		var rows [][]float64
		var at []int
		for i := range r.Points {
			p := &r.Points[i]
			if !p.Valid() || !p.Workloads[w].OK() {
				continue
			}
			row := make([]float64, len(objs))
			for k, o := range objs {
				row[k] = o.Value(&p.Workloads[w].Figures)
			}
			rows = append(rows, row)
			at = append(at, i)
		}
		f, err := explore.Pareto(rows)
		if err != nil {
			return nil, fmt.Errorf("sweep: %w", err)
		}
		slices.SortStableFunc(f, func(a, b int) int { return slices.Compare(rows[a], rows[b]) })
		fr := Front{Workload: w, Points: make([]int, len(f))}
		for k, i := range f {
			fr.Points[k] = at[i]
		}
		out = append(out, fr)
	}
	return out, nil
}
