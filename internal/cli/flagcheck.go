package cli

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// zeroOKAnnotation marks a float flag whose zero means something (no
// momentum, no weight decay); every other float flag must be positive.
const zeroOKAnnotation = "nnergy_zero_ok"

// allowZero lets the float flags named take 0 (they still refuse negative
// and non-finite values). It must follow their registration:
// SetAnnotation fails only on a name that is no flag, and TestNumericFlags
// checks that each flag meant to take 0 does.
func allowZero(fl *pflag.FlagSet, names ...string) {
	for _, n := range names {
		_ = fl.SetAnnotation(n, zeroOKAnnotation, []string{"true"})
	}
}

// checkNumericFlags makes every numeric flag of c and its subcommands
// refuse, as it is parsed and naming the flag, the values that used to
// pass silently into wrong results or be replaced by a default: a float
// that is not finite (NaN, Inf), or not positive unless allowZero says
// so; a negative integer (no integer flag means anything by one); a
// negative duration.
func checkNumericFlags(c *cobra.Command) {
	wrap := func(f *pflag.Flag) {
		switch f.Value.Type() {
		case "float64":
			_, zeroOK := f.Annotations[zeroOKAnnotation]
			f.Value = floatCheck{f.Value, zeroOK}
		case "int", "int64", "int32":
			f.Value = intCheck{f.Value}
		case "duration":
			f.Value = durationCheck{f.Value}
		}
	}
	c.Flags().VisitAll(wrap)
	c.PersistentFlags().VisitAll(wrap)
	for _, s := range c.Commands() {
		checkNumericFlags(s)
	}
}

type floatCheck struct {
	pflag.Value
	zeroOK bool
}

func (v floatCheck) Set(s string) error {
	x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return v.Value.Set(s) // its own parse error
	}
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return errors.New("want a finite number")
	case v.zeroOK && x < 0:
		return errors.New("want a number at least 0")
	case !v.zeroOK && x <= 0:
		return errors.New("want a positive number")
	}
	return v.Value.Set(s)
}

type intCheck struct{ pflag.Value }

func (v intCheck) Set(s string) error {
	x, err := strconv.ParseInt(strings.TrimSpace(s), 0, 64)
	if err != nil {
		return v.Value.Set(s)
	}
	if x < 0 {
		return errors.New("want an integer at least 0")
	}
	return v.Value.Set(s)
}

type durationCheck struct{ pflag.Value }

func (v durationCheck) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return v.Value.Set(s)
	}
	if d < 0 {
		return errors.New("want a duration at least 0")
	}
	return v.Value.Set(s)
}
