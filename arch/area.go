package arch

// Area is the silicon area of an architecture, from its technology table or
// the areas its file gives (docs/format/arch.md). The outermost level is
// off-chip and has none; networks are not counted.
type Area struct {
	// Levels holds each level's area, outermost first.
	Levels []LevelArea
	// ComputeUM2 is the area of all MAC units, µm².
	ComputeUM2 float64
	// TotalUM2 is the levels' and the MAC units' areas together, µm².
	TotalUM2 float64
}

// LevelArea is the area of one level.
type LevelArea struct {
	Name string
	// PerInstanceUM2 is the area of one instance, µm².
	PerInstanceUM2 float64
	// Instances is the level's number of instances.
	Instances int
	// TotalUM2 = PerInstanceUM2 × Instances.
	TotalUM2 float64
}

// Area returns the area of s per level and in total.
func (s *Spec) Area() Area {
	a := Area{Levels: make([]LevelArea, len(s.Levels))}
	for i := range s.Levels {
		n := s.Instances(i)
		la := LevelArea{Name: s.Levels[i].Name, PerInstanceUM2: s.Levels[i].AreaUM2, Instances: n}
		la.TotalUM2 = la.PerInstanceUM2 * float64(n)
		a.Levels[i] = la
		a.TotalUM2 += la.TotalUM2
	}
	a.ComputeUM2 = s.Compute.AreaUM2 * float64(s.MACUnits())
	a.TotalUM2 += a.ComputeUM2
	return a
}

// LeakageWatts returns the static power of the whole chip with every
// instance of every level and every MAC unit powered, in watts.
func (s *Spec) LeakageWatts() float64 {
	w := s.MACLeakageWatts() * float64(s.MACUnits())
	for i := range s.Levels {
		w += s.LevelLeakageWatts(i) * float64(s.Instances(i))
	}
	return w
}

// LevelLeakageWatts returns the static power of one instance of level i in
// watts: its LeakageWatts and its LeakagePJ per cycle at the clock.
func (s *Spec) LevelLeakageWatts(i int) float64 {
	l := &s.Levels[i]
	return l.LeakageWatts + l.LeakagePJ*1e-12*s.ClockHz
}

// MACLeakageWatts returns the static power of one MAC unit in watts, as
// LevelLeakageWatts.
func (s *Spec) MACLeakageWatts() float64 {
	return s.Compute.LeakageWatts + s.Compute.LeakagePJ*1e-12*s.ClockHz
}
