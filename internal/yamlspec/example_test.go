package yamlspec_test

import (
	"fmt"

	"github.com/nnergy/nnergy/internal/yamlspec"
)

func Example() {
	type level struct {
		Name      string `yaml:"name"`
		SizeWords *int64 `yaml:"size_words"`
	}
	type file struct {
		Version int     `yaml:"version"`
		Levels  []level `yaml:"levels"`
	}
	data := []byte(`version: 1
levels:
  - name: GLB
    size_words: -4
  - name: RF
    sise_words: 12
`)
	var f file
	doc, err := yamlspec.Decode("arch.yaml", data, &f)
	if err != nil {
		fmt.Println(err)
	}
	for i, l := range f.Levels {
		p := yamlspec.Join(yamlspec.Index("levels", i), "size_words")
		if l.SizeWords != nil && *l.SizeWords <= 0 {
			doc.Errorf(p, "must be positive, got %d", *l.SizeWords)
		}
	}
	fmt.Println(doc.Err())
	// Output:
	// arch.yaml:6:5: levels[1].sise_words: unknown key (did you mean size_words?)
	// arch.yaml:4:17: levels[0].size_words: must be positive, got -4 (and 1 more error)
}
