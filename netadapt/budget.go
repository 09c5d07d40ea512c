package netadapt

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/nnergy/nnergy/measure"
)

// Budget is the resource a run must reach: a fraction of the initial
// resource, or an absolute value in the metric's unit (energy pJ, latency
// s, EDP pJ·s, MACs and parameters as counts).
type Budget struct {
	Metric   measure.Metric
	Fraction float64 // of the initial resource, in (0, 1); 0 when Absolute is used
	Absolute float64 // in the metric's unit; used when Fraction is 0
}

// units are the suffixes ParseBudget accepts, per metric, with their
// factor to the metric's unit.
var units = map[measure.Metric][]struct {
	suffix string
	factor float64
}{
	measure.Energy:  {{"pJ", 1}, {"nJ", 1e3}, {"uJ", 1e6}, {"µJ", 1e6}, {"mJ", 1e9}, {"J", 1e12}},
	measure.Latency: {{"ns", 1e-9}, {"us", 1e-6}, {"µs", 1e-6}, {"ms", 1e-3}, {"s", 1}},
	measure.MACs:    {{"k", 1e3}, {"M", 1e6}, {"G", 1e9}},
	measure.Params:  {{"k", 1e3}, {"M", 1e6}, {"G", 1e9}},
}

// ParseBudget reads METRIC=VALUE. A bare VALUE in (0, 1) is a fraction of
// the initial resource (energy=0.5). Otherwise VALUE is absolute and needs
// a unit for energy (pJ, nJ, uJ, mJ, J) and latency (ns, us, ms, s); MACs
// and params take a count with an optional k, M or G; edp takes a bare
// number in pJ·s.
func ParseBudget(s string) (Budget, error) {
	bad := func(why string) (Budget, error) {
		return Budget{}, fmt.Errorf("netadapt: budget %q: %s", s, why)
	}
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return bad("want METRIC=VALUE, e.g. energy=0.5, energy=12uJ or latency=2ms")
	}
	metric, err := measure.ParseMetric(strings.TrimSpace(k))
	if err != nil {
		return bad(err.Error())
	}
	v = strings.TrimSpace(v)
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		switch {
		case f > 0 && f < 1:
			return Budget{Metric: metric, Fraction: f}, nil
		case !(f >= 1) || math.IsInf(f, 0):
			return bad("the value must be a fraction in (0, 1) or a positive absolute value")
		case metric == measure.Energy || metric == measure.Latency:
			return bad(fmt.Sprintf("a bare number must be a fraction in (0, 1); an absolute %s needs a unit (%s)", metric, unitList(metric)))
		}
		return Budget{Metric: metric, Absolute: f}, nil
	}
	for _, u := range units[metric] {
		num, ok := strings.CutSuffix(v, u.suffix)
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil {
			continue
		}
		if !(f > 0) || math.IsInf(f, 0) {
			return bad("the value must be a positive number before the unit")
		}
		return Budget{Metric: metric, Absolute: f * u.factor}, nil
	}
	if len(units[metric]) == 0 {
		return bad(fmt.Sprintf("%s takes a fraction in (0, 1) or a bare number in pJ·s", metric))
	}
	return bad(fmt.Sprintf("unknown unit (want a fraction in (0, 1), or one of %s)", unitList(metric)))
}

func unitList(m measure.Metric) string {
	var us []string
	for _, u := range units[m] {
		if u.suffix != "µJ" && u.suffix != "µs" {
			us = append(us, u.suffix)
		}
	}
	return strings.Join(us, ", ")
}

func (b Budget) String() string {
	if b.Fraction > 0 {
		return b.Metric.String() + "=" + strconv.FormatFloat(b.Fraction, 'g', -1, 64)
	}
	return b.Metric.String() + "=" + formatValue(b.Metric, b.Absolute, true)
}

// Resolve returns the budget in the metric's unit for an initial resource.
func (b Budget) Resolve(initial float64) float64 {
	if b.Fraction > 0 {
		return b.Fraction * initial
	}
	return b.Absolute
}

// CheckSchedule reports what is wrong with a budget and the schedule of
// reductions (the first as a fraction of the start, and its decay), as
// [Config] takes them after defaults.
func CheckSchedule(b Budget, initReduction, decay float64) error {
	switch {
	case !(initReduction > 0 && initReduction < 1):
		return fmt.Errorf("netadapt: initial reduction %v outside (0, 1)", initReduction)
	case !(decay > 0 && decay <= 1):
		return fmt.Errorf("netadapt: decay %v outside (0, 1]", decay)
	case b.Fraction == 0 && !(b.Absolute > 0):
		return fmt.Errorf("netadapt: no budget")
	case b.Fraction != 0 && !(b.Fraction > 0 && b.Fraction < 1):
		return fmt.Errorf("netadapt: budget fraction %v outside (0, 1)", b.Fraction)
	}
	return nil
}

// FormatValue prints v, in the unit of metric m, with a unit that suits
// its magnitude (energy pJ to mJ, latency ns to s).
func FormatValue(m measure.Metric, v float64) string { return formatValue(m, v, false) }

// formatValue formats v as FormatValue does, to 6 significant digits, or,
// when exact, to as many as it takes to read back the same value (to a
// part in 10¹²): a budget's label must say the budget, and 1000001 s is
// not 1e+06 s.
func formatValue(m measure.Metric, v float64, exact bool) string {
	digits := func(x, factor float64) string {
		s := strconv.FormatFloat(x, 'g', 6, 64)
		for p := 7; exact && p <= 17; p++ {
			back, err := strconv.ParseFloat(s, 64)
			if err == nil && math.Abs(back*factor-v) <= 1e-12*math.Abs(v) {
				break
			}
			s = strconv.FormatFloat(x, 'g', p, 64)
		}
		return s
	}
	scaled := func(steps []struct {
		unit   string
		factor float64
	}) string {
		i := 0
		for i+1 < len(steps) && math.Abs(v) >= steps[i+1].factor {
			i++
		}
		return digits(v/steps[i].factor, steps[i].factor) + steps[i].unit
	}
	type step = struct {
		unit   string
		factor float64
	}
	switch m {
	case measure.Energy:
		return scaled([]step{{"pJ", 1}, {"nJ", 1e3}, {"uJ", 1e6}, {"mJ", 1e9}})
	case measure.Latency:
		return scaled([]step{{"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1}})
	}
	return digits(v, 1)
}

// Target returns the resource iteration i (from 1) must reach from the
// current resource: current − initReduction·decay^(i−1), never below the
// budget (so that the last iteration does not overshoot it needlessly).
func Target(current, initReduction, decay float64, i int, budget float64) float64 {
	return max(current-initReduction*math.Pow(decay, float64(i-1)), budget)
}
