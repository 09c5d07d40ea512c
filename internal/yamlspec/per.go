package yamlspec

// PerTensor holds one optional value per tensor of a layer, keyed by the
// tensor names (Weights, Inputs, Outputs), for use in decoded structs.
type PerTensor[T any] struct {
	Weights *T `yaml:"Weights"`
	Inputs  *T `yaml:"Inputs"`
	Outputs *T `yaml:"Outputs"`
}

// Get returns the value of tensor i (0 Weights, 1 Inputs, 2 Outputs), or
// nil when it is absent or p is nil.
func (p *PerTensor[T]) Get(i int) *T {
	if p == nil {
		return nil
	}
	return [...]*T{p.Weights, p.Inputs, p.Outputs}[i]
}

// PerDim holds one optional value per loop dimension, keyed by the
// dimension names N, G, M, C, P, Q, R, S, for use in decoded structs.
type PerDim[T any] struct {
	N *T `yaml:"N"`
	G *T `yaml:"G"`
	M *T `yaml:"M"`
	C *T `yaml:"C"`
	P *T `yaml:"P"`
	Q *T `yaml:"Q"`
	R *T `yaml:"R"`
	S *T `yaml:"S"`
}

// Get returns the value of dimension i in the order N, G, M, C, P, Q, R, S,
// or nil when it is absent or p is nil.
func (p *PerDim[T]) Get(i int) *T {
	if p == nil {
		return nil
	}
	return [...]*T{p.N, p.G, p.M, p.C, p.P, p.Q, p.R, p.S}[i]
}
