package fit

import (
	"math"
	"testing"
)

func TestParseUnits(t *testing.T) {
	tests := []struct {
		parse func(string) (float64, error)
		in    string
		want  float64
		err   string
	}{
		{ParsePower, "1W", 1, ""},
		{ParsePower, "1 W", 1, ""},
		{ParsePower, "500mW", 0.5, ""},
		{ParsePower, "2.5e2mW", 0.25, ""},
		{ParsePower, "20uW", 20e-6, ""},
		{ParsePower, "20µW", 20e-6, ""},
		{ParsePower, ".5W", 0.5, ""},
		{ParsePower, "1", 0, `fit: power "1": no unit (want W, mW or uW), such as 1W or 500mW`},
		{ParsePower, "1MW", 0, `fit: power "1MW": unknown unit "MW" (want W, mW or uW)`},
		{ParsePower, "1w", 0, `fit: power "1w": unknown unit "w" (want W, mW or uW)`},
		{ParsePower, "0W", 0, `fit: power "0W": must be positive`},
		{ParsePower, "-1W", 0, `fit: power "-1W": want a positive number and a unit (W, mW or uW), such as 1W or 500mW`},
		{ParsePower, "W", 0, `fit: power "W": want a positive number and a unit (W, mW or uW), such as 1W or 500mW`},
		{ParsePower, "1e999W", 0, `fit: power "1e999W": 1e999 is not a finite number`},
		{ParsePower, "", 0, `fit: power "": want a positive number and a unit (W, mW or uW), such as 1W or 500mW`},
		{ParseArea, "10mm2", 10e6, ""},
		{ParseArea, "10 mm²", 10e6, ""},
		{ParseArea, "250000um2", 250000, ""},
		{ParseArea, "3µm²", 3, ""},
		{ParseArea, "10mm", 0, `fit: area "10mm": unknown unit "mm" (want mm2 or um2)`},
		{ParseArea, "10", 0, `fit: area "10": no unit (want mm2 or um2), such as 10mm2`},
		{ParseRate, "30", 30, ""},
		{ParseRate, "30fps", 30, ""},
		{ParseRate, "29.97 fps", 29.97, ""},
		{ParseRate, "30Hz", 0, `fit: frame rate "30Hz": unknown unit "Hz" (want fps, or none)`},
		{ParseRate, "0", 0, `fit: frame rate "0": must be positive`},
		{ParseRate, "thirty", 0, `fit: frame rate "thirty": want a positive number and a unit (fps, or none), such as 30fps`},
	}
	for _, tt := range tests {
		got, err := tt.parse(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%q: %v, %v; want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || math.Abs(got-tt.want) > 1e-12*tt.want {
			t.Errorf("%q = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}
