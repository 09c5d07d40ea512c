package report

// Import is the report of nnergy import timeloop: the files read and
// written, and what could not be carried over and why.
type Import struct {
	Header
	// From names the tool the design came from ("timeloop").
	From string `json:"from"`
	// Files are the inputs read; Skipped those of a directory that hold
	// nothing the import reads.
	Files   []string `json:"files"`
	Skipped []string `json:"skipped,omitempty"`
	// Written are the nnergy files written.
	Written []string     `json:"written"`
	Notes   []ImportNote `json:"notes"`
}

// ImportNote is one thing not carried over, or carried over approximately.
type ImportNote struct {
	// Where is file:line:col in the input, or a file, or empty.
	Where string `json:"where,omitempty"`
	What  string `json:"what"`
	Why   string `json:"why"`
}

// NewImport returns an import report with its header set.
func NewImport(from string) *Import { return &Import{Header: header(KindImport), From: from} }
