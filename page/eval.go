package page

import (
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/nnergy/nnergy/report"
)

// evalView is what the eval page shows.
type evalView struct {
	Title       string
	UI          *uiData
	Rep         *report.Eval
	LevelChart  template.HTML
	TensorChart template.HTML
	Layers      []layerView
	Dense       bool
}

// layerView is one layer with its mapping as loop-nest lines.
type layerView struct {
	Index int
	*report.Layer
	Nest []nestLine
}

// nestLine is one line of a loop nest, indented by Depth.
type nestLine struct {
	Depth int
	Level bool // a level's heading, not a loop
	Text  string
}

// Eval writes the page of an eval report: totals, area and static power, the
// per-layer table, the energy per level and per tensor as stacked bars,
// dense against sparse when the network has zeros, and each layer's mapping
// as a loop nest with its tile sizes.
func Eval(w io.Writer, rep *report.Eval) error { return evalPage(w, rep, nil) }

// evalPage writes the eval page, inside the web UI when ui is not nil.
func evalPage(w io.Writer, rep *report.Eval, ui *uiData) error {
	if rep == nil || rep.Kind != report.KindEval {
		return fmt.Errorf("page: not an eval report")
	}
	v := evalView{Title: fmt.Sprintf("%s on %s", rep.Model, rep.Arch), UI: ui, Rep: rep, Dense: rep.Total.Dense != nil}
	var levels []string
	for _, l := range rep.Total.Levels {
		levels = append(levels, l.Name)
	}
	var bars []bar
	for i := range rep.Layers {
		l := &rep.Layers[i]
		b := bar{Label: l.Name}
		for _, lv := range l.Levels {
			b.Parts = append(b.Parts, lv.EnergyPJ)
		}
		bars = append(bars, b)
		v.Layers = append(v.Layers, layerView{Index: i, Layer: l, Nest: nest(l)})
	}
	var err error
	if v.LevelChart, err = stackedBars("Energy per layer and level", "pJ", levels, bars); err != nil {
		return err
	}
	bars = nil
	for _, l := range rep.Total.Levels {
		t := &l.Tensors
		other := l.EnergyPJ - t.Weights.EnergyPJ - t.Inputs.EnergyPJ - t.Outputs.EnergyPJ
		bars = append(bars, bar{Label: l.Name, Parts: []float64{t.Weights.EnergyPJ, t.Inputs.EnergyPJ, t.Outputs.EnergyPJ, other}})
	}
	if v.TensorChart, err = stackedBars("Energy per level and tensor (whole network)", "pJ",
		[]string{"weights", "inputs", "outputs", "network and static"}, bars); err != nil {
		return err
	}
	return render(w, "eval.html", v)
}

// nest returns the loop nest of a layer's mapping, outermost level first,
// each level's heading with the tensors it keeps and their tile sizes.
func nest(l *report.Layer) []nestLine {
	if l.Mapping == nil {
		return nil
	}
	tiles := map[string]*report.Tensors{}
	for i := range l.Levels {
		tiles[l.Levels[i].Name] = &l.Levels[i].Tensors
	}
	var out []nestLine
	depth := 0
	for _, ml := range l.Mapping.Levels {
		head := ml.Name
		if t := tiles[ml.Name]; t != nil && len(ml.Keep) > 0 {
			var parts []string
			for _, k := range ml.Keep {
				var tr report.Traffic
				switch k {
				case "weights":
					tr = t.Weights
				case "inputs":
					tr = t.Inputs
				case "outputs":
					tr = t.Outputs
				}
				parts = append(parts, fmt.Sprintf("%s %d", k, tr.TileWords))
			}
			head += " — tile words: " + strings.Join(parts, ", ")
		} else if len(ml.Keep) == 0 {
			head += " — keeps nothing"
		}
		out = append(out, nestLine{Depth: depth, Level: true, Text: head})
		for _, lp := range ml.Temporal {
			out = append(out, nestLine{Depth: depth, Text: fmt.Sprintf("for %s in [0:%d)", lp.Dim, lp.Factor)})
			depth++
		}
		for _, lp := range ml.Spatial {
			out = append(out, nestLine{Depth: depth, Text: fmt.Sprintf("spatial_for %s in [0:%d) along %s", lp.Dim, lp.Factor, lp.Axis)})
			depth++
		}
	}
	return out
}
