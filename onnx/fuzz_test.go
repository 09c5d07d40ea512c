package onnx_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nnergy/nnergy/onnx"
)

// FuzzParse checks that no input makes Parse panic, and that every model it
// accepts encodes and decodes again. Run longer with
//
//	go test ./onnx -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.onnx")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	b, err := onnx.Marshal(tinyModel())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte{0x08, 0x07, 0x3a, 0x00}) // ir_version 7, empty graph
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := onnx.Parse("fuzz.onnx", data)
		if err != nil {
			return
		}
		b, err := onnx.Marshal(m)
		if err != nil {
			// Attributes of unsupported types are kept opaque and written back
			// as they came; anything else must encode.
			t.Fatalf("decoded model does not encode: %v", err)
		}
		m2, err := onnx.Parse("again.onnx", b)
		if err != nil {
			t.Fatalf("encoded model does not decode: %v", err)
		}
		if len(m2.Graph.Nodes) != len(m.Graph.Nodes) || len(m2.Graph.Initializers) != len(m.Graph.Initializers) {
			t.Fatalf("round trip changed the graph")
		}
	})
}
