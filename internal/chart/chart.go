// Package chart draws the plots of the nnergy command line on one small
// drawing surface, Canvas, with two backends: SVG, written by hand with every
// number at fixed precision, and PNG, rasterized with golang.org/x/image
// (antialiased shapes, the Go fonts) at Scale times the SVG's pixel size.
// Both are deterministic: the same drawing gives the same bytes.
package chart

import (
	"path/filepath"
	"strings"
)

// Color is "#rrggbb"; the empty Color paints nothing.
type Color string

// Anchor is the point of a text that its x coordinate places.
type Anchor int

const (
	Start  Anchor = iota // x is where the text begins
	Middle               // x is the text's centre
	End                  // x is where the text ends
)

// TextStyle says how Canvas.Text draws a label.
type TextStyle struct {
	Size   int // font size in pixels
	Anchor Anchor
	Bold   bool
	Fill   Color // "" is black
	// Up rotates the text by -90° about (x, y), to read from bottom to top
	// (a y-axis label).
	Up bool
}

// Canvas is a drawing surface in pixels, y growing downwards.
type Canvas interface {
	// Rect fills the rectangle with fill and outlines it with stroke, a
	// line 0.6 pixels wide centred on its edges.
	Rect(x, y, w, h float64, fill, stroke Color)
	// Line draws a straight line of the given width with flat ends.
	Line(x1, y1, x2, y2 float64, stroke Color, width float64)
	// Circle fills a disc; title is its tooltip where the format has them
	// (SVG).
	Circle(cx, cy, r float64, fill Color, title string)
	// Text draws str with its baseline at y.
	Text(x, y float64, str string, st TextStyle)
}

// FontFamily is the font of SVG text. PNG text is set in the Go fonts
// (golang.org/x/image/font/gofont), regular and bold.
const FontFamily = "Helvetica, Arial, sans-serif"

// Scale is how many PNG pixels one Canvas pixel is, each way.
const Scale = 2

// Format is the file format of a drawing.
type Format int

const (
	SVG Format = iota
	PNG
)

func (f Format) String() string {
	if f == PNG {
		return "png"
	}
	return "svg"
}

// FormatOf returns the format a file name asks for by its extension (.svg
// or .png, in any case), and false for any other name.
func FormatOf(name string) (Format, bool) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".svg":
		return SVG, true
	case ".png":
		return PNG, true
	}
	return 0, false
}

// Drawing is a picture of W×H Canvas pixels that Draw paints.
type Drawing struct {
	W, H int
	Draw func(Canvas)
}

// Encode draws d in format f and returns the file's bytes: an SVG of W×H
// pixels or a PNG of Scale·W × Scale·H pixels.
func (d Drawing) Encode(f Format) ([]byte, error) {
	if f == PNG {
		c := newPNG(d.W, d.H)
		d.Draw(c)
		return c.encode()
	}
	c := newSVG(d.W, d.H)
	d.Draw(c)
	return c.bytes(), nil
}
