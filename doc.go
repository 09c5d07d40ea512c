// Package nnergy is the root of the nnergy module: a toolkit for
// energy-efficient deep learning across the hardware/software divide. It
// holds no code; this file is the map of the packages and the order in which
// they may import each other.
//
// A package imports only packages on lower layers (layer 0 is the lowest);
// packages on one layer do not import each other. TestLayers in
// layout_test.go checks this list against the real import graph of the
// non-test files, and fails when a package is missing from it, listed
// twice, or imports upwards. External test packages (package foo_test) may
// import anything.
//
// The layers, lowest first:
//
//	layer 0: internal/enum internal/pool
//	layer 1: sparse arch/tech internal/browser internal/yamlspec internal/onnxpb internal/chart internal/golden internal/contentkey internal/pgtest internal/outfile nn/data nn/internal/gemm nn/internal/vec
//	layer 2: workload onnx nn
//	layer 3: arch mapping workload/zoo workload/engine nn/zoo onnx/onnxtest onnx/graph
//	layer 4: nest workload/onnx nn/onnx timeloop
//	layer 5: cost mapspace workload/load
//	layer 6: mapper dataflow
//	layer 7: explore
//	layer 8: measure sweep
//	layer 9: prune netadapt fit
//	layer 10: codesign netadaptv2
//	layer 11: report
//	layer 12: store page
//	layer 13: server
//	layer 14: internal/cli
//	layer 15: cmd/nnergy
//
// What each package is for:
//
//	sparse            compressed formats (RLC, CSC, bitmask, COO), densities, gating and skipping
//	arch/tech         technology tables: energy per access and per MAC, area and leakage per instance
//	internal/yamlspec strict YAML decoding with file:line:col: path errors
//	internal/onnxpb   generated protobuf types of the ONNX format
//	internal/enum     names of small enumerations: String, Parse, and the choices in errors
//	internal/pool     a fixed number of goroutines over a job list, stopping at the first error
//	internal/browser  a headless Chromium tab for tests: requests recorded, screenshots kept as artifacts
//	internal/golden   test output held to files under testdata/, rewritten with -update
//	internal/chart    the plots' drawing surface, written as SVG or PNG, and nice axis ticks
//	internal/contentkey keys of values by the content of what determines them (SHA-256 of length-prefixed parts)
//	internal/pgtest   a throwaway PostgreSQL server (or NNERGY_POSTGRES) for tests
//	internal/outfile  output files checked before the work and written to a temporary name then renamed
//	nn/data           data sets (IDX, MNIST, Fashion-MNIST, synthetic)
//	workload          dimensions, tensors, layers (loop nests), networks
//	onnx              ONNX model reader and writer
//	nn                the CPU training engine: layers, training, surgery, latency
//	arch              accelerator specs, YAML, presets
//	mapping           one mapping of a layer onto an architecture; parse and format
//	workload/zoo      built-in networks
//	workload/onnx     ONNX graphs as workload networks
//	workload/engine   models of the training engine lowered to workloads
//	nn/onnx           ONNX models in and out of the training engine
//	nn/zoo            built-in trainable networks
//	onnx/onnxtest     helpers that build ONNX graphs in tests
//	onnx/graph        the ONNX front-end: per-value shapes, types and constants, one op table, windows, Reshape, names
//	workload/load     the network a model name or path means, at a batch size
//	nest              loop-nest analysis: mapping -> access counts
//	timeloop          Timeloop and Accelergy specs, problems and mappings as nnergy architectures, workloads and mappings
//	cost              counts -> energy, cycles, utilization, lower bound
//	mapspace          the space of legal mappings under constraints
//	mapper            exhaustive and annealing searches over a mapspace
//	dataflow          WS, OS, IS, RS, NLR as constraints and as a builder
//	explore           whole networks, per-shape caching, comparisons, Pareto fronts
//	measure           nn models scored on an accelerator, on this CPU, or by counts
//	sweep             design spaces: arch parameters x networks x mapper settings, shards
//	prune             magnitude and energy-aware pruning
//	netadapt          NetAdapt over any measurer
//	netadaptv2        NetAdaptV2: an ordered-dropout super-network searched by multi-layer coordinate descent, over any measurer
//	fit               device budgets: power at a frame rate, throughput, area; what limits a design
//	codesign          joint hardware-network search: a sweep's designs x NetAdapt and energy-aware pruning
//	report            the versioned reports every command emits, and their schema
//	page              reports as self-contained HTML pages (tables, inline SVG charts, loop nests); the adapt and prune plots; the web UI's pages and script
//	store             recorded runs, content-addressed results and run items: SQLite or PostgreSQL
//	server            the HTTP API and the web UI: runs of the store; eval, map, sweep, prune and adapt jobs in a bounded queue
//	internal/cli      every subcommand and its flags
//	cmd/nnergy        the binary
package nnergy
