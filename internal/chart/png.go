package chart

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"strconv"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// pngCanvas rasterizes onto an RGBA image Scale times the canvas size.
type pngCanvas struct {
	img   *image.RGBA
	z     vector.Rasterizer
	faces map[faceKey]font.Face
	err   error // the first problem: a bad colour or font
}

type faceKey struct {
	size int
	bold bool
}

func newPNG(w, h int) *pngCanvas {
	return &pngCanvas{img: image.NewRGBA(image.Rect(0, 0, Scale*w, Scale*h)), faces: map[faceKey]font.Face{}}
}

func (p *pngCanvas) encode() ([]byte, error) {
	if p.err != nil {
		return nil, p.err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, p.img); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	return b.Bytes(), nil
}

func (p *pngCanvas) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

// src returns a uniform image of colour c, and false for no paint or a bad
// colour (remembered as the canvas's error).
func (p *pngCanvas) src(c Color) (*image.Uniform, bool) {
	if c == "" {
		return nil, false
	}
	s := string(c)
	v, err := strconv.ParseUint(s[min(1, len(s)):], 16, 32)
	if len(s) != 7 || s[0] != '#' || err != nil {
		p.fail(fmt.Errorf("chart: colour %q: want #rrggbb", s))
		return nil, false
	}
	return image.NewUniform(color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}), true
}

type pt struct{ x, y float64 }

// fill paints the polygons (in canvas pixels) with c, nonzero winding:
// a polygon inside another and wound the other way is a hole.
func (p *pngCanvas) fill(c Color, polys ...[]pt) {
	src, ok := p.src(c)
	if !ok {
		return
	}
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, poly := range polys {
		for _, q := range poly {
			x0, y0 = min(x0, q.x*Scale), min(y0, q.y*Scale)
			x1, y1 = max(x1, q.x*Scale), max(y1, q.y*Scale)
		}
	}
	// Rasterize only the bounding box, clipped to the image.
	r := image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1)), int(math.Ceil(y1))).Intersect(p.img.Rect)
	if r.Empty() {
		return
	}
	p.z.Reset(r.Dx(), r.Dy())
	ox, oy := float64(r.Min.X), float64(r.Min.Y)
	for _, poly := range polys {
		for i, q := range poly {
			x, y := float32(q.x*Scale-ox), float32(q.y*Scale-oy)
			if i == 0 {
				p.z.MoveTo(x, y)
			} else {
				p.z.LineTo(x, y)
			}
		}
		p.z.ClosePath()
	}
	p.z.Draw(p.img, r, src, image.Point{})
}

func box(x0, y0, x1, y1 float64) []pt { return []pt{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}} }

func (p *pngCanvas) Rect(x, y, w, h float64, fill, stroke Color) {
	p.fill(fill, box(x, y, x+w, y+h))
	if stroke == "" {
		return
	}
	const half = 0.3 // of the 0.6 pixel outline
	outer := box(x-half, y-half, x+w+half, y+h+half)
	if w <= 2*half || h <= 2*half {
		p.fill(stroke, outer)
		return
	}
	// The inner edge wound the other way leaves the inside unpainted.
	inner := []pt{{x + half, y + half}, {x + half, y + h - half}, {x + w - half, y + h - half}, {x + w - half, y + half}}
	p.fill(stroke, outer, inner)
}

func (p *pngCanvas) Line(x1, y1, x2, y2 float64, stroke Color, width float64) {
	dx, dy := x2-x1, y2-y1
	n := math.Hypot(dx, dy)
	if n == 0 || !(width > 0) {
		return
	}
	// A line is the thin rectangle around it.
	nx, ny := -dy/n*width/2, dx/n*width/2
	p.fill(stroke, []pt{{x1 + nx, y1 + ny}, {x2 + nx, y2 + ny}, {x2 - nx, y2 - ny}, {x1 - nx, y1 - ny}})
}

// circleSides is the number of sides of the polygon that draws a circle.
const circleSides = 64

func (p *pngCanvas) Circle(cx, cy, r float64, fill Color, _ string) {
	poly := make([]pt, circleSides)
	for i := range poly {
		a := 2 * math.Pi * float64(i) / circleSides
		poly[i] = pt{cx + r*math.Cos(a), cy + r*math.Sin(a)}
	}
	p.fill(fill, poly)
}

// goFonts are the parsed Go fonts, regular and bold.
var goFonts = sync.OnceValues(func() ([2]*opentype.Font, error) {
	var fs [2]*opentype.Font
	for i, ttf := range [][]byte{goregular.TTF, gobold.TTF} {
		f, err := opentype.Parse(ttf)
		if err != nil {
			return fs, fmt.Errorf("chart: Go font: %w", err)
		}
		fs[i] = f
	}
	return fs, nil
})

// face returns the face of a size and weight; nil after a failure.
func (p *pngCanvas) face(size int, bold bool) font.Face {
	k := faceKey{size, bold}
	if f, ok := p.faces[k]; ok {
		return f
	}
	fs, err := goFonts()
	if err != nil {
		p.fail(err)
		return nil
	}
	i := 0
	if bold {
		i = 1
	}
	// At 72 DPI a point is a pixel.
	f, err := opentype.NewFace(fs[i], &opentype.FaceOptions{Size: float64(size * Scale), DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		p.fail(fmt.Errorf("chart: Go font: %w", err))
		return nil
	}
	p.faces[k] = f
	return f
}

func toFixed(v float64) fixed.Int26_6 { return fixed.Int26_6(math.Round(v * 64)) }

func (p *pngCanvas) Text(x, y float64, str string, st TextStyle) {
	fill := st.Fill
	if fill == "" {
		fill = "#000000"
	}
	src, ok := p.src(fill)
	face := p.face(st.Size, st.Bold)
	if !ok || face == nil {
		return
	}
	// off is how far the text begins before its anchor.
	adv := font.MeasureString(face, str)
	var off fixed.Int26_6
	switch st.Anchor {
	case Middle:
		off = adv / 2
	case End:
		off = adv
	}
	// The baseline on whole pixels keeps the text sharp.
	bx, by := toFixed(x*Scale), fixed.I(int(math.Round(y*Scale)))
	if !st.Up {
		d := font.Drawer{Dst: p.img, Src: src, Face: face, Dot: fixed.Point26_6{X: bx - off, Y: by}}
		d.DrawString(str)
		return
	}
	// Upright text: draw it level into a mask with the anchor on pixel
	// (a, asc), then turn the mask by -90° pixel by pixel so that the
	// anchor lands on pixel (X, Y) of the image.
	m := face.Metrics()
	asc, desc := m.Ascent.Ceil(), m.Descent.Ceil()
	a := off.Ceil() + 1
	w := a + (adv - off).Ceil() + 1
	level := image.NewAlpha(image.Rect(0, 0, w, asc+desc))
	d := font.Drawer{Dst: level, Src: image.Opaque, Face: face, Dot: fixed.Point26_6{X: fixed.I(a) - off, Y: fixed.I(asc)}}
	d.DrawString(str)
	X, Y := bx.Round(), by.Round()
	// Level pixel (i, j) is (i-a, j-asc) from the anchor; turned by -90°
	// it is (j-asc, -(i-a)) from it, the pixel above that corner.
	up := image.NewAlpha(image.Rect(X-asc, Y+a-w, X-asc+asc+desc, Y+a))
	for j := range asc + desc {
		for i := range w {
			up.SetAlpha(X+j-asc, Y-(i-a)-1, level.AlphaAt(i, j))
		}
	}
	draw.DrawMask(p.img, up.Rect, src, image.Point{}, up, up.Rect.Min, draw.Over)
}
