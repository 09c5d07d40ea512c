package chart

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// svgCanvas writes SVG elements, every coordinate with at most one decimal.
type svgCanvas struct{ b bytes.Buffer }

func newSVG(w, h int) *svgCanvas {
	s := &svgCanvas{}
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="%s">`+"\n", w, h, w, h, FontFamily)
	return s
}

// bytes returns the finished document.
func (s *svgCanvas) bytes() []byte {
	out := make([]byte, 0, s.b.Len()+len("</svg>\n"))
	return append(append(out, s.b.Bytes()...), "</svg>\n"...)
}

// f1 formats a coordinate with at most one decimal.
func f1(v float64) string {
	s := strconv.FormatFloat(math.Round(v*10)/10, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0")
}

func paint(c Color) string {
	if c == "" {
		return "none"
	}
	return string(c)
}

func (s *svgCanvas) Rect(x, y, w, h float64, fill, stroke Color) {
	fmt.Fprintf(&s.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"`, f1(x), f1(y), f1(w), f1(h), paint(fill))
	if stroke != "" {
		fmt.Fprintf(&s.b, ` stroke="%s" stroke-width="0.6"`, stroke)
	}
	s.b.WriteString("/>\n")
}

func (s *svgCanvas) Line(x1, y1, x2, y2 float64, stroke Color, width float64) {
	fmt.Fprintf(&s.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="%s"/>`+"\n",
		f1(x1), f1(y1), f1(x2), f1(y2), paint(stroke), f1(width))
}

func (s *svgCanvas) Circle(cx, cy, r float64, fill Color, title string) {
	fmt.Fprintf(&s.b, `<circle cx="%s" cy="%s" r="%s" fill="%s"`, f1(cx), f1(cy), f1(r), paint(fill))
	if title == "" {
		s.b.WriteString("/>\n")
		return
	}
	fmt.Fprintf(&s.b, `><title>%s</title></circle>`+"\n", escapeXML(title))
}

func (s *svgCanvas) Text(x, y float64, str string, st TextStyle) {
	fmt.Fprintf(&s.b, `<text x="%s" y="%s" font-size="%d"`, f1(x), f1(y), st.Size)
	switch st.Anchor {
	case Middle:
		s.b.WriteString(` text-anchor="middle"`)
	case End:
		s.b.WriteString(` text-anchor="end"`)
	}
	if st.Bold {
		s.b.WriteString(` font-weight="bold"`)
	}
	if st.Fill != "" {
		fmt.Fprintf(&s.b, ` fill="%s"`, st.Fill)
	}
	if st.Up {
		fmt.Fprintf(&s.b, ` transform="rotate(-90 %s %s)"`, f1(x), f1(y))
	}
	s.b.WriteString(">")
	xml.EscapeText(&s.b, []byte(str))
	s.b.WriteString("</text>\n")
}

// escapeXML escapes the markup characters of a tooltip.
func escapeXML(str string) string {
	var b strings.Builder
	for _, r := range str {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
