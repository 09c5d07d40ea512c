package mapspace_test

import (
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/internal/yamlspec"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/workload/zoo"
)

// FuzzParseConstraints checks that no document makes ParseConstraints
// panic, that every error is positioned in the file, and that accepted
// constraints either are refused by New on Eyeriss or give a space whose
// random points are mappings that cover the layer (the order rule once
// broke that, issue 15). Seeds: the format doc's examples and
// testdata/fuzz/FuzzParseConstraints; run longer with
//
//	go test ./mapspace -run '^$' -fuzz FuzzParseConstraints -fuzztime 60s
func FuzzParseConstraints(f *testing.F) {
	md, err := os.ReadFile(formatDoc)
	if err != nil {
		f.Fatal(err)
	}
	for _, b := range yamlspec.Examples(md) {
		f.Add(b)
	}
	a := eyeriss(f)
	net, _ := zoo.Get("alexnet")
	l, err := net.Layer("conv3")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := mapspace.ParseConstraints("fuzz.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error not positioned in the file: %v", err)
			}
			return
		}
		s, err := mapspace.New(l, a, c)
		if err != nil {
			return
		}
		rng := rand.New(rand.NewPCG(1, 2))
		p := s.NewPoint()
		for range 8 {
			s.Random(rng, p)
			var m mapping.Mapping
			s.Mapping(p, &m)
			if err := m.CheckShape(l); err != nil {
				t.Fatalf("a point of the space is no mapping of the layer: %v\n%s", err, m.Format())
			}
		}
	})
}
