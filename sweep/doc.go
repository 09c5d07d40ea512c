// Package sweep evaluates design spaces: a base architecture, parameters
// that vary it (PE arrays, capacities, word widths, bandwidths, the clock,
// what a level keeps) and the mapper (method, dataflow, objective,
// budget), values derived from them and constraints on them, run on every
// network at every batch of a sweep file (docs/format/sweep.md).
//
// # Parse, validate, expand
//
// [Parse] decodes a sweep file strictly (package internal/yamlspec),
// checks the whole of it (every problem at once, each as
// file:line:col: path: message; the base architecture and the networks
// are loaded here) and expands it into its [Point]s: the combinations of
// the axes' values, the last axis turning fastest, with their derived
// values, less those a constraint leaves out. The order is fixed, and a
// point's ID hashes its parameters' names and values, so it stays the
// same when other values are added.
//
// # Designs
//
// [Sweep.Design] builds a point's architecture from the base
// architecture's file with the point's values set, through arch.Parse, so
// that the architecture's validation applies to every point and energies
// from technology classes follow the new sizes. An invalid point is a
// reason, not an error.
//
// # Evaluation
//
// [Sweep.Run] evaluates the points of a [Shard] on a pool of goroutines:
// each point maps every layer of every workload through one explore.Cache
// (one search or build per unique layer shape and density on the point)
// and reports energy, latency, EDP and utilization per workload, or why
// it cannot run one. [Result.Fronts] gives the Pareto front of each
// workload over two or three [Objective]s (explore.Pareto).
//
// # Shards
//
// [Shard.Indices] splits the points of a sweep into parts for batch
// schedulers: a seeded shuffle cut into nearly equal parts, disjoint and
// together the whole sweep. [ShardFromEnv] reads a part's index from a
// Kubernetes Indexed Job or a Slurm array. [Sweep.K8sJob] writes the
// Indexed Job (and the ConfigMap of the sweep file) that runs them.
//
// # Store
//
// With a [Store] in [Options] (package store's, through store.Store.Sweep)
// every point is stored when done under the sweep's [Sweep.RunKey], and
// every layer search under a key of [ModelVersion], the point's
// architecture, the mapper settings and the layer: a point stored is taken
// from the store (evaluated again from its stored searches, which must
// give its stored figures), so an interrupted sweep resumes and a shard
// run again changes nothing; a search stored is taken by any sweep that
// maps the same layer on the same architecture. [Options.StoredOnly]
// evaluates nothing and lists the points missing: the reduction after the
// shards. docs/scale-out.md describes the keys and what is idempotent.
package sweep
