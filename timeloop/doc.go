// Package timeloop imports Timeloop and Accelergy specifications into
// nnergy: the architecture in the form Timeloop's front end dumps
// (parsed-processed-input.yaml: `architecture:` with `subtree`/`local`
// lists), Accelergy's energy and area tables (ERT, ART), the problem (a
// CNN layer's shape with projections and coefficients, and its instance)
// and a mapping (map.yaml). Import writes the equivalent nnergy
// architecture YAML, workload YAML and mapping text, each of which is also
// parsed back into an arch.Spec, a workload.Network and a mapping.Mapping,
// and lists what could not be carried over and why.
//
// Decoding is strict: an unknown key, an unknown component class, a
// missing attribute, an unexpanded Jinja template or mapping factors that
// do not multiply to the problem's bounds are errors naming the Timeloop
// file, line and column.
//
// Energies are per word, as Timeloop charges them: the ERT's energy of
// one vector access divided by the level's block size (width / datawidth).
package timeloop
