package cli

import (
	"fmt"
	"math"

	"github.com/nnergy/nnergy/prune"
)

// pruneChart returns the SVG plot of `nnergy prune --plot`: accuracy
// against modelled energy (as a fraction of the original) of every step,
// joined in order, the start and the last step marked.
func pruneChart(title string, steps []prune.Step) []byte {
	const start, last, other = "#4e79a7", "#e15759", "#76b7b2"
	var pts []scatterPoint
	var path []int
	for i, st := range steps {
		if math.IsNaN(st.Accuracy) {
			continue
		}
		p := scatterPoint{X: st.EnergyRatio, Y: st.Accuracy, Fill: other, R: 3, Title: fmt.Sprintf("step %d: %s", st.Step, st.Action)}
		switch i {
		case 0:
			p.Fill, p.R = start, 5
		case len(steps) - 1:
			p.Fill, p.R = last, 5
		}
		path = append(path, len(pts))
		pts = append(pts, p)
	}
	return scatterChart(title, "modelled energy, % of the original", pts, path, [][2]string{{start, "start"}, {last, "last step"}})
}

func escapeXML(str string) string {
	var s svgWriter
	for _, r := range str {
		switch r {
		case '<':
			s.b.WriteString("&lt;")
		case '>':
			s.b.WriteString("&gt;")
		case '&':
			s.b.WriteString("&amp;")
		case '"':
			s.b.WriteString("&quot;")
		default:
			s.b.WriteRune(r)
		}
	}
	return s.b.String()
}
