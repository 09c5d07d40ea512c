// Package yamlspec decodes YAML input files strictly and reports their
// problems with positions.
//
// Every nnergy input kind (architectures, workloads, mappings, constraints)
// goes through the same three steps: [Decode] the file into a plain struct
// whose fields carry `yaml:"key"` tags, validate that struct, collecting
// every problem with [Doc.Errorf], then build the typed value. Decoding
// walks the yaml.Node tree, so every value keeps its line and column, and it
// is strict: unknown keys (with a "did you mean" hint), duplicate keys,
// missing values and values of the wrong type are errors.
//
// # Errors
//
// An [Error] holds a [Pos], the key path of the value (such as
// "levels[2].size_words") and a message, and prints as
//
//	file:line:col: path: message
//
// Errors gather in an [ErrorList], modelled on go/scanner's: it sorts by
// position, its Err method returns nil when it is empty, and its Error
// method prints the first error and how many more there are. [PrintError]
// prints every error of a list on a line of its own.
//
// # Example
//
//	type level struct {
//		Name      string `yaml:"name"`
//		SizeWords *int64 `yaml:"size_words"` // nil when absent
//	}
//	type file struct {
//		Version int     `yaml:"version"`
//		Levels  []level `yaml:"levels"`
//	}
//
//	var f file
//	doc, err := yamlspec.Decode("a.yaml", data, &f)
//	if err != nil {
//		return err // every syntax, key and type error, with positions
//	}
//	for i, l := range f.Levels {
//		p := yamlspec.Index("levels", i)
//		if l.SizeWords != nil && *l.SizeWords <= 0 {
//			doc.Errorf(yamlspec.Join(p, "size_words"), "must be positive, got %d", *l.SizeWords)
//		}
//	}
//	if err := doc.Err(); err != nil {
//		return err // every validation error, with positions
//	}
//
// [Keys] lists the key paths a struct type accepts and [DocumentedKeys] the
// ones a Markdown format description documents; tests compare the two so
// that every key is documented.
package yamlspec
