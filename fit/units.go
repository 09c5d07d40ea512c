package fit

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// quantityRE is a decimal number, optionally followed by spaces, and a unit.
var quantityRE = regexp.MustCompile(`^((?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*(\S*)$`)

// unit is one spelling of a unit and its factor to the base unit.
type unit struct {
	name   string
	factor float64
}

var (
	powerUnits = []unit{{"W", 1}, {"mW", 1e-3}, {"uW", 1e-6}, {"µW", 1e-6}}
	areaUnits  = []unit{{"mm2", 1e6}, {"mm²", 1e6}, {"um2", 1}, {"µm2", 1}, {"µm²", 1}}
	rateUnits  = []unit{{"fps", 1}, {"", 1}}
)

// parse reads "number unit" with one of units (case-sensitive: MW is not
// mW) and returns it in the base unit; what names the quantity in errors
// and example shows a correct value.
func parse(what, text string, units []unit, want, example string) (float64, error) {
	m := quantityRE.FindStringSubmatch(strings.TrimSpace(text))
	if m == nil {
		return 0, fmt.Errorf("fit: %s %q: want a positive number and a unit (%s), such as %s", what, text, want, example)
	}
	for _, u := range units {
		if m[2] != u.name {
			continue
		}
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil || math.IsInf(v, 0) {
			return 0, fmt.Errorf("fit: %s %q: %s is not a finite number", what, text, m[1])
		}
		if v <= 0 {
			return 0, fmt.Errorf("fit: %s %q: must be positive", what, text)
		}
		return v * u.factor, nil
	}
	if m[2] == "" {
		return 0, fmt.Errorf("fit: %s %q: no unit (want %s), such as %s", what, text, want, example)
	}
	return 0, fmt.Errorf("fit: %s %q: unknown unit %q (want %s)", what, text, m[2], want)
}

// ParsePower reads a power budget such as 1W, 500mW or 20uW (µW too) and
// returns it in watts.
func ParsePower(text string) (float64, error) {
	return parse("power", text, powerUnits, "W, mW or uW", "1W or 500mW")
}

// ParseArea reads an area budget such as 10mm2 or 250000um2 (mm², µm²
// too) and returns it in µm².
func ParseArea(text string) (float64, error) {
	return parse("area", text, areaUnits, "mm2 or um2", "10mm2")
}

// ParseRate reads a frame rate such as 30 or 30fps and returns it in
// frames per second.
func ParseRate(text string) (float64, error) {
	return parse("frame rate", text, rateUnits, "fps, or none", "30fps")
}
